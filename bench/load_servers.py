"""Databases, gunicorn servers, loopback HTTP and worker memory, for ``bench/load.py``.

Everything here is started in its own process group and torn down by the caller's
``finally``, so an interrupted benchmark leaves no server or database behind.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
LOOPBACK = "127.0.0.1"
POSTGRES_CONNINFO = f"host={LOOPBACK} port=5432 user=postgres dbname=postgres connect_timeout=5"

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class BenchSetupError(RuntimeError):
    """A database, a server or a page did not come up as the benchmark needs."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------- databases


class PostgresDatabase:
    """A fresh database `shop_bench_<random>`, dropped again by `drop()`."""

    def __init__(self) -> None:
        self.name = f"shop_bench_{secrets.token_hex(4)}"
        self.created = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{LOOPBACK}:5432/{self.name}"

    def create(self) -> None:
        with psycopg.connect(POSTGRES_CONNINFO, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(POSTGRES_CONNINFO, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self.created = False


def store_env(database_url: str, port: int, secret_key: str) -> dict[str, str]:
    """The store's environment: production settings, its own database and address."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "FLASK_DEBUG")
    }
    env.update(
        SHOP_ENV="production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        PUBLIC_BASE_URL=f"http://{LOOPBACK}:{port}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and seed the demo store with the venv's flask, as an operator would."""
    for args in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise BenchSetupError(
                f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )


# --------------------------------------------------------------------------- gunicorn


@dataclass
class WorkerMemory:
    pid: int
    peak_rss_kib: int  # VmHWM
    rss_kib: int  # VmRSS


class GunicornServer:
    """`gunicorn <app> --workers 2` (sync) on 127.0.0.1, with no access log."""

    def __init__(self, name: str, app: str, port: int, cwd: Path, env: dict[str, str], log: Path):
        self.name, self.app, self.port, self.cwd, self.env, self.log = (
            name,
            app,
            port,
            cwd,
            env,
            log,
        )
        self.process: subprocess.Popen | None = None
        self.started_workers: list[int] = []

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, workers: int = 2, ready_path: str = "/", timeout_s: float = 60) -> None:
        command = [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--error-logfile",
            str(self.log),
            self.app,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchSetupError(f"{self.name} server exited:\n{self.log_tail()}")
            try:
                if request(self.port, "GET", ready_path).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise BenchSetupError(f"{self.name} server not ready in {timeout_s:.0f} s")
        # Both workers answer before the load: wait until the master has forked them all.
        while len(self.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        self.started_workers = self.worker_pids()

    def worker_pids(self) -> list[int]:
        """The master's children: the workers."""
        if self.process is None:
            return []
        master = self.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The command name is in parentheses and may hold spaces: split after it.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == master:
                children.append(int(stat.parent.name))
        return sorted(children)

    def all_pids(self) -> list[int]:
        """The master and its workers: the server's share of the CPU."""
        return [self.process.pid, *self.worker_pids()] if self.process else []

    def worker_memory(self) -> list[WorkerMemory]:
        memory = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
            memory.append(WorkerMemory(pid, int(fields["VmHWM"]), int(fields["VmRSS"])))
        return memory

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """TERM the whole process group, then KILL whatever is left."""
        if self.process is None:
            return
        process, self.process = self.process, None
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # The master reaped its workers; a worker stuck in a syscall would still be
        # in the group, so sweep it too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- HTTP


@dataclass
class Response:
    status: int
    set_cookies: dict[str, str]
    body: str


def request(
    port: int,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    json_body: object | None = None,
) -> Response:
    """One request on loopback. Cookies are handled by hand, like wrk's Lua does: a
    `Secure` cookie is sent back over plain http too (see load.py's note)."""
    all_headers = dict(headers or {})
    body = None
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if json_body is not None:
        body = json.dumps(json_body)
        all_headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=all_headers)
        answer = connection.getresponse()
        set_cookies = {}
        for header in answer.msg.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            set_cookies[name.strip()] = value.strip()
        return Response(answer.status, set_cookies, answer.read().decode("utf-8", "replace"))
    finally:
        connection.close()


@dataclass
class Shopper:
    """A browser's worth of state: cookies and the CSRF token from the page."""

    cookies: dict[str, str]
    csrf_token: str

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def post_json(self, port: int, path: str, payload: object) -> Response:
        answer = request(
            port,
            "POST",
            path,
            cookies=self.cookies,
            headers={"X-CSRFToken": self.csrf_token, "Accept": "application/json"},
            json_body=payload,
        )
        self.cookies.update(answer.set_cookies)
        return answer


def new_shopper(port: int, page: str = "/") -> Shopper:
    """GET a page: the session cookie and the token in <meta name="csrf-token">."""
    answer = request(port, "GET", page)
    match = _CSRF_META.search(answer.body)
    if answer.status != 200 or not match:
        raise BenchSetupError(f"GET {page} gave {answer.status} and no csrf-token meta tag")
    return Shopper(dict(answer.set_cookies), html.unescape(match.group(1)))


def variant_id_for_sku(port: int, handle: str, sku: str) -> int:
    answer = request(port, "GET", f"/products/{handle}.js")
    if answer.status != 200:
        raise BenchSetupError(f"GET /products/{handle}.js gave {answer.status}")
    for variant in json.loads(answer.body)["variants"]:
        if variant["sku"] == sku:
            return int(variant["id"])
    raise BenchSetupError(f"no variant {sku} on /products/{handle}.js")
