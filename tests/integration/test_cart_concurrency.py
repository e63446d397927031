"""Two requests changing one cart at once (a double click, two tabs) both count."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from shop.extensions import db
from shop.orders.models import Order
from tests.integration.cart_helpers import (
    CartClient,
    checkout_data,
    place_order,
    variant_id,
)


def test_simultaneous_adds_to_one_cart_lose_no_unit(app, client, demo_store):
    shopper = CartClient(client)
    shopper.add("CHG-100", 1)  # the cart exists; its cookies are what both tabs send
    gel = variant_id("CHG-100")
    cookies = {name: client.get_cookie(name).value for name in ("cart", "session")}
    tabs = 3
    adds_per_tab = 3
    start = threading.Barrier(tabs)
    statuses: list[int] = []

    def tab() -> None:
        browser = app.test_client()
        for name, value in cookies.items():
            browser.set_cookie(name, value)
        start.wait(timeout=10)
        for _ in range(adds_per_tab):
            response = browser.post(
                "/cart/add.js",
                json={"id": gel, "quantity": 1},
                headers={"X-CSRFToken": shopper.token},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * (tabs * adds_per_tab)
    line = next(item for item in shopper.cart()["items"] if item["id"] == gel)
    # Read-modify-write of the line's quantity: without the cart row lock (PostgreSQL)
    # or BEGIN IMMEDIATE (SQLite), concurrent adds overwrite each other.
    assert line["quantity"] == 1 + tabs * adds_per_tab


def test_simultaneous_checkout_submits_place_one_order(app, client, demo_store):
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    cookies = {name: client.get_cookie(name).value for name in ("cart", "session")}
    tabs = 4
    start = threading.Barrier(tabs)
    locations: list[str] = []
    details = checkout_data()

    def tab() -> None:
        browser = app.test_client()
        for name, value in cookies.items():
            browser.set_cookie(name, value)
        start.wait(timeout=10)
        response = browser.post("/checkout", data={**details, "csrf_token": shopper.token})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        locations.append(response.headers["Location"])

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(locations) == tabs and len(set(locations)) == 1  # every tab, one order
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_payment_error_never_overwrites_a_payment_stored_meanwhile(
    client, demo_store, monkeypatch
):
    """Two requests create the same payment (one idempotency key): the one that
    fails must not write "error" over the payment the other one stored."""
    from shop.payments.demo import DemoProvider
    from shop.payments.provider import PaymentProviderError

    def other_request_wins_then_we_fail(self, request):
        with db.engine.begin() as other_request:
            other_request.execute(update(Order).values(payment_id="pi_stored_by_the_other_request"))
        raise PaymentProviderError("idempotency key in use by a concurrent request")

    monkeypatch.setattr(DemoProvider, "create_payment", other_request_wins_then_we_fail)
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    assert place_order(shopper).status_code == 302
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.payment_id == "pi_stored_by_the_other_request"
    assert order.payment_status != "error" and order.payment_message == ""
