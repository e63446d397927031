"""Behind a load balancer: with TRUSTED_PROXY_COUNT set, the client's address comes
from the X-Forwarded-For entries those proxies added, so each staff member has a
sign-in bucket of their own; without it the header is ignored and cannot be spoofed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy import select

from shop import ConfigError, create_app
from shop.admin.models import Role, StaffSignIn
from shop.config import TestConfig
from tests.integration.admin_helpers import PASSWORD, csrf_token, make_staff

BALANCER = "10.0.0.2"  # the one address every request arrives from behind the balancer


@pytest.fixture
def store_behind(app: Flask):
    """Makes a fresh store on the test database, with rate limits on (tests run without
    them) and a probe that shows the address the app sees. The limiter is one object
    shared by every app: it is emptied, and switched back off afterwards."""
    from shop.extensions import limiter

    def make(trusted_proxies: int | None) -> Flask:
        settings = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "ADMIN_LOGIN_LIMIT_PER_ACCOUNT": "100 per 15 minutes",
            "ADMIN_LOGIN_LIMIT_PER_ADDRESS": "3 per 15 minutes",
        }
        if trusted_proxies is not None:
            settings["TRUSTED_PROXY_COUNT"] = trusted_proxies
        store = create_app(TestConfig, settings)
        store.add_url_rule("/_probe/address", "probe_address", lambda: request.remote_addr or "")
        limiter.reset()
        return store

    try:
        yield make
    finally:
        limiter.reset()
        limiter.enabled = False


def sign_in(client, password: str, forwarded_for: str):
    return client.post(
        "/admin/login",
        data={"csrf_token": csrf_token(client), "email": "owner@example.com", "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": BALANCER},
    )


def seen_address(client, forwarded_for: str) -> str:
    response = client.get(
        "/_probe/address",
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": BALANCER},
    )
    return response.get_data(as_text=True)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_sign_in_bucket(
    store_behind, db_session
):
    make_staff(Role.OWNER)
    client = store_behind(trusted_proxies=1).test_client()
    for _ in range(3):
        assert sign_in(client, "wrong", "203.0.113.1").status_code == 401
    assert sign_in(client, PASSWORD, "203.0.113.1").status_code == 429
    # A colleague behind the same balancer still signs in, recorded at their address.
    assert sign_in(client, PASSWORD, "203.0.113.2").status_code == 302
    assert db_session.scalars(select(StaffSignIn.address)).all() == ["203.0.113.2"]
    assert seen_address(client, "203.0.113.1") == "203.0.113.1"


def test_only_the_entries_the_trusted_proxies_added_count(store_behind, db_session):
    """A client can send its own X-Forwarded-For; the balancer appends the address it
    saw, and only that last entry is believed."""
    make_staff(Role.OWNER)
    client = store_behind(trusted_proxies=1).test_client()
    assert seen_address(client, "198.51.100.7, 203.0.113.1") == "203.0.113.1"
    for forged in ("198.51.100.7", "198.51.100.8", "198.51.100.9"):
        assert sign_in(client, "wrong", f"{forged}, 203.0.113.1").status_code == 401
    assert sign_in(client, PASSWORD, "198.51.100.10, 203.0.113.1").status_code == 429


@pytest.mark.parametrize("trusted_proxies", [None, 0])
def test_without_trusted_proxies_the_header_is_ignored(store_behind, db_session, trusted_proxies):
    make_staff(Role.OWNER)
    client = store_behind(trusted_proxies).test_client()
    assert seen_address(client, "203.0.113.1") == BALANCER
    # A guesser cannot earn fresh attempts by naming a new address each time.
    for number in range(3):
        assert sign_in(client, "wrong", f"203.0.113.{number}").status_code == 401
    assert sign_in(client, PASSWORD, "203.0.113.99").status_code == 429


def test_the_setting_is_read_from_the_environment():
    root = Path(__file__).resolve().parents[2]
    program = "from shop.config import Config; print(Config.TRUSTED_PROXY_COUNT)"
    environment = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}
    read = [
        subprocess.run(
            [sys.executable, "-c", program],
            cwd=root,
            env={**environment, "TRUSTED_PROXY_COUNT": value} if value else environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        for value in (None, "2")
    ]
    assert read == ["0", "2"]


def test_a_negative_count_is_refused(app):
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        create_app(TestConfig, {"TRUSTED_PROXY_COUNT": -1})
