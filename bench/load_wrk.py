"""Running wrk and reading its report, for ``bench/load.py``."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
STATUS_SCRIPT = LUA_DIR / "status.lua"
ADD_TO_CART_SCRIPT = LUA_DIR / "add_to_cart.lua"

_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class WrkError(RuntimeError):
    """wrk is missing, or a run did not produce a report we can read."""


def ensure_wrk() -> str:
    """The path of wrk; installs the Debian package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkError(
            "wrk is not installed. Install it with `sudo apt-get install -y wrk` "
            "(Debian/Ubuntu) and run the benchmark again."
        )
    print("wrk is missing; installing the Debian package (apt-get install -y wrk)", flush=True)
    command = ["apt-get", "install", "-y", "wrk"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=env, check=False).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, check=False)
        subprocess.run(command, env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise WrkError("could not install wrk with apt-get; install it by hand and retry")
    return found


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    # wrk's own count: statuses outside 2xx/3xx.
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    # Counters our Lua scripts print in done(): `not_ok` counts every status but 200.
    counters: dict[str, int] = field(default_factory=dict)
    # Share of all CPUs other processes used during the run (see load_cpu.py).
    other_cpu_share: float = 0.0

    @property
    def status_errors(self) -> int:
        return max(self.counters.get("not_ok", 0), self.non_2xx_3xx)

    @property
    def error_count(self) -> int:
        return self.status_errors + sum(self.socket_errors.values())

    def to_dict(self) -> dict:
        return {**asdict(self), "errors": self.error_count}


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def parse_wrk_output(text: str) -> WrkResult:
    """Read wrk's --latency report (and our scripts' BENCH line)."""
    percentiles: dict[int, float] = {}
    for pct, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M):
        percentiles[int(pct)] = _to_ms(value, unit)
    summary = re.search(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not summary or not rate or 99 not in percentiles or 50 not in percentiles:
        raise WrkError(f"could not read wrk's report:\n{text}")
    sockets = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if found:
        sockets = dict(zip(sockets, map(int, found.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    counters: dict[str, int] = {}
    bench_line = re.search(r"^BENCH (.*)$", text, re.M)
    if bench_line:
        for name, value in re.findall(r"(\w+)=(\d+)", bench_line.group(1)):
            counters[name] = int(value)
    return WrkResult(
        requests=int(summary.group(1)),
        duration_s=_to_ms(summary.group(2), summary.group(3)) / 1000,
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles[50],
        p75_ms=percentiles.get(75, float("nan")),
        p90_ms=percentiles.get(90, float("nan")),
        p99_ms=percentiles[99],
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sockets,
        counters=counters,
    )


def run_wrk(
    wrk: str,
    url: str,
    *,
    duration_s: float,
    connections: int,
    threads: int,
    script: Path,
    script_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """One wrk run against a loopback URL; wrk is killed if we are interrupted."""
    if not url.startswith("http://127.0.0.1:"):
        raise WrkError(f"refusing to load anything but 127.0.0.1: {url}")
    command = [
        wrk,
        f"--connections={connections}",
        f"--threads={threads}",
        f"--duration={max(1, round(duration_s))}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=duration_s + 60)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    if process.returncode != 0:
        raise WrkError(f"wrk exited with {process.returncode}:\n{output}")
    return parse_wrk_output(output)
