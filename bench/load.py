"""Load benchmark: the store under gunicorn, driven by wrk, against a bare Flask baseline.

Run with ``python bench/load.py`` (``make bench``); it is never part of the tests.

In one run, for SQLite and for PostgreSQL each: a fresh database (a file in a temporary
folder; a ``shop_bench_<random>`` database on 127.0.0.1:5432, dropped at the end),
migrated and seeded with the demo store by the venv's ``flask``; the store served by
``gunicorn wsgi:app --workers 2`` (sync, no access log) on a free loopback port; the
baseline (``bench/baseline_app.py``, same gunicorn settings) measured again right before
the store's pages, so every ratio compares two numbers from the same minutes; then each
page driven by wrk (32 connections, 2 threads) for a warm-up and a measured run.

The ratio to the baseline is the number to watch: on a 2-core machine wrk shares the
CPUs with the two workers, so absolute requests per second say as much about the load
generator as about the store, and the ratio cancels most of that out. Latency under a
closed loop of 32 connections and 2 sync workers is mostly queueing: by Little's law the
mean is about 32 / (req/s), so a p99 under 25 ms needs well over 1,300 req/s.

The store runs with ``SHOP_ENV=production`` (the real production config). That config
sets ``SESSION_COOKIE_SECURE``, and ``shop/config.py`` has no override for it; but wrk
does not implement cookie policy: the add-to-cart Lua script, like this script's own
requests, reads ``Set-Cookie`` and sends the values back by hand, so the session and
CSRF token round-trip over plain http without weakening the configuration under test.
Flask-WTF's strict Referer check applies to https requests only, so it does not apply.

Add to cart: wrk's Lua state is per thread, not per connection, and a response cannot
be tied to the request that caused it except by what it carries, so the shoppers are
signed up here before the run (GET / for the session cookie and the CSRF token in
``<meta name="csrf-token">``, one add and one clear for the cart cookie) and handed to
``bench/lua/add_to_cart.lua``, which keeps one request in flight per shopper and
alternates add and clear so every answer can be 200 (see the script).

Last, with the store stopped, a write floor: the bare Flask app again, now inserting one
row per POST into the same database through a plain SQLAlchemy engine (no ORM, no
session, no CSRF). No write can do better, so it says how much of a write target is
the stack's and how much is the store's. On PostgreSQL it is measured twice: waiting
for the disk at commit, as orders do, and not waiting, as cart changes do.

The machine may be shared: each measured run also records how much CPU processes outside
the benchmark took (``load_cpu.py``); a busy row is measured once more, the quieter run
is kept, and a row that stays busy is flagged in the output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import load_report
from baseline_app import create_write_table
from load_cpu import CpuMeter, postgres_backends
from load_report import BackendRun, PageOutcome, PageSpec
from load_servers import (
    PROJECT_ROOT,
    BenchSetupError,
    GunicornServer,
    PostgresDatabase,
    Shopper,
    free_port,
    new_shopper,
    prepare_database,
    request,
    store_env,
    variant_id_for_sku,
)
from load_wrk import (
    ADD_TO_CART_SCRIPT,
    STATUS_SCRIPT,
    WrkError,
    WrkResult,
    ensure_wrk,
    run_wrk,
)

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
BACKENDS = ("sqlite", "postgresql")
CONNECTIONS = 32
THREADS = 2
WORKERS = 2
WARM_UP_S = 2
DEFAULT_DURATION_S = 10
QUICK_DURATION_S = 3
# Several shoppers per connection, so a shopper never has two requests in flight.
SHOPPERS_PER_CONNECTION = 4
CART_COOKIE_NAME = "cart"  # Config.CART_COOKIE_NAME
# The demo's conductive gel: 120 units, at most 10 a line; add 1 / clear keeps it 200.
WRITE_PRODUCT_HANDLE, WRITE_SKU = "conductive-gel", "CHG-100"
# Above this share of the CPUs taken by other processes, a row is flagged as unreliable.
BUSY_MACHINE_SHARE = 0.10
# One more measured run for such a row (bounded, so the whole run stays well under 10 min).
BUSY_RETRIES = 1

PAGES = [
    PageSpec("home", "home /", "/", "read"),
    PageSpec(
        "product",
        "product /products/microcurrent-device",
        "/products/microcurrent-device",
        "read",
        min_ratio=0.50,
        max_p99_ms=load_report.TARGET_P99_MS,
    ),
    PageSpec(
        "article",
        "article /guides/benefits-of-microcurrent-therapy",
        "/guides/benefits-of-microcurrent-therapy",
        "read",
        min_ratio=0.50,
        max_p99_ms=load_report.TARGET_P99_MS,
    ),
    PageSpec("cart.js", "/cart.js (anonymous GET)", "/cart.js", "read", min_ratio=0.40),
    PageSpec(
        "add to cart",
        "add to cart (POST add.js / clear.js)",
        "/cart/add.js",
        "add_to_cart",
        min_ratio=0.20,
        target_backends=("postgresql",),
    ),
    PageSpec("checkout", "checkout /checkout (1-line cart)", "/checkout", "checkout"),
    # Not store pages: bare Flask doing one INSERT + COMMIT per POST on the same
    # database, the ceiling for any write on this stack (see baseline_app.py); then the
    # same committed as the store commits cart changes on PostgreSQL (no disk wait).
    PageSpec("write floor", "reference: bare Flask, 1 INSERT per POST", "/write", "write_floor"),
    PageSpec(
        "async write floor",
        "reference: the same, asynchronous commit",
        "/write-async",
        "write_floor",
        target_backends=("postgresql",),
    ),
]


class Interrupted(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so every cleanup runs."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Interrupted


def log(message: str) -> None:
    print(message, flush=True)


class LoadRunner:
    def __init__(self, wrk: str, duration_s: float, workdir: Path, cleanup: contextlib.ExitStack):
        self.wrk = wrk
        self.duration_s = duration_s
        self.workdir = workdir
        self.cleanup = cleanup

    def measure(
        self, label: str, run: Callable[[float], WrkResult], our_pids: Callable[[], list[int]]
    ) -> WrkResult:
        """A warm-up run (thrown away), then the measured run; measured once more when
        other processes took a real share of the CPUs, keeping the quieter of the two."""
        log(f"  {label}: warm-up {WARM_UP_S} s, then {self.duration_s:.0f} s")
        run(WARM_UP_S)
        best: WrkResult | None = None
        for attempt in range(1 + BUSY_RETRIES):
            with CpuMeter(our_pids) as meter:
                result = run(self.duration_s)
            result.other_cpu_share = meter.other_share
            log(
                f"    {result.requests_per_second:.1f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, errors {result.error_count}, "
                f"other processes' CPU {result.other_cpu_share:.0%}"
            )
            if best is None or result.other_cpu_share < best.other_cpu_share:
                best = result
            if best.other_cpu_share <= BUSY_MACHINE_SHARE or attempt == BUSY_RETRIES:
                break
            log("    the machine was busy: measuring once more")
        assert best is not None
        return best

    def get(
        self, url: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> Callable[[float], WrkResult]:
        def run(duration: float) -> WrkResult:
            return run_wrk(
                self.wrk,
                url,
                duration_s=duration,
                connections=CONNECTIONS,
                threads=THREADS,
                script=STATUS_SCRIPT,
                script_args=[method],
                headers=headers,
            )

        return run

    def add_to_cart(self, base_url: str, shoppers_file: Path, variant_id: int):
        def run(duration: float) -> WrkResult:
            return run_wrk(
                self.wrk,
                base_url + "/cart/add.js",
                duration_s=duration,
                connections=CONNECTIONS,
                threads=THREADS,
                script=ADD_TO_CART_SCRIPT,
                script_args=[str(shoppers_file), str(variant_id), str(THREADS), CART_COOKIE_NAME],
            )

        return run

    # ----------------------------------------------------------------------- a backend

    def run_backend(self, backend: str, baseline: GunicornServer) -> BackendRun:
        log(f"\n[{backend}] preparing a fresh database")
        port = free_port()
        database_name = ""
        if backend == "sqlite":
            database_url = f"sqlite:///{self.workdir / 'shop-bench.db'}"
        else:
            database = PostgresDatabase()
            self.cleanup.callback(database.drop)
            database.create()
            database_url, database_name = database.url, database.name
            log(f"  created PostgreSQL database {database.name}")
        env = store_env(database_url, port, secrets.token_hex(32))
        prepare_database(env)
        log(f"  migrated and seeded; starting the store on 127.0.0.1:{port}")
        log_path = self.workdir / f"store-{backend}.log"
        store = GunicornServer(f"store ({backend})", "wsgi:app", port, PROJECT_ROOT, env, log_path)
        self.cleanup.callback(store.stop)
        store.start(workers=WORKERS)
        outcome = BackendRun(backend, workers_at_start=store.started_workers)

        def baseline_pids() -> list[int]:
            return [os.getpid(), *baseline.all_pids()]

        def store_pids() -> list[int]:
            backends = postgres_backends(database_name) if database_name else []
            return [os.getpid(), *store.all_pids(), *backends]

        outcome.baseline = self.measure(
            "baseline", self.get(baseline.base_url + "/"), baseline_pids
        )
        store_pages = [spec for spec in PAGES if spec.kind != "write_floor"]
        for spec in store_pages:
            outcome.pages.append(self.run_page(spec, store, outcome.baseline, store_pids))
        outcome.memory = store.worker_memory()
        outcome.workers_at_end = store.worker_pids()
        store.stop()
        for spec in PAGES:
            if spec.kind == "write_floor" and backend in spec.target_backends:
                outcome.pages.append(
                    self.run_write_floor(spec, backend, database_url, database_name, outcome)
                )
        return outcome

    def run_write_floor(
        self,
        spec: PageSpec,
        backend: str,
        database_url: str,
        database_name: str,
        outcome: BackendRun,
    ) -> PageOutcome:
        """Bare Flask writing one row per POST into the store's database, measured
        after the store has stopped so the two never share the CPUs."""
        create_write_table(database_url)
        env = {**os.environ, "BASELINE_DATABASE_URL": database_url}
        server = GunicornServer(
            f"write floor ({backend})",
            "baseline_app:app",
            free_port(),
            BENCH_DIR,
            env,
            self.workdir / f"write-floor-{backend}.log",
        )
        self.cleanup.callback(server.stop)
        server.start(workers=WORKERS)

        def pids() -> list[int]:
            backends = postgres_backends(database_name) if database_name else []
            return [os.getpid(), *server.all_pids(), *backends]

        try:
            result = self.measure(
                spec.label, self.get(server.base_url + spec.path, method="POST"), pids
            )
        finally:
            server.stop()
        ratio = result.requests_per_second / outcome.baseline.requests_per_second
        return PageOutcome(spec, "measured", result, ratio)

    def run_page(
        self,
        spec: PageSpec,
        store: GunicornServer,
        baseline: WrkResult,
        our_pids: Callable[[], list[int]],
    ) -> PageOutcome:
        try:
            runner = self.prepare_page(spec, store)
        except BenchSetupError as error:
            log(f"  {spec.label}: not measured: {error}")
            return PageOutcome(spec, f"not measured: {error}")
        if isinstance(runner, str):
            log(f"  {spec.label}: {runner}")
            return PageOutcome(spec, runner)
        result = self.measure(spec.label, runner, our_pids)
        ratio = result.requests_per_second / baseline.requests_per_second
        return PageOutcome(spec, "measured", result, ratio)

    def prepare_page(self, spec: PageSpec, store: GunicornServer):
        """The wrk run for a page, or a string saying why the page is not measured."""
        if spec.kind == "read":
            status = request(store.port, "GET", spec.path).status
            if status != 200:
                return _unavailable(status)
            return self.get(store.base_url + spec.path)
        variant_id = variant_id_for_sku(store.port, WRITE_PRODUCT_HANDLE, WRITE_SKU)
        if spec.kind == "checkout":
            shopper = new_shopper(store.port)
            added = shopper.post_json(store.port, "/cart/add.js", {"id": variant_id, "quantity": 1})
            if added.status != 200:
                raise BenchSetupError(f"POST /cart/add.js gave {added.status}: {added.body[:200]}")
            status = request(store.port, "GET", spec.path, cookies=shopper.cookies).status
            if status != 200:
                return _unavailable(status)
            return self.get(store.base_url + spec.path, {"Cookie": shopper.cookie_header})
        shoppers_file = self.sign_up_shoppers(store.port, variant_id)
        return self.add_to_cart(store.base_url, shoppers_file, variant_id)

    def sign_up_shoppers(self, port: int, variant_id: int) -> Path:
        """Shoppers with a session, a CSRF token and an (empty) cart, one a line."""
        count = SHOPPERS_PER_CONNECTION * CONNECTIONS
        log(f"  signing up {count} shoppers (GET /, POST add.js, POST clear.js each)")
        lines = []
        for _ in range(count):
            shopper: Shopper = new_shopper(port)
            for path, payload in (
                ("/cart/add.js", {"id": variant_id, "quantity": 1}),
                ("/cart/clear.js", {}),
            ):
                answer = shopper.post_json(port, path, payload)
                if answer.status != 200:
                    raise BenchSetupError(f"POST {path} gave {answer.status}: {answer.body[:200]}")
            cart = shopper.cookies.get(CART_COOKIE_NAME)
            if not cart:
                raise BenchSetupError("the store set no cart cookie on POST /cart/add.js")
            lines.append(f"{shopper.cookie_header}\t{shopper.csrf_token}\t{cart}\n")
        path = self.workdir / "shoppers.tsv"
        path.write_text("".join(lines))
        return path


def _unavailable(status: int) -> str:
    if status == 404:
        return "not available yet (404)"
    return f"not measured: GET returned {status}"


def _git(*args: str) -> str:
    """Read-only git queries: which code was measured."""
    done = subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def _code_version() -> tuple[str, bool]:
    """The commit, and whether the work tree differs from it (then that is measured)."""
    return _git("rev-parse", "--short", "HEAD") or "unknown", bool(_git("status", "--porcelain"))


def _wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).splitlines()[0].strip() if done.stdout or done.stderr else ""
    )


NOTES = [
    "store config: SHOP_ENV=production (Secure session cookie); wrk's Lua and the harness "
    "send cookies back by hand, so the CSRF session round-trips over http unchanged",
    "add to cart alternates POST /cart/add.js and POST /cart/clear.js per shopper: req/s "
    "counts both writes; every answer must be 200",
    "the baseline is measured again before each backend's pages; ratio = page req/s / that",
    "the write floor is bare Flask + a SQLAlchemy engine doing one INSERT + COMMIT per POST "
    "on the same database, after the store stopped; on PostgreSQL also with an asynchronous "
    "commit, as the store commits cart changes: no write can beat that ratio",
    "wrk runs on the same 2 CPUs as the workers: compare ratios, not absolute req/s",
    "other CPU = share of all CPUs used by processes outside the benchmark during the "
    f"measured run; a row above {BUSY_MACHINE_SHARE:.0%} is measured once more and the "
    "quieter run kept",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION_S,
        help=f"measured seconds per page (default {DEFAULT_DURATION_S})",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_DURATION_S} s per page (overrides --duration)"
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        action="append",
        help="only this backend (repeatable; default: both)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = QUICK_DURATION_S
    if args.duration < 1:
        parser.error("--duration must be at least 1 second")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Even when started with SIGINT ignored (a background job), Ctrl-C cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        wrk = ensure_wrk()
    except WrkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    commit, dirty = _code_version()
    log(f"measuring the work tree at {commit}" + (" with uncommitted changes" if dirty else ""))
    runs: list[BackendRun] = []
    with contextlib.ExitStack() as cleanup:
        try:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="shop-bench-")))
            baseline = GunicornServer(
                "baseline",
                "baseline_app:app",
                free_port(),
                BENCH_DIR,
                dict(os.environ),
                workdir / "baseline.log",
            )
            cleanup.callback(baseline.stop)
            baseline.start(workers=WORKERS)
            log(f"baseline (bare Flask) on {baseline.base_url}, {WORKERS} sync workers")
            runner = LoadRunner(wrk, args.duration, workdir, cleanup)
            for backend in args.backend or BACKENDS:
                runs.append(runner.run_backend(backend, baseline))
        except (BenchSetupError, WrkError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ninterrupted: stopping servers and dropping the database", file=sys.stderr)
            return 130

    elapsed = (datetime.now(UTC) - started).total_seconds()
    meta = {
        "started_at": started.isoformat(),
        "elapsed_s": round(elapsed, 1),
        "git_commit": commit,
        "work_tree_dirty": dirty,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "wrk": _wrk_version(wrk),
        "connections": CONNECTIONS,
        "threads": THREADS,
        "gunicorn_workers": WORKERS,
        "warm_up_s": WARM_UP_S,
        "duration_s": args.duration,
        "notes": NOTES,
    }
    print()
    for run in runs:
        print(load_report.format_backend(run))
        print()
    busy = [
        f"  {run.backend} {label}: other processes used {result.other_cpu_share:.0%} of the CPUs"
        for run in runs
        for label, result in load_report.measured_rows(run)
        if result.other_cpu_share > BUSY_MACHINE_SHARE
    ]
    if busy:
        print("WARNING: measured on a busy machine; rerun when it is quiet:")
        print("\n".join(busy))
    details = [line for run in runs for line in load_report.error_details(run)]
    if details:
        print("errors:")
        print("\n".join(details))
    print("notes:")
    for note in NOTES:
        print(f"  - {note}")
    RESULTS_DIR.mkdir(exist_ok=True)
    json_path = RESULTS_DIR / f"load-{stamp}.json"
    svg_path = RESULTS_DIR / f"load-{stamp}.svg"
    load_report.write_json(json_path, load_report.to_json(runs, meta))
    title = f"Store req/s as a share of bare Flask's ({stamp}, {meta['git_commit']})"
    svg_path.write_text(load_report.render_svg(runs, PAGES, title))
    print(f"results: {json_path.relative_to(PROJECT_ROOT)}, {svg_path.relative_to(PROJECT_ROOT)}")
    print(f"elapsed: {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
