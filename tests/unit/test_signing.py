"""The session interface that reuses its signer still follows key changes."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from wtforms import ValidationError

from shop.signing import (
    FastURLSafeSerializer,
    FastURLSafeTimedSerializer,
    ReusedSignerSessionInterface,
    new_raw_csrf_token,
    sign_csrf_token,
)


def make_app(secret: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []
    app.session_interface = ReusedSignerSessionInterface()

    @app.get("/set")
    def set_value():
        session["visits"] = session.get("visits", 0) + 1
        return str(session["visits"])

    return app


def test_a_session_survives_requests_and_the_signer_is_built_once():
    app = make_app("first-key")
    client = app.test_client()
    assert [client.get("/set").text for _ in range(3)] == ["1", "2", "3"]
    assert len(app.session_interface._serializers) == 1


def test_a_rotated_key_keeps_old_sessions_and_a_forgotten_key_drops_them():
    old = make_app("old-key")
    client = old.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value

    rotated = make_app("new-key", fallbacks=["old-key"])
    rotated_client = rotated.test_client()
    rotated_client.set_cookie("session", cookie)
    assert rotated_client.get("/set").text == "2"  # the old signature still verifies

    forgotten = make_app("new-key")
    forgotten_client = forgotten.test_client()
    forgotten_client.set_cookie("session", cookie)
    assert forgotten_client.get("/set").text == "1"  # a fresh session, not the old one


def test_changing_the_key_of_a_running_app_is_not_hidden_by_the_cache():
    app = make_app("key-one")
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    app.secret_key = "key-two"
    other = app.test_client()
    other.set_cookie("session", cookie)
    assert other.get("/set").text == "1"


def test_fast_serializers_speak_the_stock_format_both_ways():
    sha1 = {"digest_method": hashlib.sha1}
    pairs = [
        (
            URLSafeTimedSerializer("key", salt="wtf-csrf-token"),
            FastURLSafeTimedSerializer("key", salt="wtf-csrf-token", signer_kwargs=sha1),
        ),
        (
            URLSafeSerializer(["old", "key"], salt="cart-token"),
            FastURLSafeSerializer(["old", "key"], salt="cart-token", signer_kwargs=sha1),
        ),
    ]
    short, long = "4f" * 20, {"lines": list(range(200))}  # below and above zlib's use
    for stock, fast in pairs:
        for value in (short, long):
            assert stock.loads(fast.dumps(value)) == value
            assert fast.loads(stock.dumps(value)) == value
            assert fast.loads(fast.dumps(value)) == value  # the reused signer, again
    # A value signed with a rotated-out key still verifies (fallbacks come first).
    assert pairs[1][1].loads(URLSafeSerializer("old", salt="cart-token").dumps("t")) == "t"


def test_a_session_signed_here_opens_in_stock_flask_and_back():
    app = make_app("shared-key")
    ours = app.session_interface.get_signing_serializer(app)
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    data = {"csrf_token": "9a" * 20, "_fresh": False}
    assert stock.loads(ours.dumps(data)) == data
    assert ours.loads(stock.dumps(data)) == data


def test_a_csrf_token_signed_here_passes_flask_wtf():
    app = make_app("csrf-key")
    raw = new_raw_csrf_token()
    with app.test_request_context():
        session["csrf_token"] = raw
        validate_csrf(sign_csrf_token("csrf-key", raw))  # raises when it does not match
        with pytest.raises(ValidationError):
            validate_csrf(sign_csrf_token("another-key", raw))
