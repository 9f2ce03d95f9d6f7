"""Optional py-spy sampling of the gunicorn workers during a flow run, and its summary.

py-spy writes collapsed stacks (``--format raw``): one line per distinct stack,
``frame;frame;…;frame COUNT`` with frames like ``function (path/file.py:line)``. The summary
gives, over all workers, the share of samples per leaf package ("self") and per function
anywhere on the stack ("inclusive"), which is where the CPU of a request goes.
"""

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")

#: Where a sample's CPU went: the first of these path fragments found walking from the leaf
#: frame towards the root names its category (so json or copy called by the ORM count as ORM).
CATEGORIES = [
    ("psycopg/", "psycopg: send/receive, row loading"),
    ("cryptography/", "crypto: ES256 tokens, ECDSA, keys"),
    ("jwt/", "crypto: ES256 tokens, ECDSA, keys"),
    ("django/db/models/sql/", "ORM: SQL compilation"),
    ("django/db/models/", "ORM: querysets, model instances"),
    ("django/db/backends/", "Django DB backend, transactions"),
    ("django/db/transaction", "Django DB backend, transactions"),
    ("rest_framework/", "DRF: views, parsing, serializers, rendering"),
    ("django/", "Django: handler, middleware, URLs, HTTP"),
    ("whitenoise/", "Django: handler, middleware, URLs, HTTP"),
    ("humps/", "application code"),
    ("accounts/", "application code"),
    ("actions/", "application code"),
    ("devices/", "application code"),
    ("biometrics/", "application code"),
    ("recognize_project/", "application code"),
    ("gunicorn/", "gunicorn: HTTP parsing, sockets"),
]


def py_spy() -> str | None:
    """The py-spy executable (the venv's first), or None."""
    venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
    return str(venv) if venv.exists() else shutil.which("py-spy")


def py_spy_version() -> str:
    executable = py_spy()
    if executable is None:
        return "not installed"
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "?"


@dataclass
class Recording:
    """py-spy processes recording one gunicorn worker each, for ``duration`` seconds."""

    pids: list[int]
    out_dir: Path
    duration: float
    rate: int = 100
    #: "gil": only samples where the worker holds the GIL, i.e. runs Python (the CPU profile).
    #: Plain sampling would also count a worker that is runnable but preempted right after
    #: waking PostgreSQL (on 2 busy cores that is often), which inflates psycopg's share.
    #: "idle": every sample, waits included (where the wall time goes).
    mode: str = "gil"
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> None:
        executable = py_spy()
        if executable is None:
            raise RuntimeError("py-spy is not installed (.venv/bin/pip install py-spy)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for pid in self.pids:
            self.processes.append(
                subprocess.Popen(
                    [
                        executable,
                        "record",
                        "--pid",
                        str(pid),
                        "--rate",
                        str(self.rate),
                        "--duration",
                        str(max(1, round(self.duration))),
                        "--gil" if self.mode == "gil" else "--idle",
                        "--format",
                        "raw",
                        "--output",
                        str(self.out_dir / f"worker-{pid}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def stop(self) -> None:
        for process in self.processes:
            try:
                process.wait(timeout=self.duration + 15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def files(self) -> list[Path]:
        return sorted(self.out_dir.glob("worker-*.txt"))


def _package(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/lib/python3" in path:
        return "stdlib:" + path.rsplit("/", 1)[-1]
    top = path.split("/", 1)[0]
    return f"app:{top}" if top else path


def _parse(line: str) -> tuple[list[tuple[str, str]], int] | None:
    stack, _, count = line.rstrip().rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = []
    for raw in stack.split(";"):
        match = FRAME.match(raw.strip())
        frames.append((match["function"], match["path"]) if match else (raw, ""))
    return frames, int(count)


@dataclass
class Summary:
    samples: int
    by_category: list[tuple[str, float]]
    self_by_package: list[tuple[str, float]]
    self_by_function: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]


def category(frames: list[tuple[str, str]]) -> str:
    for _, path in reversed(frames):
        for fragment, name in CATEGORIES:
            if fragment in path:
                return name
    return "other (interpreter, stdlib)"


def summarize(files: list[Path], top: int = 25) -> Summary:
    """Shares (in %) of samples by leaf package, leaf function and inclusive function."""
    by_category: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            parsed = _parse(line)
            if parsed is None:
                continue
            frames, count = parsed
            total += count
            function, file = frames[-1]
            by_category[category(frames)] += count
            by_package[_package(file)] += count
            by_leaf[f"{function} ({file})"] += count
            for name in {f"{function} ({file})" for function, file in frames}:
                inclusive[name] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100 * count / max(1, total)) for name, count in counter.most_common(top)]

    # Frames on (nearly) every stack — gunicorn's loop, Django's handler and middleware chain —
    # say nothing; the inclusive list starts below them.
    inclusive = Counter({k: v for k, v in inclusive.items() if v < 0.85 * total})
    return Summary(
        total, shares(by_category), shares(by_package), shares(by_leaf), shares(inclusive)
    )
