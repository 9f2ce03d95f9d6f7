"""Closed-loop load generator: P client processes × T threads, one client per thread.

Each client sends its next request as soon as the previous answer arrived (no think time),
over a fresh TCP connection per request (gunicorn's sync workers close it anyway). Processes
sidestep the GIL; threads spend nearly all their time blocked in ``recv``, which releases it.

Timeline of a run, on the shared ``time.monotonic`` clock (CLOCK_MONOTONIC, the same in every
process): all processes start, import and build their keys, report ready; the parent then
fixes ``start`` (clients begin: warm-up), ``measure_from`` and ``measure_to`` (clients stop).
A request counts when it *ends* inside the measured window; a flow counts when its last
request (validate) ends inside it. Errors count over the whole run, warm-up included.

Scenarios:
    ``health``  GET /v1/health in a loop.
    ``flow``    track → challenge → verify/in-app (ECDSA P-256 signing here) → validate, with
                every answer checked (state, token, ``isValid`` true).
"""

import gc
import multiprocessing
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from threading import Thread
from typing import Any, Protocol
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench.http import Address, HTTPFailure, basic_auth, post_json, request
from bench.procstat import CpuWindow
from recognize_sdk.keystore import DeviceKey

ENDPOINTS = {
    "health": ["health"],
    "flow": ["track", "challenge", "verify", "validate"],
}
ACTION_CODE = "bench-login"
MAX_ERRORS_PER_CLIENT = 200
READY_TIMEOUT = 60.0


