"""Real local peers for the tests: localstripe (Stripe's API) and an SMTP server."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until `predicate()` is truthy; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


class LocalStripe:
    """localstripe in a subprocess on 127.0.0.1, state in memory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.localstripe_server", str(self.port)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _ready(self) -> bool:
        if self._process.poll() is not None:
            raise RuntimeError(f"localstripe exited: {self._process.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=0.5):
                return True
        except OSError:
            return False

    def start(self) -> LocalStripe:
        wait_until(self._ready, timeout=20)
        return self

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        data = f"url={urllib.request.quote(url, safe='')}&secret={secret}".encode()
        request = urllib.request.Request(f"{self.url}/_config/webhooks/{name}", data=data)
        with urllib.request.urlopen(request, timeout=5):
            pass

    def authenticate_3ds(self, payment_id: str, client_secret: str, success: bool) -> None:
        data = (
            f"client_secret={client_secret}&success={'true' if success else 'false'}"
            "&key=pk_test_local"
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/v1/payment_intents/{payment_id}/_authenticate", data=data
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content, policy=default))
        return "250 OK"


class MailServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        with self._collector.lock:
            return list(self._collector.messages)

    def clear(self) -> None:
        with self._collector.lock:
            self._collector.messages.clear()

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
