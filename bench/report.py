"""``docs/benchmarks.md``: render the ``## In-app flow`` section and splice it into the file.

The file is a ``# Benchmarks`` title, a preamble, and ``## `` sections. This module owns only
``## In-app flow``; every other section (``## Method``, which is hand-written and only created
when missing, analysis notes, other benchmarks) is kept as it is, in its place.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.loadgen import RunResult
from bench.profile import Summary

SECTION = "## In-app flow"
CONTENDED = 0.10  # foreign CPU share above which a run is flagged
METHOD = "## Method"

DEFAULT_METHOD = """\
## Method

`make bench` (= `scripts/services.sh ensure && .venv/bin/python -m bench.run`) measures the
production shape of the server on the machine it runs on, and rewrites the `## In-app flow`
section below; other sections of this file are kept.

- **System under test.** `gunicorn recognize_project.wsgi --workers 2` (sync workers, as in
  production; access log off) with `DATABASE_URL` → PostgreSQL database `recognize_bench`
  (dropped and created each run, migrated) and `REDIS_URL` → Redis db 14 (flushed). Celery
  tasks go to Redis (binding a device enqueues an e-mail task; no worker runs). A private
  `RECOGNIZE_VAR_DIR` in a temporary directory holds the generated secrets.
- **Setup (not timed).** One tenant; 16 users, each binding one app install's P-256 key
  (`track` with scope `add:authenticators`, then `POST /v1/client/user-authenticators/in-app`).
- **Load generator** (`bench/loadgen.py`, `bench/http.py`). Closed loop: each client sends its
  next request as soon as the previous answer arrived. Clients are threads spread over up to
  4 processes (spawned, so no GIL is shared between them), speaking HTTP/1.1 over raw sockets
  with one connection per request (sync workers close it anyway). A run has a warm-up, then a
  fixed measured window; a request counts when it ends inside the window, errors count over
  the whole run. The same generator measures the bare endpoint and the flow, so their ratio
  is fair.
- **Bare endpoint.** `GET /v1/health`, a DRF view without database or cache: the ceiling of
  the stack (WSGI + middleware + DRF + a TCP connection per request).
- **Flow.** `track` → `challenge` → `verify/in-app` (the client signs the challenge with
  ECDSA P-256) → `validate`, every answer checked (`isValid` must be true), at 16, 4 and 1
  clients; each client is its own user with its own device key.
