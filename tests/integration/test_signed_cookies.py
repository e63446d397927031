"""The session and cart cookies are signed by the libraries' own serializers (Flask's
session, itsdangerous for the cart): rotating SECRET_KEY keeps shoppers' carts and
sessions while the old key is listed in SECRET_KEY_FALLBACKS, and drops them once
it is not."""

from __future__ import annotations

import pytest
from flask import Flask

from shop import create_app
from shop.config import TestConfig
from tests.integration.cart_helpers import CartClient, csrf_token

OLD_KEY, NEW_KEY = "the key before the rotation", "the key after the rotation"


def store(app: Flask, secret: str, fallbacks: list[str]) -> Flask:
    return create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
            "SECRET_KEY": secret,
            "SECRET_KEY_FALLBACKS": fallbacks,
        },
    )


def carried_over(before: Flask, after: Flask):
    """A shopper who filled a cart under `before`, with their cookies, on `after`."""
    shopper = CartClient(before.test_client())
    assert shopper.add("FPS-30", 2)[0] == 200
    rotated = after.test_client()
    for cookie_name in ("session", before.config["CART_COOKIE_NAME"]):
        cookie = shopper.client.get_cookie(cookie_name)
        rotated.set_cookie(cookie_name, cookie.value)
    return shopper, rotated


@pytest.mark.parametrize("fallbacks", [[OLD_KEY]], ids=["old-key-listed"])
def test_a_rotated_key_keeps_the_cart_and_the_session(app, demo_store, fallbacks):
    shopper, rotated = carried_over(store(app, OLD_KEY, []), store(app, NEW_KEY, fallbacks))
    assert rotated.get("/cart.js").get_json()["item_count"] == 2
    # The session (and the CSRF secret in it) is kept: the next page's form token,
    # signed with the new key (Flask-WTF knows no fallbacks), passes.
    response = rotated.post(
        "/cart/add.js",
        json={"id": shopper.cart()["items"][0]["id"], "quantity": 1},
        headers={"X-CSRFToken": csrf_token(rotated)},
    )
    assert response.status_code == 200 and rotated.get("/cart.js").get_json()["item_count"] == 3
    opened = rotated.application.session_interface.get_signing_serializer(rotated.application)
    before, after = (c.get_cookie("session").value for c in (shopper.client, rotated))
    assert opened.loads(after)["csrf_token"] == opened.loads(before)["csrf_token"]


def test_a_forgotten_key_drops_the_cart_and_the_session(app, demo_store):
    shopper, rotated = carried_over(store(app, OLD_KEY, []), store(app, NEW_KEY, []))
    assert rotated.get("/cart.js").get_json()["item_count"] == 0
    response = rotated.post(
        "/cart/add.js",
        json={"id": shopper.cart()["items"][0]["id"], "quantity": 1},
        headers={"X-CSRFToken": shopper.token},
    )
    assert response.status_code == 400  # the old form token is no longer anyone's
