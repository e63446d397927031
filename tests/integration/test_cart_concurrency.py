"""Two requests changing one cart at once (a double click, two tabs) both count."""

from __future__ import annotations

import threading

from tests.integration.cart_helpers import CartClient, variant_id


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
