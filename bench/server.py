"""The system under test: a fresh database, Redis db 14, migrations, a tenant, and gunicorn."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from bench.http import HTTPFailure, request

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "recognize_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/14"
WORKERS = 2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_database() -> None:
    """Drop and create ``recognize_bench`` (closing leftover sessions of an aborted run)."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def autovacuum_is_on() -> bool:
    with psycopg.connect(PG_ADMIN_URL) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    return bool(row) and row[0] == "on"


def vacuum() -> None:
    """``VACUUM (ANALYZE)`` of ``recognize_bench``: what autovacuum would have done by now.

    A production PostgreSQL runs autovacuum (it is on by default), which keeps statistics
    current and dead row versions few. Where it is off, as on this machine's PostgreSQL, the
    tables of a benchmark collect every row version of every run and keep the statistics of
    the empty tables the migrations made, so later runs measure neglect, not the code; the
    run therefore vacuums before each measurement, outside the measured window.
    """
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def flush_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Environment:
    """Process environment for manage.py and gunicorn, with a private ``RECOGNIZE_VAR_DIR``."""

    var_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="recognize-bench-")))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOGNIZE_", "CELERY_"))}
        env.update(
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            RECOGNIZE_VAR_DIR=str(self.var_dir),
            # All load comes from one address: count it (the limiter's cost is measured) but
            # never refuse it.
            RECOGNIZE_CLIENT_RATE_PER_MINUTE="100000000",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def cleanup(self) -> None:
        shutil.rmtree(self.var_dir, ignore_errors=True)


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    secret_key: str


def prepare(environment: Environment) -> Tenant:
    """Fresh database and Redis db, migrations, one tenant."""
    reset_database()
    flush_redis()
    environment.manage("migrate", "--noinput", "-v0", timeout=300)
    created = json.loads(environment.manage("create_tenant", "bench").strip().splitlines()[-1])
    return Tenant(created["tenantId"], created["secretKey"])


class Gunicorn:
    """``gunicorn recognize_project.wsgi --workers 2`` (sync), access log off."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.port = free_port()
        self.address = ("127.0.0.1", self.port)
        self.log_path = environment.var_dir / "gunicorn.log"
        self.process: subprocess.Popen | None = None
        self.command = [
            str(BIN / "gunicorn"),
            "recognize_project.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--error-logfile",
            str(self.log_path),
        ]

    def start(self, timeout: float = 30.0) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO,
            env=self.environment.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                answered = request(self.address, "GET", "/v1/health", timeout=2).status == 200
            except HTTPFailure:
                answered = False
            if answered and len(self.worker_pids()) == WORKERS:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /v1/health:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        from bench.procstat import children_of

        return children_of(self.process.pid) if self.process else []

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Graceful stop (SIGTERM), then SIGKILL to the process group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def versions() -> dict[str, str]:
    """Python, Django, DRF, gunicorn, psycopg, PostgreSQL server and Redis server versions."""
    import django
    import gunicorn
    import rest_framework

    found = {
        "Python": sys.version.split()[0],
        "Django": django.get_version(),
        "Django REST framework": rest_framework.VERSION,
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
    }
    with psycopg.connect(PG_ADMIN_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        found["PostgreSQL"] = row[0] if row else "?"
        settings = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('synchronous_commit', 'fsync', 'shared_buffers', 'max_connections', 'autovacuum')"
        ).fetchall()
        found["PostgreSQL settings"] = ", ".join(f"{name}={value}" for name, value in settings)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        found["Redis"] = str(client.info("server")["redis_version"])
    finally:
        client.close()
    return found


def machine() -> dict[str, str]:
    """CPU count and model, RAM, kernel."""
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": model,
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "Kernel": os.uname().release,
    }
