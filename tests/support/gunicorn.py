"""The store under gunicorn in a subprocess, for tests that need several workers."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from tests.support.servers import PROJECT_ROOT, free_port, wait_until

TEST_SECRET_KEY = "gunicorn-test-secret-key-0123456789abcdef"


class GunicornServer:
    def __init__(self, database_url: str, workers: int = 4, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "SHOP_ENV": "development",
            "MAIL_PORT": "9",
            **(extra_env or {}),
        }
        env.pop("STRIPE_SECRET_KEY", None)
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _ready(self) -> bool:
        if self._process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self._process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/products.json", timeout=1):
                return True
        except OSError:
            return False

    def start(self) -> GunicornServer:
        wait_until(self._ready, timeout=30, interval=0.2)
        return self

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
