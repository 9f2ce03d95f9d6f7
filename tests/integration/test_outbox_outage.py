"""A broker outage delays events but loses none and sends none twice: a burst of changes
with webhook events, Redis stopped in the middle and started again, a real worker with its
beat sweeping the outbox; every event reaches the receiver exactly once."""

import collections
import json
import shutil
import socket
import subprocess
import sys
import time

import pytest

from events import webhooks
from events.models import DeliveryStatus, WebhookDelivery
from tests.integration.conftest import ROOT, worker_env, worker_start, worker_stop
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration

EVENTS = 40
BURST = """
import time
from accounts.models import EndUser
from devices.services import authenticator_enroll_verified
user = EndUser.objects.get(tenant__name="outage", external_id="alice")
for i in range({events}):
    authenticator_enroll_verified(
        user=user, verification_method="EMAIL_OTP", email=f"a{{i}}@x.example"
    )
    time.sleep(0.1)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, so stopping it disturbs nobody else."""

    def __init__(self, tmp_path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.process = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def outage_setup(real_services, transactional_db, tmp_path):
    from accounts.services import tenant_create, user_get_or_create

    tenant, _ = tenant_create(name="outage")
    user_get_or_create(tenant=tenant, external_id="alice")
    receiver = WebhookReceiver()
    webhooks.webhook_endpoint_create(tenant=tenant, url=receiver.url)
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = worker_env(
        redis_url=redis.url,
        queue="outage",
        RECOGNIZE_OUTBOX_SWEEP_SECONDS="1",
        RECOGNIZE_OUTBOX_SWEEP_GRACE_SECONDS="2",
    )
    worker = worker_start(
        env,
        "-B",
        "-s",
        str(tmp_path / "beat-schedule"),
        "-l",
        "error",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield env, redis, receiver
    worker_stop(worker)
    redis.stop()
    receiver.close()


def test_stopping_redis_mid_burst_loses_and_duplicates_nothing(outage_setup):
    env, redis, receiver = outage_setup
    burst = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", BURST.format(events=EVENTS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    receiver.wait_for(5, timeout=60)
    redis.stop()  # the broker goes away in the middle of the burst
    time.sleep(2)
    redis.start()  # empty: whatever was queued in it is gone
    assert burst.wait(timeout=120) == 0, burst.stderr.read().decode()[-2000:]

    arrived = receiver.wait_for(EVENTS, timeout=90)
    time.sleep(3)  # a few more sweeps: nothing may arrive twice
    ids = collections.Counter(json.loads(body)["id"] for _, body in receiver.received)
    assert len(ids) == EVENTS, f"{len(ids)} of {EVENTS} events arrived"
    assert max(ids.values()) == 1, "an event arrived twice"
    assert len(arrived) >= EVENTS
    rows = list(WebhookDelivery.objects.all())
    assert {row.status for row in rows} == {DeliveryStatus.DELIVERED}
    waits = sorted((row.delivered_at - row.created_at).total_seconds() for row in rows)
    assert waits[-1] > 1.5, "no event waited for the sweep: the outage was not exercised"
    print(f"delivery delays: median {waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s")
