"""``python -m bench.run``: the in-app flow benchmark behind ``make bench``.

Fresh ``recognize_bench`` database and Redis db 14, migrations, a tenant, gunicorn with two sync
workers; then, with one load generator: the bare ``GET /v1/health``, ``wrk`` on it when
installed, the whole flow at 16, 4 and 1 clients, and the SQL each flow request sends. Prints the
results and the target verdicts, and rewrites the ``## In-app flow`` section of
``docs/benchmarks.md``. Everything it starts is stopped in ``finally``; a watchdog bounds the
whole run.
"""

import argparse
import json
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import loadgen, profile, report, server
from bench.loadgen import ClientSpec, RunResult
from bench.procstat import CpuWindow, kernel_threads, pids_named, wait_for_quiet
from bench.users import bind_users

BARE_TARGET_SHARE = 0.25
P99_TARGET_MS = 50.0
HISTORY = 6.0  # seconds of unmeasured flows before the first measured run
QUIET_BUDGET_SECONDS = 20.0  # total time the runs may wait for other work on the machine to stop


class Watchdog(Exception):
    """The run took longer than its time bound."""


class Terminated(Exception):
    """SIGTERM (or SIGINT) arrived; unwinding stops everything the run started."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Watchdog("the benchmark exceeded its time bound")


def _on_terminate(signum: int, frame: Any) -> None:
    raise Terminated(f"stopped by signal {signum}")


def time_bound(args: argparse.Namespace) -> int:
    """Seconds the whole run may take: setup, quiet waits, runs, wrk, SQL count, margin."""
    run = args.warmup + args.duration + 4
    runs = 2 * args.pairs + len(args.clients) - 1 + (1 if args.profile else 0)
    wrk = 0 if args.no_wrk else args.duration + 2
    return round(60 + HISTORY + QUIET_BUDGET_SECONDS + runs * run + wrk + 15)


class QuietGate:
    """Before each run: vacuum where autovacuum is off (``server.vacuum``), then wait for the
    machine to be idle, within a budget for the whole bench."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.vacuum = not server.autovacuum_is_on()

    def wait(self) -> float:
        if self.vacuum:
            server.vacuum()
        began = time.monotonic()
        busy = wait_for_quiet(max_wait=min(5.0, self.budget))
        self.budget = max(0.0, self.budget - (time.monotonic() - began))
        return busy


def cpu_sampler(gunicorn: server.Gunicorn) -> Callable[[list[int]], CpuWindow]:
    """A factory for ``loadgen.run(on_window=…)``: CPU accounting of every process group."""

    def make(loadgen_pids: list[int]) -> CpuWindow:
        return CpuWindow(
            groups={
                "gunicorn workers": gunicorn.worker_pids(),
                "postgres": pids_named("postgres"),
                "redis": pids_named("redis-server"),
                "load generator": loadgen_pids,
                "kernel threads": kernel_threads(),
            }
        )

    return make


def run_wrk(gunicorn: server.Gunicorn, duration: float, connections: int) -> report.WrkResult:
    """``wrk -t2 -cN --latency`` on /v1/health, with its CPU time and the server's."""
    threads = 2
    window = CpuWindow(
        groups={"gunicorn workers": gunicorn.worker_pids(), "postgres": pids_named("postgres")}
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    window.start()
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{round(duration)}s",
            "--latency",
            f"http://{gunicorn.address[0]}:{gunicorn.port}/v1/health",
        ],
        capture_output=True,
        text=True,
        timeout=duration + 30,
        check=False,
    )
    window.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = done.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate_match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total_match = re.search(r"(\d+) requests in", text)
    rate = float(rate_match[1]) if rate_match else 0.0
    total = int(total_match[1]) if total_match else 0
    problems = [
        line.strip() for line in text.splitlines() if "Socket errors" in line or "Non-2xx" in line
    ]
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return report.WrkResult(
        threads=threads,
        connections=connections,
        duration=duration,
        requests_per_second=rate,
        p50_ms=latency("50"),
        p90_ms=latency("90"),
        p99_ms=latency("99"),
        errors="; ".join(problems) or "0",
        cpu_ms_per_request=1000 * client_cpu / max(1, total),
        server_cpu_ms_per_request={
            name: 1000 * seconds / max(1, total) for name, seconds in window.seconds.items()
        },
    )


