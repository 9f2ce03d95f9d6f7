"""Items 1 and 12 of the security audit: nothing secret reaches the server's output.

The server runs as ``make run`` runs it (the command is read from the Makefile): real gunicorn
with ``recognize_project/gunicorn.conf.py`` and ``--access-logfile -``, on a fresh SQLite
database, the console SMS backend and the file e-mail backend. A walkthrough (track, open the
challenge page, bind a device, verify, validate, portal sign-in by e-mail code, by magic link
and by SMS code, an old-style link with a token in its query) runs against it; then its whole
output is searched for every secret the walkthrough saw. Also: gunicorn's own errors (414)
answer in the API's error format (item 15).
"""

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from recognize_sdk import RecognizeClient
from recognize_sdk.device import InAppDevice
from tests.support import authsignal_client

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAKEFILE = ROOT / "Makefile"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CODE = re.compile(r"Your code: (\d{6})")
LINK_TOKEN = re.compile(r"/portal/link#token=(\S+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_run_command(port: int) -> list[str]:
    """The gunicorn command of the Makefile's ``run`` target, on ``port``."""
    recipe = re.search(
        r"^run:.*?^\t(\$\(BIN\)/gunicorn [^\n]*)$", MAKEFILE.read_text(), re.M | re.S
    )
    command = recipe.group(1).replace("$(BIN)/", f"{BIN}/").split()
    return [f"127.0.0.1:{port}" if part == "127.0.0.1:8000" else part for part in command]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn as ``make run`` starts it; yields (base url, tenant, var dir, output path)."""
    var_dir = tmp_path_factory.mktemp("served-var")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="recognize_project.settings",
        RECOGNIZE_VAR_DIR=str(var_dir),
        RECOGNIZE_PUBLIC_URL=base_url,
        RECOGNIZE_SECURE_COOKIES="false",
        RECOGNIZE_EMAIL_BACKEND="file",
        RECOGNIZE_SMS_BACKEND="console",
        RECOGNIZE_DEBUG="true",  # the most a developer's laptop shows; still nothing in the log
        RECOGNIZE_LOG_LEVEL="INFO",
    )
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [*manage, "create_tenant", "acme"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    tenant = json.loads(created.stdout)
    output = var_dir / "gunicorn.out"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            _make_run_command(port),
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base_url}/v1/health", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(output.read_text()) from None
                time.sleep(0.2)
        yield base_url, tenant, var_dir, output
    finally:
        server.terminate()
        server.wait(timeout=30)


def _portal_session(base_url: str, tenant_id: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base_url}/portal/t/{tenant_id}/", timeout=10)
    return session, CSRF.search(page.text).group(1)


def _newest_mail(var_dir: Path, seen: set[Path]) -> str:
    for _ in range(50):
        fresh = sorted(set((var_dir / "mail").glob("*.log")) - seen)
        if fresh:
            seen.update(fresh)
            return fresh[-1].read_text()
        time.sleep(0.1)
    raise AssertionError("no mail was written")


def _written(folder: Path) -> list[Path]:
    """The files in ``folder``, once there are some (codes are sent after the response)."""
    for _ in range(100):
        files = sorted(folder.glob("*.log"))
        if files:
            return files
        time.sleep(0.1)
    return []


def _walkthrough(base_url: str, tenant: dict, var_dir: Path, tmp_path: Path) -> list[str]:
    """Use the server as a tenant, an app and a user do; return every secret seen on the way."""
    secrets = [tenant["secretKey"]]
    backend = authsignal_client(tenant["secretKey"], base_url)
    backend.update_user("alice", {"email": "alice@example.com", "phoneNumber": "+15550001234"})
    enroll = backend.track("alice", "enroll", {"scope": "add:authenticators"})
    phone = InAppDevice(RecognizeClient(base_url, tenant["tenantId"]), tmp_path / "phone.json")
    phone.bind(token=enroll["token"], name="Phone")
    tracked = backend.track("alice", "signIn", {"redirectUrl": "https://shop.example/done"})
    secrets += [enroll["token"], tracked["token"]]

    browser = requests.Session()  # opens track's url as a browser does
    url = urlsplit(tracked["url"])
    assert not url.query, tracked["url"]
    browser.get(f"{base_url}{url.path}", timeout=10)
    token = parse_qs(url.fragment)["token"][0]
    assert "Confirm it" in browser.post(f"{base_url}{url.path}", {"token": token}).text
    browser.get(f"{base_url}/challenge?token={token}", timeout=10)  # an old-style link
    verified = phone.verify(token=tracked["token"])
    secrets.append(verified["token"])
    page = browser.post(f"{base_url}/challenge", {"token": tracked["token"]}, timeout=10).text
    continue_token = re.search(r"#token=([^\"&]+)", page).group(1)
    secrets.append(continue_token)
    assert backend.validate_challenge({"token": verified["token"]})["is_valid"] is True

    seen = set((var_dir / "mail").glob("*.log"))  # the security e-mail about the new phone
    session, csrf = _portal_session(base_url, tenant["tenantId"])
    session.post(
        f"{base_url}/portal/t/{tenant['tenantId']}/",
        {"address": "alice@example.com", "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    message = _newest_mail(var_dir, seen)
    code, link = CODE.search(message).group(1), LINK_TOKEN.search(message).group(1)
    secrets += [code, link]
    linked, csrf = _portal_session(base_url, tenant["tenantId"])
    linked.get(f"{base_url}/portal/link", timeout=10)
    signed_in = linked.post(
        f"{base_url}/portal/link", {"token": link, "csrfmiddlewaretoken": csrf}, timeout=10
    )
    assert "Hello" in signed_in.text or signed_in.url.endswith("/portal/")

    texter, csrf = _portal_session(base_url, tenant["tenantId"])
    texter.post(
        f"{base_url}/portal/t/{tenant['tenantId']}/",
        {"address": "+15550001234", "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    sms_files = _written(var_dir / "sms")
    assert sms_files, "DEBUG on: the SMS is kept in a private file"
    secrets.append(re.search(r"\b(\d{6})\b", sms_files[-1].read_text()).group(1))
    for path in [*seen, *sms_files]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in ["mail", "sms"]:
        assert stat.S_IMODE((var_dir / folder).stat().st_mode) == 0o700
    return secrets


def test_item01_no_secret_in_gunicorn_output_after_a_walkthrough(served, tmp_path):
    base_url, tenant, var_dir, output = served
    secrets = _walkthrough(base_url, tenant, var_dir, tmp_path)
    time.sleep(0.5)  # let the workers flush their access-log lines
    log = output.read_text()
    assert '"POST /v1/users/alice/actions/signIn HTTP/1.1" 200' in log  # the log is written
    assert "GET /challenge?token=[redacted]" in log
    leaked = [secret for secret in secrets if secret in log]
    assert not leaked, [secret[:12] for secret in leaked]
    assert tenant["secretKey"][:12] not in log


def test_item01_track_url_carries_the_token_in_the_fragment(served):
    base_url, tenant, _, _ = served
    tracked = authsignal_client(tenant["secretKey"], base_url).track("bob", "signIn", {})
    url = urlsplit(tracked["url"])
    assert url.query == "" and parse_qs(url.fragment)["token"] == [tracked["token"]]


def test_item15_gunicorn_414_is_in_the_api_error_format(served):
    base_url, _, _, _ = served
    response = requests.get(f"{base_url}/v1/users/{'a' * 9000}", timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "uri_too_long",
        "errorCode": "uri_too_long",
        "errorDescription": "URI Too Long",
    }


def test_item01_a_malformed_request_line_is_logged_redacted(served):
    """gunicorn logs a request line it cannot parse; a credential in it is redacted."""
    base_url, _, _, output = served
    secret = "tok-" + os.urandom(8).hex()
    port = int(urlsplit(base_url).port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET /challenge?token={secret} HTTP/1.1 extra\r\n\r\n".encode())
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400") and "application/json" in answer
    assert secret not in answer
    time.sleep(0.5)
    log = output.read_text()
    assert "Invalid request" in log
    assert secret not in log


def test_item01_make_run_prints_no_secret_key(tmp_path):
    """Before gunicorn, ``make run`` runs ``demo_tenant``; its output is a log too."""
    recipe = re.search(
        r"^run:.*?^\t@(\$\(BIN\)/python manage.py demo_tenant)$", MAKEFILE.read_text(), re.M | re.S
    )
    command = recipe.group(1).replace("$(BIN)/", f"{BIN}/").split()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(RECOGNIZE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="recognize_project.settings")
    subprocess.run([*command[:2], "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    printed = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    secret = json.loads((tmp_path / "demo-tenant.json").read_text())["secretKey"]
    assert secret not in printed.stdout + printed.stderr
    assert json.loads(printed.stdout)["tenantId"]
