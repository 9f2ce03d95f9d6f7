"""Single use under concurrency for the portal's factors and the recovery token: ten
browsers (or phones) at once, exactly one success (PostgreSQL, live server, real worker)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from accounts.models import EndUser, Tenant
from devices.factors.recovery_codes import recovery_codes_generate
from devices.models import Device
from recognize_sdk import RecognizeError
from recognize_sdk.face_device import FaceDevice
from recognize_sdk.recovery import deep_link_parse, recover
from tests.support import face_photo

pytestmark = pytest.mark.integration

THREADS = 10
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def alice(live, settings, smtp_server):
    # requests keeps Secure cookies off plain http; the flags are tested in tests/portal.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    live.server.update_user("alice", {"email": "alice@example.com"})
    return EndUser.objects.get(tenant=live.tenant, external_id="alice")


def _browser(url: str) -> tuple[requests.Session, str]:
    """A fresh browser that loaded ``url``; returns it and the form's CSRF token."""
    session = requests.Session()
    page = session.get(url, timeout=10)
    return session, CSRF.search(page.text).group(1)


def _race(prepare, submit) -> list[requests.Response]:
    """``prepare`` ten browsers one by one, then ``submit`` from all at the same moment."""
    prepared = [prepare() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def go(item):
        start.wait()
        return submit(*item)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(go, prepared))


def _signed_in(responses) -> int:
    return sum(1 for r in responses if r.status_code == 302 and r.headers["Location"] == "/portal/")


def test_ten_browsers_open_the_same_magic_link_exactly_one_signs_in(live, alice, smtp_server):
    _, mailbox = smtp_server
    session, csrf = _browser(f"{live.base_url}/portal/t/{live.tenant.pk}/")
    session.post(
        f"{live.base_url}/portal/t/{live.tenant.pk}/",
        data={"address": alice.email, "csrfmiddlewaretoken": csrf},
        timeout=10,
    )
    message = mailbox.wait_for(
        lambda m: "alice@example.com" in m["To"] and "sign-in" in m["Subject"]
    )
    link = re.search(r"/portal/link#token=(\S+)", message.get_body(("plain",)).get_content()).group(
        1
    )
    url = f"{live.base_url}/portal/link"

    responses = _race(
        lambda: _browser(url),
        lambda browser, token: browser.post(
            url,
            data={"csrfmiddlewaretoken": token, "token": link},
            allow_redirects=False,
            timeout=30,
        ),
    )

    assert _signed_in(responses) == 1
    assert {r.status_code for r in responses if r.status_code != 302} == {400}


def test_ten_browsers_use_the_same_recovery_code_exactly_one_signs_in(live, alice, settings):
    # Ten browsers on one machine: more than one address's share of sign-ins a minute.
    settings.RECOGNIZE_PORTAL_ATTEMPTS_PER_MINUTE = 100
    # A recovery code signs in alone only where the tenant chose that (security item 7).
    Tenant.objects.filter(pk=live.tenant.pk).update(portal_sign_in="CODE_OR_APP")
    code = recovery_codes_generate(user=alice)[0]
    sign_in = f"{live.base_url}/portal/t/{live.tenant.pk}/"

    def prepare():
        browser, token = _browser(sign_in)
        browser.post(sign_in, data={"address": "nobody@example.com", "csrfmiddlewaretoken": token})
        browser.post(sign_in, data={"address": alice.email, "csrfmiddlewaretoken": token})
        return browser, CSRF.search(browser.get(f"{live.base_url}/portal/code").text).group(1)

    responses = _race(
        prepare,
        lambda browser, token: browser.post(
            f"{live.base_url}/portal/code",
            data={"step": "RECOVERY_CODE", "code": code, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=30,
        ),
    )

    assert _signed_in(responses) == 1


def test_ten_phones_spend_the_same_recovery_token_exactly_one_is_bound(live, alice):
    face = FaceDevice(live.bound_device("alice", name="phone-a"))
    enroll = live.track("alice", "enroll", scope="add:authenticators")["token"]
    face.enroll(token=enroll, image=face_photo("dev/id01/img1.jpg"))
    backup_token = live.track("alice", "addBackup", scope="add:authenticators")["token"]
    backup = face.create_client_state(token=backup_token, type="BACKUP")["clientState"]
    started = live.server.session.post(
        f"{live.server.api_url}/users/alice/recovery"
    ).decamelized_content
    _, token = deep_link_parse(started["url"])
    selfie = face_photo("dev/id01/img2.jpg")
    phones = iter([live.device(f"phone-{i}") for i in range(THREADS)])
    lock = threading.Lock()

    def attempt(_):
        with lock:
            phone = next(phones)
        try:
            return recover(phone, token=token, client_state=backup, image=selfie)["status"]
        except RecognizeError as error:
            return error.code

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(attempt, range(THREADS)))

    assert results.count("SUCCEEDED") == 1, results
    assert Device.objects.filter(user=alice, type="SDK").count() == 2  # phone A + one new
