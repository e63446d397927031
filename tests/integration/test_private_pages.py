"""Responses that hold a shopper's own data (their cart, their order) are kept by no
cache: `Cache-Control: private, no-store`. Anonymous pages keep their caching."""

from __future__ import annotations

import pytest

from shop.cache import PAGES, caches
from tests.integration.cart_helpers import ADDRESS, CartClient, pay_demo, place_order, variant_id

PRODUCT_PAGE = "/products/peptide-serum"


def kept_by_no_cache(response) -> bool:
    return response.cache_control.no_store and response.cache_control.private


@pytest.fixture
def shopper(app, demo_store):
    caches(app)[PAGES].clear()
    shopper = CartClient(app.test_client())
    assert shopper.add("FPS-30", 1)[0] == 200
    return shopper


@pytest.fixture
def order_path(shopper) -> str:
    """/orders/<token>, for an order placed and not yet paid."""
    return place_order(shopper).headers["Location"].removesuffix("/pay")


@pytest.mark.parametrize("path", ["/cart", "/cart.js", "/checkout", PRODUCT_PAGE])
def test_pages_showing_the_cart_are_private(shopper, path):
    # The product page shows the cart too: its count in the header, offers priced on it.
    response = shopper.client.get(path)
    assert response.status_code == 200 and kept_by_no_cache(response)


@pytest.mark.parametrize("suffix", ["", "/pay", "/status.json"])
def test_order_pages_are_private(shopper, order_path, suffix):
    response = shopper.client.get(order_path + suffix)
    assert response.status_code == 200 and kept_by_no_cache(response)
    if suffix == "":
        assert ADDRESS["line1"] in response.get_data(as_text=True)  # what is at stake


def test_the_order_confirmation_is_private(shopper, order_path):
    paid = pay_demo(shopper, order_path + "/pay")
    assert paid.status_code == 302 and kept_by_no_cache(paid)
    confirmation = shopper.client.get(paid.headers["Location"])
    assert "Thank you" in confirmation.get_data(as_text=True)
    assert kept_by_no_cache(confirmation)


def test_placing_an_order_is_private(shopper):
    # The redirect names the order's own link.
    refused, placed = place_order(shopper, email="not an address"), place_order(shopper)
    assert [refused.status_code, placed.status_code] == [422, 302]
    assert kept_by_no_cache(refused) and kept_by_no_cache(placed)


def test_cart_writes_are_private(shopper):
    line = shopper.cart()["items"][0]
    responses = [
        shopper.client.post(
            "/cart/add.js", json={"id": line["id"]}, headers={"X-CSRFToken": shopper.token}
        ),
        shopper.client.post(
            "/cart/change.js",
            json={"id": line["key"], "quantity": 3},
            headers={"X-CSRFToken": shopper.token},
        ),
        shopper.form("/cart/code", {"code": "NOSUCHCODE"}, follow=False),
        shopper.form("/cart/change", {"key": line["key"], "quantity": 2}, follow=False),
        shopper.client.post("/cart/clear.js", headers={"X-CSRFToken": shopper.token}),
    ]
    assert [response.status_code for response in responses] == [200, 200, 302, 302, 200]
    assert all(kept_by_no_cache(response) for response in responses)


def test_the_add_that_makes_the_cart_is_private(app, demo_store):
    # It hands over the cookie that opens the cart.
    newcomer = CartClient(app.test_client())
    response = newcomer.client.post(
        "/cart/add.js", json={"id": variant_id("FPS-30")}, headers={"X-CSRFToken": newcomer.token}
    )
    assert response.status_code == 200 and "cart=" in response.headers["Set-Cookie"]
    assert kept_by_no_cache(response)


@pytest.mark.parametrize(
    "path", [PRODUCT_PAGE, "/cart.js", "/", "/guides/how-to-use-a-microcurrent-device"]
)
def test_anonymous_pages_keep_their_caching(app, demo_store, path):
    caches(app)[PAGES].clear()
    reader = app.test_client()
    first, second = reader.get(path), reader.get(path)
    assert first.status_code == second.status_code == 200
    assert [first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]] == ["miss", "hit"]
    for response in (first, second):
        assert "Cache-Control" not in response.headers


def test_a_missing_order_or_an_empty_checkout_holds_nothing_personal(app, demo_store):
    reader = app.test_client()
    missing, empty = reader.get("/orders/not-a-real-token"), reader.get("/checkout")
    assert [missing.status_code, empty.status_code] == [404, 302]
    assert "Cache-Control" not in missing.headers and "Cache-Control" not in empty.headers


def test_the_back_office_is_kept_by_no_cache_either(client):
    assert kept_by_no_cache(client.get("/admin/login"))
