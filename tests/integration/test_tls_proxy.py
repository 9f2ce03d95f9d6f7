"""The server behind a TLS-terminating reverse proxy, as operators run it: nginx (Debian's, which
`make test` installs with apt when missing) holds a throwaway certificate and forwards plain
HTTP to gunicorn, which knows the proxy only from RECOGNIZE_PROXY_SSL_HEADER and the public
URL. A real HTTP client then signs in to the portal with the code the server e-mails, and logs
in to the admin: both are form POSTs, which used to get 403 from CSRF behind a proxy.

nginx sets the same headers Caddy's reverse_proxy sets by default (docker-compose.yml): the
original Host, X-Forwarded-Proto and X-Forwarded-For.
"""

import datetime
import ipaddress
import os
import re
import ssl
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.integration.conftest import ROOT, _free_port, worker_env, worker_stop

pytestmark = pytest.mark.integration

NGINX = os.environ.get("RECOGNIZE_NGINX", "/usr/sbin/nginx")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CODE = re.compile(r"Your code: (\d{6})")
NGINX_CONF = """
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
{user}
events {{ worker_connections 64; }}
http {{
    access_log {run}/access.log;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {run}/cert.pem;
        ssl_certificate_key {run}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def _no_proxy(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the TLS proxy test cannot run in CI: {reason}", pytrace=False)
    print(f"\nSKIPPED TLS proxy test: {reason}", file=sys.stderr)
    pytest.skip(reason)


def _self_signed_certificate(directory) -> None:
    """A throwaway key and certificate for localhost and 127.0.0.1, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _trusting(ca_file) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def _wait_until_it_answers(url: str, process: subprocess.Popen, **client) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2, **client).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer", pytrace=False)
        time.sleep(0.3)


@pytest.fixture
def behind_tls_proxy(real_services, smtp_server, transactional_db, tmp_path):
    """gunicorn serving the test database, behind nginx terminating TLS; yields the public
    https URL and the TLS context (trusting the self-signed certificate) for a client."""
    if not os.access(NGINX, os.X_OK):
        _no_proxy(f"{NGINX} is missing (`make test` installs Debian's nginx with apt)")
    run = tmp_path / "proxy"
    run.mkdir()
    _self_signed_certificate(run)
    port, upstream = _free_port(), _free_port()
    public_url = f"https://localhost:{port}"
    controller, _ = smtp_server
    env = worker_env(
        redis_url=real_services.REDIS_URL,
        queue=f"recognize-proxy-{os.getpid()}",
        CELERY_TASK_ALWAYS_EAGER="1",
        RECOGNIZE_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
        RECOGNIZE_PUBLIC_URL=public_url,
        RECOGNIZE_ALLOWED_HOSTS="localhost",
        RECOGNIZE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        RECOGNIZE_TRUSTED_PROXIES="1",
    )
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "recognize_project.wsgi"]
        + ["--bind", f"127.0.0.1:{upstream}", "--workers", "1", "--threads", "2"]
        # gunicorn itself trusts X-Forwarded-Proto from 127.0.0.1; in a real deployment the
        # proxy has another address, as it has here for gunicorn: Django alone must know.
        + ["--forwarded-allow-ips", "192.0.2.1"],
        cwd=ROOT,
        env=env,
    )
    user = "user root;" if os.geteuid() == 0 else ""
    conf = run / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run, port=port, upstream=upstream, user=user))
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(run), "-g", "daemon off;"])
    try:
        _wait_until_it_answers(
            f"{public_url}/v1/health", gunicorn, verify=_trusting(run / "cert.pem")
        )
        yield public_url, _trusting(run / "cert.pem")
    finally:
        worker_stop(nginx)
        worker_stop(gunicorn)


def _form_token(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[:500]
    return CSRF_TOKEN.search(response.text).group(1)


def _post_form(client: httpx.Client, url: str, data: dict, origin: str) -> httpx.Response:
    """POST a form as a browser does: the token from the page, Origin and Referer set."""
    token = _form_token(client.get(url))
    headers = {"Origin": origin, "Referer": url}
    return client.post(url, data={**data, "csrfmiddlewaretoken": token}, headers=headers)


def test_portal_sign_in_and_admin_login_through_a_tls_proxy(
    behind_tls_proxy, smtp_server, tmp_path, settings
):
    from django.contrib.auth import get_user_model

    from tests.support import TenantContext

    public_url, trust = behind_tls_proxy
    _, mailbox = smtp_server
    tenant = TenantContext("proxied", tmp_path)
    address = f"alice-{uuid.uuid4().hex[:8]}@example.com"
    tenant.server.update_user("alice", {"email": address, "displayName": "Alice"})

    with httpx.Client(base_url=public_url, verify=trust, timeout=20) as browser:
        sign_in = f"{public_url}/portal/t/{tenant.tenant_id}/"
        asked = _post_form(browser, sign_in, {"address": address}, public_url)
        assert asked.status_code == 302 and asked.headers["Location"] == "/portal/code"

        mail = mailbox.wait_for(lambda m: m["To"] == address and "Your code" in m.get_content())
        code = CODE.search(mail.get_content()).group(1)
        entered = _post_form(
            browser, f"{public_url}/portal/code", {"step": "code", "code": code}, public_url
        )
        assert entered.status_code == 302 and entered.headers["Location"] == "/portal/"
        home = browser.get("/portal/")
        assert home.status_code == 200 and "Hello, Alice" in home.text
        session = next(c for c in browser.cookies.jar if c.name == "sessionid")
        assert session.secure

        forged = _post_form(browser, sign_in, {"address": address}, "https://evil.example")
        assert forged.status_code == 403

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    get_user_model().objects.create_superuser("operator", "op@example.com", "proxy-pass-4-test")
    with httpx.Client(base_url=public_url, verify=trust, timeout=20) as operator:
        login = f"{public_url}/admin/login/?next=/admin/"
        credentials = {"username": "operator", "password": "proxy-pass-4-test", "next": "/admin/"}
        logged_in = _post_form(operator, login, credentials, public_url)
        assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/admin/"
        admin = operator.get("/admin/")
        assert admin.status_code == 200 and "Site administration" in admin.text