- **Shared CPU.** Client, gunicorn, PostgreSQL and Redis share the same 2 cores. The run reads
  `/proc` to report CPU seconds per process group inside the measured window, and each
  client process reports its own CPU time, so the generator's cost per request is visible:
  every millisecond of client CPU is a millisecond the server did not get. CPU no group
  accounts for is reported as *foreign* (others' work on the machine): each run first waits
  (≤ 5 s) for the cores to be idle, and runs with more than 10 % foreign CPU are flagged.
  `wrk` (C, keep-alive attempted, but gunicorn closes) measures the bare endpoint a second
  time as a cross-check.
- **SQL and CPU per request** (`bench/queries.py`): one flow through Django's test client
  against the same database, counting statements, the `CONN_HEALTH_CHECKS` `SELECT 1`,
  transactions and commits that write; then 40 flows timed for the Django process's CPU and
  its PostgreSQL backend's CPU per endpoint.
- **Profile** (optional, `--profile DIR`): an extra 16-client flow run with
  `py-spy record --gil` on each worker, summarized by library and function.
- **Targets.** flows/s at 16 clients ≥ 25 % of (bare req/s ÷ 4) — a flow is 4 requests — and
  the p99 latency of every flow endpoint ≤ 50 ms at 16 clients.
"""


@dataclass
class WrkResult:
    threads: int
    connections: int
    duration: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: str
    cpu_ms_per_request: float
    server_cpu_ms_per_request: dict[str, float] = field(default_factory=dict)


@dataclass
class Target:
    name: str
    measured: str
    threshold: str
    passed: bool


@dataclass
class Report:
    date: str
    command: str
    machine: dict[str, str]
    versions: dict[str, str]
    warmup: float
    duration: float
    users: int
    health: RunResult
    flows: list[RunResult]
    targets: list[Target]
    pair_ratios: list[float] = field(default_factory=list)
    wrk: WrkResult | None = None
    queries: dict[str, Any] | None = None
    profile: Summary | None = None
    py_spy: str = ""
    elapsed: float = 0.0


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _errors(result: RunResult) -> str:
    if not result.errors:
        return "0"
    return f"**{result.error_count}** ({', '.join(f'{k} ×{v}' for k, v in result.errors.items())})"


def _cpu_rows(result: RunResult, per: str, units: int) -> list[str]:
    seconds = dict(result.cpu_seconds)
    seconds["load generator (self-reported)"] = result.client_cpu_seconds
    cells = [f"{result.scenario} ×{result.clients}", per]
    for name in (
        "gunicorn workers",
        "postgres",
        "redis",
        "load generator (self-reported)",
        "kernel threads",
        "other",
    ):
        cells.append(f"{1000 * seconds.get(name, 0.0) / max(1, units):.2f}")
    cells.append(f"{100 * result.machine_busy:.0f} %")
    cells.append(f"{100 * result.background_busy:.0f} %")
    return cells


def _ceiling(report: Report) -> str:
    """What the CPU cost of a flow implies for throughput on this machine."""
    cores = len(os.sched_getaffinity(0))
    quietest = min(report.flows, key=lambda r: r.foreign_share)
    own = sum(v for k, v in quietest.cpu_seconds.items() if k != "other")
    per_flow = 1000 * own / max(1, len(quietest.flow_latencies))
    bare = report.health.endpoint("health").rate
    needed = 0.25 * bare / 4
    return (
        f"In the least contended flow run ({quietest.clients} clients), one flow cost "
        f"**{per_flow:.1f} ms of CPU** in all (server, database, Redis, client, kernel threads), "
        f"so {cores} cores cap the flow at about **{cores * 1000 / max(per_flow, 1e-9):.0f} "
        f"flows/s**; the throughput target ({needed:.0f} flows/s) needs at most "
        f"{cores * 1000 / max(needed, 1e-9):.1f} ms per flow. With 16 clients in a closed loop, "
        f"Little's law makes the mean latency 16 ÷ throughput: a p99 under 50 ms needs "
        f"well over 16 ÷ 0.05 = 320 requests/s, i.e. 80+ flows/s."
    )


def render(report: Report) -> str:
    """The ``## In-app flow`` section."""
    out = [SECTION, ""]
    out.append(
        f"Generated by `{report.command}` on {report.date} in {report.elapsed:.0f} s. "
        f"Warm-up {report.warmup:g} s, measured window {report.duration:g} s per run; "
        f"{report.users} users with bound device keys."
    )
    out += ["", "### Machine and versions", ""]
    rows = [[k, v] for k, v in {**report.machine, **report.versions}.items()]
    if report.py_spy:
        rows.append(["py-spy", report.py_spy])
    out += _table(["", ""], rows)

    out += ["", "### Targets (16 clients, same Python generator for bare and flow)", ""]
    if len(report.pair_ratios) > 1:
        ratios = ", ".join(f"{100 * r:.1f} %" for r in report.pair_ratios)
        out += [
            f"Bare and 16-client flow runs alternated {len(report.pair_ratios)} times (flow as "
            f"a share of bare ÷ 4: {ratios}); the numbers below are the pair with the median "
            "ratio, so a drift of the machine between two runs does not decide the verdict.",
            "",
        ]
    contended = [r for r in [report.health, *report.flows] if r.foreign_share > CONTENDED]
    if contended:
        names = ", ".join(f"{r.scenario} ×{r.clients}" for r in contended)
        out += [
            f"> **Warning:** other work on the machine used more than {CONTENDED:.0%} of the "
            f"cores during: {names} (column *Foreign CPU*); those numbers are low.",
            "",
        ]
    out += _table(
        ["Target", "Measured", "Threshold", "Verdict"],
        [
            [t.name, t.measured, t.threshold, "**PASS**" if t.passed else "**FAIL**"]
            for t in report.targets
        ],
    )

    health = report.health
    h = health.endpoint("health")
    out += ["", "### Bare endpoint `GET /v1/health`", ""]
    rows = [
        [
            f"Python generator ({health.processes} processes × threads)",
            str(health.clients),
            f"{h.rate:.0f}",
            _ms(h.p50_ms),
            _ms(h.p90_ms),
            _ms(h.p99_ms),
            _errors(health),
            f"{health.cpu_ms_per_request(health.client_cpu_seconds):.3f}",
            f"{health.cpu_ms_per_request(health.cpu_seconds.get('gunicorn workers', 0)):.3f}",
            f"{100 * health.foreign_share:.0f} %",
        ]
    ]
    if report.wrk is not None:
        w = report.wrk
        rows.append(
            [
                f"wrk -t{w.threads} -c{w.connections} (cross-check)",
                str(w.connections),
                f"{w.requests_per_second:.0f}",
                _ms(w.p50_ms),
                _ms(w.p90_ms),
                _ms(w.p99_ms),
                w.errors,
                f"{w.cpu_ms_per_request:.3f}",
                f"{w.server_cpu_ms_per_request.get('gunicorn workers', 0.0):.3f}",
                "–",
            ]
        )
    out += _table(
        [
            "Generator",
            "Clients",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "Errors",
            "Client CPU ms/req",
            "gunicorn CPU ms/req",
            "Foreign CPU",
        ],
        rows,
    )

    out += ["", "### Whole flow: track → challenge → verify/in-app → validate", ""]
    rows = []
    for result in report.flows:
        f = result.flows()
        rows.append(
            [
                str(result.clients),
                f"{result.processes} × {-(-result.clients // result.processes)}",
                f"**{f.rate:.1f}**",
                f"{result.all_requests().rate:.0f}",
                _ms(f.p50_ms),
                _ms(f.p99_ms),
                _errors(result),
                f"{100 * result.foreign_share:.0f} %",
            ]
        )
    out += _table(
        [
            "Clients",
            "Processes × threads",
            "flows/s",
            "req/s",
            "flow p50 ms",
            "flow p99 ms",
            "Errors",
            "Foreign CPU",
        ],
        rows,
    )

    out += ["", "Latency per endpoint (ms):", ""]
    rows = []
    for result in report.flows:
        for name in ("track", "challenge", "verify", "validate"):
            s = result.endpoint(name)
            rows.append(
                [
                    str(result.clients),
                    name,
                    str(s.count),
                    f"{s.rate:.1f}",
                    _ms(s.p50_ms),
                    _ms(s.p90_ms),
                    _ms(s.p99_ms),
                    _ms(s.max_ms),
                ]
            )
    out += _table(["Clients", "Endpoint", "Requests", "req/s", "p50", "p90", "p99", "max"], rows)

    out += ["", "### Where the CPU went (inside the measured window)", ""]
    out.append(
        "CPU milliseconds per request (bare) or per flow, by process group, read from `/proc`; "
        "`postgres` counts every PostgreSQL process on the machine. Machine busy is the share "
        "of both cores in use (100 % = 2 cores); `other` is machine busy time no group "
        "accounts for (interrupts, other users of the machine). *Busy before run* is the "
        "machine's load in the 0.5 s before the run started (each run waits up to 5 s, 20 s "
        "in all, for < 15 %): anything well above 0 means someone else's work competed."
    )
    out.append("")
    rows = [_cpu_rows(health, "request", health.requests)]
    for result in report.flows:
        rows.append(_cpu_rows(result, "flow", len(result.flow_latencies)))
    out += _table(
        [
            "Run",
            "Per",
            "gunicorn",
            "postgres",
            "redis",
            "load generator",
            "kernel threads",
            "other",
            "Machine busy",
            "Busy before run",
        ],
        rows,
    )
    out += ["", _ceiling(report)]

    if report.queries:
        out += ["", "### SQL and CPU per request", ""]
        rows = []
        for name, q in report.queries.items():
            verbs = ", ".join(f"{v} {c}" for v, c in sorted(q["verbs"].items()))
            rows.append(
                [
                    name,
                    str(q["statements"]),
                    verbs or "–",
                    str(q["health_checks"]),
                    str(q["explicit_transactions"]),
                    str(q["autocommit_statements"]),
                    str(q["write_commits"]),
                    str(q["round_trips"]),
                    f"{q['cpu_ms']:.2f}" if "cpu_ms" in q else "–",
                    f"{q['pg_cpu_ms']:.2f}" if "pg_cpu_ms" in q else "–",
                ]
            )
        out += _table(
            [
                "Request",
                "Statements",
                "By verb",
                "Health check",
                "atomic tx",
                "Autocommit stmts",
                "Write commits",
                "DB round trips",
                "Django CPU ms",
                "PostgreSQL CPU ms",
            ],
            rows,
        )
        out += [
            "",
            "Round trips = statements + health checks + BEGIN/COMMIT of each atomic "
            "transaction. CPU is the mean over further flows through Django's test client in "
            "one process (no HTTP, no gunicorn): the Django process and its PostgreSQL backend. "
            "The statements of the flow:",
            "",
            "<details><summary>SQL of track, challenge, verify, validate</summary>",
            "",
        ]
        for name in ("track", "challenge", "verify", "validate"):
            if name in report.queries:
                out.append(f"- **{name}**")
                out += [f"  - `{sql}`" for sql in report.queries[name]["sql"]]
        out += ["", "</details>"]

    if report.profile is not None:
        p = report.profile
        out += ["", "### py-spy profile of the gunicorn workers (16-client flow run)", ""]
        out.append(
            f"{p.samples} samples (`py-spy record --gil`, 100 Hz: only while a worker holds the "
            "GIL, i.e. runs Python) over both workers, in an extra run not used for the numbers "
            "above. By category (the first library found walking from the leaf frame to the "
            "root):"
        )
        out.append("")
        out += _table(["Category", "% of samples"], [[n, f"{s:.1f}"] for n, s in p.by_category])
        out += [
            "",
            "Inclusive (anywhere on the stack), top functions below the frames every request "
            "passes through:",
            "",
        ]
        out += _table(
            ["Function", "% of samples"], [[f"`{n}`", f"{s:.1f}"] for n, s in p.inclusive]
        )

    examples = [e for r in [health, *report.flows] for e in r.error_examples]
    if examples:
        out += ["", "Error examples:", ""] + [f"- `{e}`" for e in examples[:10]]
    return "\n".join(out).rstrip() + "\n"


def splice(existing: str, section: str, title: str = SECTION) -> str:
    """Replace (or add) the section headed ``title``; keep every other section."""
    if not existing.strip():
        existing = "# Benchmarks\n\n"
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    in_fence = False
    for line in existing.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if line.startswith("## ") and not in_fence:
            sections.append((line.strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    if not any(name == METHOD for name, _ in sections):
        sections.insert(0, (METHOD, DEFAULT_METHOD.rstrip().splitlines()))
    new_lines = section.rstrip().splitlines()
    if any(name == title for name, _ in sections):
        sections = [(name, new_lines if name == title else body) for name, body in sections]
    else:
        index = next(i for i, (name, _) in enumerate(sections) if name == METHOD) + 1
        sections.insert(index, (title, new_lines))
    blocks = ["\n".join(preamble).rstrip()]
    blocks += ["\n".join(body).rstrip() for _, body in sections]
    return "\n\n".join(block for block in blocks if block) + "\n"


def write(path: Path, report: Report) -> None:
    existing = path.read_text() if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(splice(existing, render(report)))


def section_publish(section: str, title: str, *, write: bool) -> None:
    """Print ``section``, and with ``write`` put it (headed ``title``) into
    docs/benchmarks.md, keeping the others."""
    print(section)
    if not write:
        return
    from bench.server import REPO

    path = REPO / "docs" / "benchmarks.md"
    existing = path.read_text() if path.exists() else ""
    path.write_text(splice(existing, section, title=title))
