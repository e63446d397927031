"""How much CPU other processes took while a measured run was going on.

On a shared 2-core machine a test suite running next to the benchmark halves its
numbers; this says so next to each row instead of leaving the reader to guess. The
benchmark's own CPU is its server processes (the gunicorn master and workers), wrk,
and, for PostgreSQL, the backends connected to the benchmark's database; everything
else the CPUs did in user or system time counts as "other". Short-lived processes and
interrupt time blur the figure a little: read it as "quiet" or "busy", not as a number.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """User + nice + system time of all CPUs since boot (first line of /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(value) for value in fields[:3])


def _process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL server processes whose title names our database."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres:") and database.encode() in title:
            found.append(int(cmdline.parent.name))
    return found


class CpuMeter:
    """Measure around one run: `with CpuMeter(our_pids) as meter: ...; meter.other_share`."""

    def __init__(self, our_pids: Callable[[], Iterable[int]]) -> None:
        self.our_pids = our_pids
        self.other_share = 0.0

    def __enter__(self) -> CpuMeter:
        self._start_pids = {pid: _process_ticks(pid) for pid in self.our_pids()}
        self._start_busy = _busy_ticks()
        self._start_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._start_time = time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        elapsed = time.monotonic() - self._start_time
        busy = _busy_ticks() - self._start_busy
        ours = 0
        for pid in set(self.our_pids()) | set(self._start_pids):
            ours += max(0, _process_ticks(pid) - self._start_pids.get(pid, 0))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        # wrk has exited and been waited for by now: its CPU is in RUSAGE_CHILDREN.
        wrk_seconds = (children.ru_utime - self._start_children.ru_utime) + (
            children.ru_stime - self._start_children.ru_stime
        )
        ours += round(wrk_seconds * CLOCK_TICKS)
        capacity = elapsed * CLOCK_TICKS * (os.cpu_count() or 1)
        self.other_share = max(0.0, (busy - ours) / capacity) if capacity else 0.0
