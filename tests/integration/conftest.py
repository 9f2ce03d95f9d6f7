"""Real parts for the integration suite: PostgreSQL, Redis, a Celery worker process and a
local SMTP server. Without them the suite skips with the reason; with CI=true it fails."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"integration suite cannot run in CI: {reason}", pytrace=False)
    print(f"\nSKIPPED integration suite: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_services(django_db_setup):
    """PostgreSQL as the test database and a reachable Redis, or skip."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        _unavailable("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        _unavailable("REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        _unavailable(f"Redis at {settings.REDIS_URL} does not answer: {error}")
    return settings


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes, policy

        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, predicate, timeout: float = 15.0):
        """The first message matching ``predicate``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no matching e-mail arrived")
                self._arrived.wait(remaining)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd) collecting what it receives."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def _database_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def worker_env(*, redis_url: str, queue: str, **extra: str) -> dict[str, str]:
    """The environment of a process that sends tasks to, or runs them from, ``queue`` in
    Redis at ``redis_url``, against the test database."""
    from django.db import connection

    return {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "RECOGNIZE_CELERY_QUEUE": queue,
        **extra,
    }


def worker_start(env: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    """A ``celery worker`` process (solo pool) on the queue ``env`` names (``worker_env``),
    with ``args`` added to its command line."""
    queue = env["RECOGNIZE_CELERY_QUEUE"]
    command = [sys.executable, "-m", "celery", "-A", "recognize_project", "worker"]
    command += ["-P", "solo", "-Q", queue, "--without-gossip", "--without-mingle", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, **popen)


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def celery_worker(real_services, smtp_server, live_server, django_db_blocker):
    """A real ``celery worker`` process on its own queue, against the test database; the
    links in the mail it sends point at the live server."""
    from django.db import connection

    from recognize_project.celery import app

    controller, _ = smtp_server
    queue = f"recognize-test-{os.getpid()}"
    env = worker_env(
        redis_url=real_services.REDIS_URL,
        queue=queue,
        RECOGNIZE_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
        RECOGNIZE_PUBLIC_URL=live_server.url,
    )
    process = worker_start(env, "-n", f"{queue}@%h", "-l", "warning")
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Celery worker process did not start", pytrace=False)
        yield process
    finally:
        worker_stop(process)
        with django_db_blocker.unblock():
            _end_other_sessions(connection)


def _end_other_sessions(connection, timeout: float = 5.0) -> None:
    """Let the test database be dropped: wait for the worker's sessions to end, then end
    whatever idle session is left (a finished live-server thread's connection awaiting GC)."""
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.2)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


@pytest.fixture
def live(celery_worker, live_server, tmp_path, transactional_db, settings):
    """A tenant whose backend and devices talk real HTTP to a live server, which knows its
    own public URL (as the worker does)."""
    from tests.support import TenantContext

    settings.RECOGNIZE_PUBLIC_URL = live_server.url

    return TenantContext("live", tmp_path, base_url=live_server.url)


CHROMIUM = os.environ.get("RECOGNIZE_CHROMIUM", "/usr/bin/chromium")


def _no_browser(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser tests cannot run in CI: {reason}", pytrace=False)
    print(f"\nSKIPPED browser tests: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture
def browser(live):
    """Headless Chromium. It is set up after ``live``, so it is closed before the database is
    flushed: while Playwright runs, its event loop is this thread's running loop and Django
    refuses ORM calls here, so a browser test talks to the server over HTTP only."""
    if not os.access(CHROMIUM, os.X_OK):
        _no_browser(f"{CHROMIUM} is missing (scripts/chromium.sh installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (requirements/dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield chromium
        finally:
            chromium.close()
