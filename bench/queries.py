"""SQL statements, round trips, commits and CPU per endpoint of the in-app flow.

Run by ``bench.run`` as ``python -m bench.queries SECRET_KEY`` with the benchmark's environment
(``DATABASE_URL`` of ``recognize_bench``); prints one JSON object. Requests go through Django's
test client, so the whole middleware and DRF stack runs, in process (no HTTP, no gunicorn).
Before each request the connection is treated as Django's ``request_started`` signal would in
gunicorn (``close_if_unusable_or_obsolete``), so the per-request health check that
``CONN_HEALTH_CHECKS=True`` adds is counted as well.

Counted per request, on one flow after a warm-up flow:
    statements     SQL sent through Django cursors (including SAVEPOINT / RELEASE)
    health checks  ``SELECT 1`` of ``is_usable()`` (bypasses Django cursors)
    transactions   explicit ones (``atomic``: BEGIN … COMMIT, two more round trips each)
    autocommit     statements outside ``atomic``, each its own implicit transaction
    write commits  transactions that wrote (each waits for a WAL flush with
                   ``synchronous_commit=on``)
Timed per request, as the mean over ``ROUNDS`` further flows:
    cpu_ms         CPU of this (Django) process
    pg_cpu_ms      CPU of its PostgreSQL backend process (from /proc, 10 ms ticks summed)
"""

import json
import os
import re
import sys
import time
from collections import Counter
from typing import Any

from bench.procstat import process_cpu_seconds

WRITE_VERBS = {"INSERT", "UPDATE", "DELETE"}
FLOW = ("track", "challenge", "verify", "validate")
ROUNDS = 40


def _summary(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    text = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", text)
    text = re.sub(r"^INSERT INTO (\S+) \(.*?\) VALUES .*$", r"INSERT INTO \1", text)
    text = re.sub(r"^UPDATE (\S+) SET .*? WHERE ", r"UPDATE \1 SET … WHERE ", text)
    text = re.sub(r"%s|'[^']*'|\b\d+\b", "?", text)
    return text[:140]


class Recorder:
    """Wraps the connection's execution, health check and commit to log events in order."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.events: list[tuple[str, str, bool]] = []
        original_is_usable = connection.is_usable
        original_commit = connection.commit

        def is_usable() -> bool:
            self.events.append(("health", "SELECT 1", False))
            return original_is_usable()

        def commit() -> None:
            self.events.append(("commit", "COMMIT", True))
            original_commit()

        connection.is_usable = is_usable
        connection.commit = commit

    def __call__(self, execute, sql, params, many, context):  # Django execute_wrapper
        self.events.append(("sql", sql, self.connection.in_atomic_block))
        return execute(sql, params, many, context)

    def take(self) -> dict[str, Any]:
        """Summarize and forget the events since the last call."""
        events, self.events = self.events, []
        verbs: Counter[str] = Counter()
        statements, autocommit, explicit, write_commits = [], 0, 0, 0
        in_tx_writes = False
        for kind, sql, atomic in events:
            if kind == "health":
                continue
            if kind == "commit":
                explicit += 1
                write_commits += in_tx_writes
                in_tx_writes = False
                continue
            verb = sql.lstrip().split(" ", 1)[0].upper()
            verbs[verb] += 1
            statements.append(_summary(sql))
            writes = verb in WRITE_VERBS or (
                verb == "WITH" and any(f" {w} " in sql.upper() for w in WRITE_VERBS)
            )
            if atomic:
                in_tx_writes = in_tx_writes or writes
            else:
                autocommit += 1
                write_commits += writes
        health = sum(1 for kind, _, _ in events if kind == "health")
        return {
            "statements": len(statements),
            "verbs": dict(verbs),
            "health_checks": health,
            "explicit_transactions": explicit,
            "autocommit_statements": autocommit,
            "write_commits": write_commits,
            "round_trips": len(statements) + health + 2 * explicit,
            "sql": statements,
        }


def measure(secret: str, rounds: int = ROUNDS) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recognize_project.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.http import basic_auth
    from recognize_sdk.keystore import DeviceKey

    client = Client()
    recorder = Recorder(connection)
    server_auth = basic_auth(secret)
    results: dict[str, Any] = {}
    cpu = {name: [0.0, 0.0] for name in ("health", *FLOW)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def call(name: str, path: str, data: dict | None, authorization: str, mode: str) -> dict:
        """One request; ``mode`` is "record" (SQL), "time" (CPU) or "plain" (warm-up)."""
        connection.close_if_unusable_or_obsolete()  # what request_started does in gunicorn
        began, pg_began = time.process_time(), process_cpu_seconds(backend)
        with connection.execute_wrapper(recorder):
            if data is None:
                answer = client.get(path, HTTP_AUTHORIZATION=authorization)
            else:
                answer = client.post(
                    path, data, content_type="application/json", HTTP_AUTHORIZATION=authorization
                )
        if mode == "time":
            cpu[name][0] += time.process_time() - began
            cpu[name][1] += process_cpu_seconds(backend) - pg_began
        summary = recorder.take()
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.content[:300]!r}")
        if mode == "record":
            results[name] = summary
        return answer.json()

    call("health", "/v1/health", None, "", "record")
    key = DeviceKey.generate()
    user_path = "/v1/users/bench-queries/actions"
    scope = {"scope": "add:authenticators"}
    tracked = call("setup: track", f"{user_path}/enroll", scope, server_auth, "record")
    call(
        "setup: bind device",
        "/v1/client/user-authenticators/in-app",
        {"publicKey": key.public_key, "deviceName": "bench"},
        f"Bearer {tracked['token']}",
        "record",
    )

    def flow(mode: str) -> None:
        track = call("track", f"{user_path}/bench-login", {}, server_auth, mode)
        bearer = f"Bearer {track['token']}"
        challenge_id = call("challenge", "/v1/client/challenge", {}, bearer, mode)["challengeId"]
        body = {
            "challengeId": challenge_id,
            "publicKey": key.public_key,
            "signature": key.sign(challenge_id),
        }
        verified = call("verify", "/v1/client/verify/in-app", body, bearer, mode)
        valid = call("validate", "/v1/validate", {"token": verified["token"]}, server_auth, mode)
        assert valid["isValid"] is True
        call("health", "/v1/health", None, "", "time" if mode == "time" else "plain")

    flow("plain")  # first-use caches: keys, URL resolver, serializers
    flow("record")
    for _ in range(rounds):
        flow("time")
    for name, (python_seconds, pg_seconds) in cpu.items():
        results[name]["cpu_ms"] = 1000 * python_seconds / rounds
        results[name]["pg_cpu_ms"] = 1000 * pg_seconds / rounds
    return results


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1])))