def count_queries(environment: server.Environment, secret: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(server.BIN / "python"), "-m", "bench.queries", secret],
        cwd=server.REPO,
        env=environment.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.queries failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(health: RunResult, flow16: RunResult) -> float:
    """flows/s as a share of (bare req/s ÷ 4)."""
    return flow16.flows().rate / max(1e-9, health.endpoint("health").rate / 4)


def targets(health: RunResult, flow16: RunResult) -> list[report.Target]:
    bare = health.endpoint("health").rate
    needed = BARE_TARGET_SHARE * bare / 4
    flows = flow16.flows().rate
    worst = max(
        ((name, flow16.endpoint(name).p99_ms) for name in loadgen.ENDPOINTS["flow"]),
        key=lambda item: item[1],
    )
    clean = health.error_count == 0 and flow16.error_count == 0
    return [
        report.Target(
            "flows/s ≥ 25 % of (bare req/s ÷ 4)",
            f"{flows:.1f} flows/s = {100 * flows / max(1e-9, bare / 4):.1f} % of {bare:.0f} ÷ 4",
            f"≥ {needed:.1f} flows/s",
            flows >= needed,
        ),
        report.Target(
            "p99 of every flow request ≤ 50 ms",
            f"worst: {worst[0]} {worst[1]:.1f} ms",
            f"≤ {P99_TARGET_MS:.0f} ms",
            worst[1] <= P99_TARGET_MS,
        ),
        report.Target(
            "no errors",
            f"{health.error_count + flow16.error_count}",
            "0",
            clean,
        ),
    ]


