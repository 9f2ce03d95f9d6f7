"""pytest fixtures running the push stand-ins and pointing the push settings at them.

Import the fixtures into a conftest (``from tests.push_standins.fixtures import ...``):
``push_tls`` (session CA + server certificate), ``webpush_standin``, ``fcm_standin``,
``apns_standin``. Each stand-in fixture configures its channel in Django settings (and trusts
the test CA for push connections) for the duration of the test.
"""

import pytest

from tests.push_standins.apns import ApnsStandIn
from tests.push_standins.fcm import FcmStandIn
from tests.push_standins.tls import TestTls, make_test_tls
from tests.push_standins.webpush import WebPushStandIn


@pytest.fixture(scope="session")
def push_tls(tmp_path_factory) -> TestTls:
    """A test CA and a certificate for 127.0.0.1 that every push stand-in serves."""
    return make_test_tls(tmp_path_factory.mktemp("push-tls"))


def _close(standin) -> None:
    from devices.push import push_connections_close

    # Drop pooled connections first, so the server does not wait for them to go idle.
    push_connections_close()
    standin.close()


@pytest.fixture
def webpush_standin(settings, push_tls):
    """A push service on 127.0.0.1; Web Push configured with a VAPID subject."""
    standin = WebPushStandIn(push_tls)
    settings.RECOGNIZE_PUSH_CA_FILE = push_tls.ca_file
    settings.RECOGNIZE_PUSH_VAPID_SUBJECT = "mailto:security@recognize.example"
    settings.RECOGNIZE_PUSH_WEBPUSH_HOSTS = ["127.0.0.1"]
    yield standin
    _close(standin)


@pytest.fixture
def fcm_standin(settings, push_tls, tmp_path):
    """FCM and its token endpoint on 127.0.0.1; FCM configured with its service account."""
    standin = FcmStandIn(push_tls)
    settings.RECOGNIZE_PUSH_CA_FILE = push_tls.ca_file
    settings.RECOGNIZE_PUSH_FCM_API_URL = standin.url
    settings.RECOGNIZE_PUSH_FCM_SERVICE_ACCOUNT_FILE = standin.write_service_account(
        tmp_path / "service-account.json"
    )
    yield standin
    _close(standin)


@pytest.fixture
def apns_standin(settings, push_tls, tmp_path):
    """APNs (HTTP/2 over TLS) on 127.0.0.1; APNs configured with its signing key and topic."""
    standin = ApnsStandIn(push_tls)
    settings.RECOGNIZE_PUSH_CA_FILE = push_tls.ca_file
    settings.RECOGNIZE_PUSH_APNS_URL = standin.url
    settings.RECOGNIZE_PUSH_APNS_KEY_FILE = standin.write_signing_key(
        tmp_path / f"AuthKey_{standin.key_id}.p8"
    )
    settings.RECOGNIZE_PUSH_APNS_KEY_ID = standin.key_id
    settings.RECOGNIZE_PUSH_APNS_TEAM_ID = standin.team_id
    settings.RECOGNIZE_PUSH_APNS_TOPIC = standin.topic
    yield standin
    _close(standin)
