"""CPU accounting from /proc: who used the two cores while a load run was measured."""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces; it is enclosed in the first "(" and the last ")".
    left, right = text.index("("), text.rindex(")")
    return [text[:left].strip(), text[left + 1 : right], *text[right + 2 :].split()]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used by ``pid`` so far (0 when it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def all_processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                found.append((int(entry.name), int(fields[3]), fields[1]))
    return found


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    return [child for child, parent, _ in all_processes() if parent == pid]


def pids_named(*names: str) -> list[int]:
    """Processes whose command name is one of ``names``."""
    return [pid for pid, _, comm in all_processes() if comm in names]


def kernel_threads() -> list[int]:
    """kthreadd and its children (ksoftirqd, kworkers: network and disk work done for us)."""
    return [pid for pid, parent, _ in all_processes() if pid == 2 or parent == 2]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


@dataclass
class CpuWindow:
    """CPU seconds per process group between :meth:`start` and :meth:`stop`."""

    groups: dict[str, list[int]]
    started: dict[int, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    machine_busy_seconds: float = 0.0
    _machine: tuple[int, int] = (0, 0)

    def start(self) -> None:
        pids = [pid for group in self.groups.values() for pid in group]
        self.started = {pid: process_cpu_seconds(pid) for pid in pids}
        self._machine = machine_ticks()

    def stop(self) -> None:
        busy, total = machine_ticks()
        self.machine_busy = (busy - self._machine[0]) / max(1, total - self._machine[1])
        self.machine_busy_seconds = (busy - self._machine[0]) / CLOCK_TICKS
        self.seconds = {
            name: sum(max(0.0, process_cpu_seconds(p) - self.started.get(p, 0.0)) for p in pids)
            for name, pids in self.groups.items()
        }
        self.seconds["other"] = max(0.0, self.machine_busy_seconds - sum(self.seconds.values()))


def machine_busy_over(seconds: float) -> float:
    """Share of all cores busy during the next ``seconds`` (1.0 = every core)."""
    busy0, total0 = machine_ticks()
    time.sleep(seconds)
    busy1, total1 = machine_ticks()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet(threshold: float = 0.15, max_wait: float = 10.0) -> float:
    """Wait (at most ``max_wait`` s) until other work leaves the cores idle; the last reading."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy_over(0.5)
    while busy > threshold and time.monotonic() < deadline:
        busy = machine_busy_over(0.5)
    return busy