def _print_run(result: RunResult) -> None:
    if result.scenario == "health":
        s = result.endpoint("health")
        head = f"health ×{result.clients}: {s.rate:.0f} req/s p50 {s.p50_ms:.1f} p99 {s.p99_ms:.1f}"
    else:
        f = result.flows()
        head = f"flow ×{result.clients}: {f.rate:.1f} flows/s p50 {f.p50_ms:.1f} p99 {f.p99_ms:.1f}"
        for name in loadgen.ENDPOINTS["flow"]:
            s = result.endpoint(name)
            head += f" | {name} p50 {s.p50_ms:.1f} p99 {s.p99_ms:.1f}"
    cpu = ", ".join(f"{k} {v:.2f}s" for k, v in result.cpu_seconds.items())
    print(
        f"{head} | errors {result.error_count} | client CPU "
        f"{result.cpu_ms_per_request(result.client_cpu_seconds):.3f} ms/req | {cpu} | "
        f"busy {100 * result.machine_busy:.0f} %",
        flush=True,
    )
    for example in result.error_examples:
        print(f"  error: {example}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds (default 2)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[16, 4, 1], help="flow runs (default 16 4 1)"
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="bare and 16-client flow runs, alternated this many times; the targets use the "
        "pair with the median ratio (default 3)",
    )
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk cross-check")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also record the workers with py-spy during an extra 16-client flow run",
    )
    parser.add_argument(
        "--output", type=Path, default=server.REPO / "docs" / "benchmarks.md", help="report file"
    )
    parser.add_argument("--no-report", action="store_true", help="print only, leave docs alone")
    parser.add_argument("--json", type=Path, help="also dump the raw latencies here")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target fails (errors always do)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if 16 not in args.clients:
        print("note: target verdicts use the 16-client run; adding it", file=sys.stderr)
        args.clients = [16, *args.clients]
    began = time.monotonic()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_terminate)
    signal.signal(signal.SIGINT, _on_terminate)  # also when started with SIGINT ignored (`&`)
    signal.alarm(time_bound(args))
    gate = QuietGate(QUIET_BUDGET_SECONDS)
    environment = server.Environment()
    gunicorn: server.Gunicorn | None = None
    try:
        print("setup: database, migrations, tenant", flush=True)
        tenant = server.prepare(environment)
        gunicorn = server.Gunicorn(environment)
        gunicorn.start()
        print(f"setup: gunicorn on :{gunicorn.port}, workers {gunicorn.worker_pids()}", flush=True)
        users = max(args.clients)
        specs = bind_users(gunicorn.address, tenant.secret_key, users)
        print(f"setup: {users} users with bound device keys", flush=True)
        # History, so the first measured run meets tables and statistics like a deployment's,
        # not the empty ones the migrations made (whose plans scan instead of seeking).
        history = loadgen.run(
            "flow", gunicorn.address, tenant.secret_key, specs[:16], warmup=0, duration=HISTORY
        )
        print(f"setup: {history.flows().rate * HISTORY:.0f} flows of history", flush=True)
        sampler = cpu_sampler(gunicorn)
        window = {"warmup": args.warmup, "duration": args.duration, "on_window": sampler}

        pairs = []
        for _ in range(args.pairs):  # alternate, so the machine's drift hits both sides alike
            quiet = gate.wait()
            health = loadgen.run(
                "health", gunicorn.address, tenant.secret_key, [ClientSpec()] * 16, **window
            )
            health.background_busy = quiet
            _print_run(health)
            quiet = gate.wait()
            flow16 = loadgen.run("flow", gunicorn.address, tenant.secret_key, specs[:16], **window)
            flow16.background_busy = quiet
            _print_run(flow16)
            pairs.append((health, flow16))
        pairs.sort(key=lambda pair: _ratio(*pair))
        health, flow16 = pairs[len(pairs) // 2]
        pair_ratios = [_ratio(*pair) for pair in pairs]
        print(f"ratios of the pairs: {', '.join(f'{r:.1%}' for r in pair_ratios)}", flush=True)
        wrk = None
        if not args.no_wrk and shutil.which("wrk"):
            gate.wait()
            wrk = run_wrk(gunicorn, args.duration, 16)
            print(
                f"wrk: {wrk.requests_per_second:.0f} req/s p50 {wrk.p50_ms:.1f} "
                f"p99 {wrk.p99_ms:.1f} errors {wrk.errors} "
                f"client CPU {wrk.cpu_ms_per_request:.3f} ms/req",
                flush=True,
            )
        flows = [flow16]
        for clients in (c for c in args.clients if c != 16):
            quiet = gate.wait()
            result = loadgen.run(
                "flow", gunicorn.address, tenant.secret_key, specs[:clients], **window
            )
            result.background_busy = quiet
            _print_run(result)
            flows.append(result)

        summary = None
        if args.profile:
            gate.wait()
            workers = gunicorn.worker_pids()

            def recorder(_: list[int]) -> profile.Recording:
                return profile.Recording(workers, args.profile, args.duration)

            extra = loadgen.run(
                "flow",
                gunicorn.address,
                tenant.secret_key,
                specs[:16],
                warmup=args.warmup,
                duration=args.duration,
                on_window=recorder,
            )
            print(f"profiled run: {extra.flows().rate:.1f} flows/s (not reported)", flush=True)
            summary = profile.summarize(sorted(args.profile.glob("worker-*.txt")))

        queries = count_queries(environment, tenant.secret_key)
        for name, q in queries.items():
            print(
                f"sql {name}: {q['statements']} statements, {q['health_checks']} health, "
                f"{q['explicit_transactions']} atomic, {q['write_commits']} write commits, "
                f"{q['round_trips']} round trips, Django CPU {q.get('cpu_ms', 0):.2f} ms, "
                f"PostgreSQL CPU {q.get('pg_cpu_ms', 0):.2f} ms",
                flush=True,
            )
    finally:
        signal.alarm(0)  # cleanup must not be interrupted by the watchdog or a second signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if gunicorn is not None:
            gunicorn.stop()
        environment.cleanup()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    verdicts = targets(health, flow16)
    for target in verdicts:
        verdict = "PASS" if target.passed else "FAIL"
        print(f"{verdict}: {target.name}: {target.measured} (needs {target.threshold})")
    result = report.Report(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=" ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
        machine=server.machine(),
        versions=server.versions(),
        warmup=args.warmup,
        duration=args.duration,
        users=len(specs),
        health=health,
        flows=flows,
        targets=verdicts,
        pair_ratios=pair_ratios,
        wrk=wrk,
        queries=queries,
        profile=summary,
        py_spy=profile.py_spy_version() if args.profile else "",
        elapsed=time.monotonic() - began,
    )
    if not args.no_report:
        report.write(args.output, result)
        print(f"wrote {args.output}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in [health, *flows]]))
    if any(r.error_count for r in [health, *flows]):
        return 1
    return 1 if args.strict and not all(t.passed for t in verdicts) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Terminated, Watchdog) as stop:
        print(f"bench: {stop}; everything it started was stopped", file=sys.stderr)
        sys.exit(2)
