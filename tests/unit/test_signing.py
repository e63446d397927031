"""The session interface that reuses its signer still follows key changes."""

from __future__ import annotations

from flask import Flask, session

from shop.signing import ReusedSignerSessionInterface


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
