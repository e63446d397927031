"""The cart without JavaScript: forms, redirects, flashes, and what every page shows."""

from __future__ import annotations

import re

import pytest

from tests.integration.cart_helpers import CartClient, variant_id
from tests.support.digits import FULLWIDTH_ZERO, SUPERSCRIPT_TWO, written_in


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def announcement(html: str) -> str:
    match = re.search(r'class="announcement".*?<p>(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def test_empty_cart_page_says_so_plainly(shopper):
    html = shopper.client.get("/cart").get_data(as_text=True)
    assert "Your cart is empty." in html
    assert "Continue shopping" in html


def test_add_form_redirects_to_the_cart_with_a_message(shopper):
    response = shopper.form(
        "/cart/add",
        {"id": variant_id("FPS-30"), "quantity": 2, "return_to": "/products"},
        follow=False,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    html = shopper.client.get("/cart").get_data(as_text=True)
    assert "Added Firming Peptide Serum to your cart." in html
    assert "Firming Peptide Serum - 30 ml" in html and "$116.00" in html


def test_add_form_without_csrf_is_refused_and_adds_nothing(client, demo_store):
    response = client.post("/cart/add", data={"id": variant_id("FPS-30"), "quantity": 1})
    assert response.status_code == 400
    assert "Please try again" in response.get_data(as_text=True)
    assert client.get("/cart.js").get_json()["item_count"] == 0


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_failed_add_never_redirects_off_site(shopper, target):
    response = shopper.form(
        "/cart/add", {"id": 999_999, "quantity": 1, "return_to": target}, follow=False
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location and "javascript" not in location


def test_failed_add_goes_back_to_the_product_with_the_reason(shopper):
    response = shopper.form(
        "/cart/add",
        {"id": variant_id("CHG-100"), "quantity": 99, "return_to": "/products/conductive-gel"},
    )
    html = response.get_data(as_text=True)
    assert "at most 10" in html
    assert "<h1" in html and "Conductive Hydrating Gel" in html


def test_add_form_with_garbage_quantity_gets_a_message(shopper):
    html = shopper.form(
        "/cart/add", {"id": variant_id("CHG-100"), "quantity": "two", "return_to": "/cart"}
    ).get_data(as_text=True)
    assert "Please choose an option and a quantity" in html


@pytest.mark.parametrize(
    "quantity", [written_in("1"), written_in("1", FULLWIDTH_ZERO), SUPERSCRIPT_TWO]
)
def test_cart_forms_take_quantities_in_digits_0_to_9_only(shopper, quantity):
    """Python's int() reads every script's digits as 0-9: the forms take 0-9 only."""
    gel = variant_id("CHG-100")
    html = shopper.form(
        "/cart/add", {"id": gel, "quantity": quantity, "return_to": "/cart"}
    ).get_data(as_text=True)
    assert "digits 0-9" in html
    assert shopper.cart()["item_count"] == 0
    shopper.add("CHG-100", 2)
    html = shopper.form("/cart/change", {"key": str(gel), "quantity": quantity}).get_data(
        as_text=True
    )
    assert "digits 0-9" in html
    assert shopper.cart()["item_count"] == 2


def test_gift_is_shown_free_with_its_value_and_can_be_declined(shopper):
    shopper.form("/cart/add", {"id": variant_id("CMD-PEARL"), "quantity": 1})
    html = shopper.client.get("/cart").get_data(as_text=True)
    assert "Free gift" in html and "FREE" in html and "$245.00 value" in html
    assert "No thanks, remove the gift" in html
    gift = next(i for i in shopper.cart()["items"] if i["is_gift"])
    html = shopper.form("/cart/gift/decline", {"promotion_id": gift["promotion_id"]}).get_data(
        as_text=True
    )
    assert "will not be added" in html and "Add it back" in html


def test_change_form_updates_and_reports_the_gift_leaving(shopper):
    shopper.form("/cart/add", {"id": variant_id("FPS-30"), "quantity": 3})  # $174
    assert any(i["is_gift"] for i in shopper.cart()["items"])
    html = shopper.form("/cart/change", {"key": str(variant_id("FPS-30")), "quantity": 2}).get_data(
        as_text=True
    )
    assert "Cart updated." in html
    assert "was removed" in html and "below $150.00" in html
    assert not any(i["is_gift"] for i in shopper.cart()["items"])


def test_change_form_refuses_the_gift_line(shopper):
    shopper.form("/cart/add", {"id": variant_id("CMD-ROSE"), "quantity": 1})
    gift = next(i for i in shopper.cart()["items"] if i["is_gift"])
    html = shopper.form("/cart/change", {"key": gift["key"], "quantity": 3}).get_data(as_text=True)
    assert "cannot be changed" in html
    assert next(i for i in shopper.cart()["items"] if i["is_gift"])["quantity"] == 1


def test_clear_form_empties_the_cart(shopper):
    shopper.form("/cart/add", {"id": variant_id("CHG-100"), "quantity": 1})
    html = shopper.form("/cart/clear", {}).get_data(as_text=True)
    assert "Your cart is empty." in html


def test_header_counts_the_shoppers_items_on_every_page(shopper):
    shopper.form("/cart/add", {"id": variant_id("CHG-100"), "quantity": 2})
    for path in ("/", "/products", "/products/peptide-serum", "/cart", "/no-such-page"):
        html = shopper.client.get(path).get_data(as_text=True)
        assert re.search(r"data-cart-count>2<", html), path


def test_announcement_bar_follows_the_shopper(shopper):
    html = shopper.client.get("/").get_data(as_text=True)
    assert announcement(html) == (
        "Unlock a FREE device &amp; serum ($245.00 value), applied automatically in your "
        "cart on orders of $150.00 or more."
    )
    shopper.form("/cart/add", {"id": variant_id("FPS-50"), "quantity": 1})  # $86
    html = shopper.client.get("/products").get_data(as_text=True)
    assert announcement(html).startswith("Spend $64.00 more to unlock the FREE device")
    shopper.form("/cart/add", {"id": variant_id("FPS-50"), "quantity": 1})  # $172
    html = shopper.client.get("/products").get_data(as_text=True)
    assert "is in your cart" in announcement(html)


def test_product_page_shows_progress_towards_the_gift(shopper):
    html = shopper.client.get("/products/peptide-serum").get_data(as_text=True)
    assert "Spend $150.00 more to unlock the FREE device &amp; serum ($245.00 value)" in html


def test_product_page_says_what_adding_it_unlocks(shopper):
    html = shopper.client.get("/products/microcurrent-device").get_data(as_text=True)
    assert "Adding this unlocks: FREE device &amp; serum ($245.00 value)." in html
    assert "Spend $150.00 more" not in html
    shopper.form("/cart/add", {"id": variant_id("CMD-ROSE"), "quantity": 1})
    html = shopper.client.get("/products/conductive-gel").get_data(as_text=True)
    assert "Adding this unlocks" not in html  # the gift is already in the cart


def test_no_announcement_when_no_gift_promotion_runs(shopper):
    from sqlalchemy import update

    from shop.extensions import db
    from shop.promotions.models import Promotion

    db.session.execute(update(Promotion).values(status="paused"))
    db.session.commit()
    html = shopper.client.get("/").get_data(as_text=True)
    assert announcement(html) == ""


def test_code_form_messages(shopper):
    shopper.form("/cart/add", {"id": variant_id("FPS-30"), "quantity": 1})
    html = shopper.form("/cart/code", {"code": ""}).get_data(as_text=True)
    assert "Please enter a code." in html
    html = shopper.form("/cart/code", {"code": "welcome10"}).get_data(as_text=True)
    assert "WELCOME10" in html.upper() and "\N{MINUS SIGN}$5.80" in html