class WindowSampler(Protocol):
    """Something to run during the measured window (CPU accounting, a profiler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ClientSpec:
    """One simulated app user: the tenant's user id and the device's private key (PEM)."""

    user_id: str = ""
    private_key_pem: bytes = b""


@dataclass(frozen=True)
class Schedule:
    start: float
    measure_from: float
    measure_to: float


@dataclass
class Recorder:
    """What one client thread (and then one process) observed inside the window."""

    schedule: Schedule
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    flow_latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_examples: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def _inside(self, end: float) -> bool:
        return self.schedule.measure_from <= end < self.schedule.measure_to

    def ok(self, endpoint: str, began: float, ended: float) -> None:
        if self._inside(ended):
            self.latencies[endpoint].append(ended - began)

    def flow(self, began: float, ended: float) -> None:
        if self._inside(ended):
            self.flow_latencies.append(ended - began)

    def error(self, endpoint: str, kind: str, detail: str) -> None:
        self.errors[f"{endpoint}: {kind}"] += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(f"{endpoint}: {kind} {detail}"[:300])

    def merge(self, other: "Recorder") -> None:
        for name, values in other.latencies.items():
            self.latencies[name].extend(values)
        self.flow_latencies.extend(other.flow_latencies)
        for name, count in other.errors.items():
            self.errors[name] += count
        self.error_examples.extend(other.error_examples[: max(0, 5 - len(self.error_examples))])

    def plain(self) -> dict[str, Any]:
        """A picklable snapshot for the parent process."""
        return {
            "latencies": dict(self.latencies),
            "flow_latencies": self.flow_latencies,
            "errors": dict(self.errors),
            "error_examples": self.error_examples,
            "cpu_seconds": self.cpu_seconds,
        }


def _health_client(address: Address, spec: ClientSpec, secret: str, rec: Recorder) -> None:
    while (began := time.monotonic()) < rec.schedule.measure_to:
        try:
            answer = request(address, "GET", "/v1/health")
            if answer.status != 200 or b'"ok"' not in answer.body:
                raise HTTPFailure(f"http_{answer.status}", answer.body[:100].decode("latin-1"))
        except HTTPFailure as failure:
            rec.error("health", failure.kind, str(failure))
            if sum(rec.errors.values()) >= MAX_ERRORS_PER_CLIENT:
                return
            time.sleep(0.01)
            continue
        rec.ok("health", began, time.monotonic())


def _flow_client(address: Address, spec: ClientSpec, secret: str, rec: Recorder) -> None:
    key = serialization.load_pem_private_key(spec.private_key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    device = DeviceKey(key)
    public_key = device.public_key
    server_auth = basic_auth(secret)
    track_path = f"/v1/users/{quote(spec.user_id, safe='')}/actions/{ACTION_CODE}"

    def call(endpoint: str, path: str, data: dict[str, Any], authorization: str) -> Any:
        began = time.monotonic()
        answer = post_json(address, path, data, authorization)
        rec.ok(endpoint, began, time.monotonic())
        return answer

    while (flow_began := time.monotonic()) < rec.schedule.measure_to:
        endpoint = "track"
        try:
            tracked = call("track", track_path, {}, server_auth)
            if tracked["state"] != "CHALLENGE_REQUIRED":
                raise HTTPFailure("unexpected_state", tracked["state"])
            bearer = f"Bearer {tracked['token']}"
            endpoint = "challenge"
            challenge_id = call("challenge", "/v1/client/challenge", {}, bearer)["challengeId"]
            endpoint = "verify"
            body = {
                "challengeId": challenge_id,
                "publicKey": public_key,
                "signature": device.sign(challenge_id),
            }
            verified = call("verify", "/v1/client/verify/in-app", body, bearer)
            if verified["state"] != "CHALLENGE_SUCCEEDED":
                raise HTTPFailure("unexpected_state", verified["state"])
            endpoint = "validate"
            validated = call("validate", "/v1/validate", {"token": verified["token"]}, server_auth)
            if validated.get("isValid") is not True:
                raise HTTPFailure("not_valid", str(validated)[:200])
        except (HTTPFailure, KeyError, TypeError) as failure:
            kind = failure.kind if isinstance(failure, HTTPFailure) else "bad_answer"
            rec.error(endpoint, kind, str(failure))
            if sum(rec.errors.values()) >= MAX_ERRORS_PER_CLIENT:
                return
            time.sleep(0.01)
            continue
        rec.flow(flow_began, time.monotonic())


SCENARIOS = {"health": _health_client, "flow": _flow_client}


def _process_main(
    scenario: str,
    address: Address,
    secret: str,
    specs: list[ClientSpec],
    conn: Connection,
) -> None:
    """One client process: wait for the schedule, run its threads, send back what it saw."""
    sys.setswitchinterval(0.001)  # a thread woken by recv waits at most ~1 ms for the GIL
    # A collection in this process would hold its threads' answers unread and count as server
    # latency: for a run of seconds the generator simply keeps its (little) cyclic garbage.
    gc.collect()
    gc.freeze()
    gc.disable()
    target = SCENARIOS[scenario]
    conn.send("ready")
    schedule: Schedule = conn.recv()
    recorders = [Recorder(schedule) for _ in specs]
    threads = [
        Thread(target=target, args=(address, spec, secret, rec), daemon=True)
        for spec, rec in zip(specs, recorders, strict=True)
    ]
    time.sleep(max(0.0, schedule.start - time.monotonic()))
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, schedule.measure_from - time.monotonic()))
    cpu_before = time.process_time()
    time.sleep(max(0.0, schedule.measure_to - time.monotonic()))
    cpu_used = time.process_time() - cpu_before
    for thread in threads:
        thread.join(timeout=15)
    total = Recorder(schedule, cpu_seconds=cpu_used)
    for rec in recorders:
        total.merge(rec)
    conn.send(total.plain())
    conn.close()


@dataclass(frozen=True)
class Stats:
    count: int
    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def stats(values: list[float], duration: float) -> Stats:
    ordered = sorted(values)
    return Stats(
        count=len(ordered),
        rate=len(ordered) / duration,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p90_ms=percentile(ordered, 0.90) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] * 1000) if ordered else 0.0,
    )


@dataclass
class RunResult:
    """Everything one run measured."""

    scenario: str
    clients: int
    processes: int
    warmup: float
    duration: float
    latencies: dict[str, list[float]]
    flow_latencies: list[float]
    errors: dict[str, int]
    error_examples: list[str]
    client_cpu_seconds: float
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    background_busy: float = 0.0  # machine busy just before the run (other people's work)

    def endpoint(self, name: str) -> Stats:
        return stats(self.latencies.get(name, []), self.duration)

    def all_requests(self) -> Stats:
        return stats([v for values in self.latencies.values() for v in values], self.duration)

    def flows(self) -> Stats:
        return stats(self.flow_latencies, self.duration)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def cpu_ms_per_request(self, seconds: float) -> float:
        return 1000 * seconds / max(1, self.requests)

    @property
    def foreign_share(self) -> float:
        """Share of the machine used by nothing this run accounts for (other people's work)."""
        cores = len(os.sched_getaffinity(0))
        return self.cpu_seconds.get("other", 0.0) / (cores * self.duration)


def default_processes(clients: int) -> int:
    """One process per client up to 4; more clients share 4 processes as threads."""
    return max(1, min(clients, 4))


def run(
    scenario: str,
    address: Address,
    secret: str,
    specs: list[ClientSpec],
    *,
    warmup: float,
    duration: float,
    processes: int | None = None,
    on_window: Callable[[list[int]], WindowSampler] | None = None,
) -> RunResult:
    """Run ``len(specs)`` clients of ``scenario`` for ``warmup`` + ``duration`` seconds.

    ``on_window`` is called in the parent with the client process ids once they are ready; it
    returns an object whose ``start()`` and ``stop()`` are called at the edges of the measured
    window (CPU accounting, a profiler), or None.
    """
    count = processes or default_processes(len(specs))
    shares = [specs[i::count] for i in range(count)]
    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    finished = False
    try:
        for share in shares:
            parent_end, child_end = context.Pipe()
            worker = context.Process(
                target=_process_main,
                args=(scenario, address, secret, share, child_end),
                daemon=True,
            )
            worker.start()
            child_end.close()
            pipes.append(parent_end)
            workers.append(worker)
        for pipe in pipes:
            try:
                ready = pipe.poll(READY_TIMEOUT) and pipe.recv() == "ready"
            except EOFError:
                ready = False
            if not ready:
                raise RuntimeError("a load-generator process did not start")
        now = time.monotonic()
        schedule = Schedule(now + 0.2, now + 0.2 + warmup, now + 0.2 + warmup + duration)
        for pipe in pipes:
            pipe.send(schedule)
        sampler = on_window([w.pid for w in workers]) if on_window else None
        time.sleep(max(0.0, schedule.measure_from - time.monotonic()))
        if sampler is not None:
            sampler.start()
        time.sleep(max(0.0, schedule.measure_to - time.monotonic()))
        if sampler is not None:
            sampler.stop()
        total = Recorder(schedule)
        for pipe in pipes:
            try:
                plain = pipe.recv() if pipe.poll(30) else None
            except EOFError:
                plain = None
            if plain is None:
                raise RuntimeError("a load-generator process did not report")
            part = Recorder(schedule, cpu_seconds=plain["cpu_seconds"])
            part.latencies.update(plain["latencies"])
            part.flow_latencies = plain["flow_latencies"]
            part.errors.update(plain["errors"])
            part.error_examples = plain["error_examples"]
            total.merge(part)
            total.cpu_seconds += part.cpu_seconds
        finished = True
    finally:
        for worker in workers:
            if not finished:
                worker.kill()
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
    result = RunResult(
        scenario=scenario,
        clients=len(specs),
        processes=count,
        warmup=warmup,
        duration=duration,
        latencies={name: total.latencies.get(name, []) for name in ENDPOINTS[scenario]},
        flow_latencies=total.flow_latencies,
        errors=dict(total.errors),
        error_examples=total.error_examples,
        client_cpu_seconds=total.cpu_seconds,
    )
    if isinstance(sampler, CpuWindow):
        result.cpu_seconds = dict(sampler.seconds)
        result.machine_busy = sampler.machine_busy
    return result
