"""``python -m bench.push``: the push round trip behind ``make bench``.

gunicorn (2 sync workers) + PostgreSQL + Redis + a real Celery worker process. One user's
device is registered for Web Push at a local push service (the test stand-in, which checks
VAPID and decrypts the message as a browser would); each round, one at a time:
track ``signIn`` → the worker delivers the push → the "browser" has the decrypted message →
the device approves with the number and its key signature → the backend validates. A second
device is poll-only (polling every 50 ms). Reports p50/p99 of delivery and of the whole round
trip, and writes the ``## Push`` section of docs/benchmarks.md.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import report, server
from bench.face import CeleryWorker, percentile

TITLE = "## Push"
POLL_INTERVAL = 0.05


def _push_env(tls) -> dict[str, str]:
    return {
        "RECOGNIZE_PUSH_CA_FILE": tls.ca_file,
        "RECOGNIZE_PUSH_VAPID_SUBJECT": "mailto:bench@recognize.example",
        "RECOGNIZE_PUSH_WEBPUSH_HOSTS": "127.0.0.1",
    }


class PushEnvironment(server.Environment):
    extra: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {**super().env(), **self.extra}


def _rounds(gunicorn, tenant, standin, rounds: int) -> dict[str, dict[str, float]]:
    from authsignal.client import AuthsignalClient

    from recognize_sdk import RecognizeClient
    from recognize_sdk.device import InAppDevice
    from recognize_sdk.push_device import PushDevice
    from tests.push_standins.webpush import WebPushBrowser

    base = f"http://127.0.0.1:{gunicorn.port}"
    backend = AuthsignalClient(api_secret_key=tenant.secret_key, api_url=f"{base}/v1", timeout=30)
    client = RecognizeClient(base, tenant.tenant_id, timeout=30)
    folder = Path(tempfile.mkdtemp(prefix="recognize-bench-push-"))
    vapid = client.request("GET", "/v1/client/push/vapid-public-key")["publicKey"]
    browser = WebPushBrowser()
    web = PushDevice(InAppDevice(client, folder / "web.json"))
    enroll = backend.track("web-user", "enroll", {"scope": "add:authenticators"})["token"]
    web.register(token=enroll, channel="WEB_PUSH", registration=standin.subscribe(browser, vapid))
    poller = PushDevice(InAppDevice(client, folder / "poll.json"))
    poller.register(
        token=backend.track("poll-user", "enroll", {"scope": "add:authenticators"})["token"]
    )
    results = {}
    for name, user, device in (("Web Push", "web-user", web), ("poll-only", "poll-user", poller)):
        delivered, whole = [], []
        for index in range(rounds + 3):
            seen = len(browser.messages)
            start = time.perf_counter()
            tracked = backend.track(user, "signIn")
            if device is web:
                while len(browser.messages) == seen:
                    time.sleep(0.001)
                challenge_id = browser.messages[-1]["challengeId"]
            else:
                challenge_id = device.poll()["challengeId"]
                while challenge_id is None:
                    time.sleep(POLL_INTERVAL)
                    challenge_id = device.poll()["challengeId"]
            arrived = time.perf_counter()
            answer = device.answer(
                approved=True,
                challenge_id=challenge_id,
                code=tracked.get("push_verification_code"),
            )
            assert answer["isVerified"], answer
            assert backend.validate_challenge({"token": tracked["token"]})["is_valid"]
            done = time.perf_counter()
            if index >= 3:  # warm-up rounds open connections and load code
                delivered.append((arrived - start) * 1000)
                whole.append((done - start) * 1000)
        results[name] = {
            "delivered_p50": percentile(delivered, 0.5),
            "delivered_p99": percentile(delivered, 0.99),
            "p50": percentile(whole, 0.5),
            "p99": percentile(whole, 0.99),
            "count": len(whole),
        }
    return results


def render(results: dict) -> str:
    lines = [
        TITLE,
        "",
        f"Run {results['when']} on {results['machine']} with `python -m bench.push` "
        "(part of `make bench`).",
        "",
        "| device | track → delivered p50 / p99 | track → validated p50 / p99 | rounds |",
        "|---|---|---|---|",
    ]
    for name, row in results["rounds"].items():
        lines.append(
            f"| {name} | {row['delivered_p50']:.1f} / {row['delivered_p99']:.1f} ms "
            f"| {row['p50']:.1f} / {row['p99']:.1f} ms | {row['count']} |"
        )
    lines += [
        "",
        "Method: one round at a time. Web Push: the worker takes the push task from Redis, "
        "signs a VAPID token, encrypts the message (aes128gcm) and POSTs it over TLS to a local "
        "push service (the test stand-in, which verifies VAPID and decrypts like a browser); "
        "'delivered' is when the decrypted message is in the browser's hands. Poll-only: the "
        f"device polls every {POLL_INTERVAL * 1000:.0f} ms (signed request), so delivery "
        "includes up to one polling interval. Then the device approves (number + ECDSA "
        "signature over the challenge id) and the backend validates with the official SDK. "
        "Number matching on; push limits raised for the run.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)
    from tests.push_standins.tls import make_test_tls
    from tests.push_standins.webpush import WebPushStandIn

    results = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
    }
    environment = PushEnvironment()
    tls = make_test_tls(environment.var_dir)
    environment.extra = _push_env(tls)
    os.environ["RECOGNIZE_PUSH_CA_FILE"] = tls.ca_file
    standin = WebPushStandIn(tls)
    gunicorn, worker = server.Gunicorn(environment), CeleryWorker(environment)
    try:
        tenant = server.prepare(environment)
        environment.manage(
            "shell",
            "-c",
            "from accounts.models import Tenant; "
            "Tenant.objects.update(push_max_per_hour=30000, push_max_pending=100)",
        )
        worker.start()
        gunicorn.start()
        print("push round trips…", file=sys.stderr)
        results["rounds"] = _rounds(gunicorn, tenant, standin, args.rounds)
    finally:
        gunicorn.stop()
        worker.stop()
        standin.close()
        environment.cleanup()
    report.section_publish(render(results), TITLE, write=not args.no_report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
