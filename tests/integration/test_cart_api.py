"""The JSON cart API: shape, validation, stock, CSRF, gifts and codes end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.cart.models import Cart
from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.promotions.models import Promotion
from shop.timeutil import utcnow
from tests.integration.cart_helpers import CartClient, gift_lines, variant_id
from tests.support.digits import FULLWIDTH_ZERO, SUPERSCRIPT_TWO, written_in


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def cart_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Cart))


def set_stock(sku: str, stock: int) -> None:
    db.session.scalars(select(Variant).where(Variant.sku == sku)).one().stock = stock
    db.session.commit()


def test_empty_cart_says_so_and_writes_nothing(shopper):
    cart = shopper.cart()
    assert cart["item_count"] == 0 and cart["items"] == [] and cart["total_price"] == 0
    assert cart["token"] is None and cart["currency"] == "USD"
    assert cart_rows() == 0


def test_writes_need_the_csrf_header(client, demo_store):
    response = client.post("/cart/add.js", json={"id": variant_id("CHG-100"), "quantity": 1})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["message"]
    assert cart_rows() == 0


def test_add_returns_the_line_in_the_storefront_shape(shopper):
    status, item = shopper.add("FPS-30", 2)
    assert status == 200
    for field in (
        "key",
        "id",
        "product_id",
        "handle",
        "title",
        "quantity",
        "price",
        "original_price",
        "final_price",
        "line_price",
        "final_line_price",
        "is_gift",
        "gift_value",
    ):
        assert field in item
    assert item["id"] == variant_id("FPS-30") and item["quantity"] == 2
    assert item["price"] == 5800 and item["line_price"] == 11600 and item["is_gift"] is False
    cart = shopper.cart()
    assert cart["item_count"] == 2 and cart["total_price"] == 11600
    assert cart["token"]


def test_adding_the_same_variant_merges_lines(shopper):
    shopper.add("CHG-100", 1)
    shopper.add("CHG-100", 2)
    cart = shopper.cart()
    assert [(i["sku"], i["quantity"]) for i in cart["items"]] == [("CHG-100", 3)]


def test_prices_and_gift_flags_sent_by_the_browser_are_ignored(shopper):
    status, item = shopper.add("CMD-ROSE", 1, price=0, final_price=0, is_gift=True, gift_value=1)
    assert status == 200
    assert item["price"] == 19900 and item["is_gift"] is False
    cart = shopper.cart()
    assert cart["items_subtotal_price"] == 19900


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": "abc", "quantity": 1}, 400),
        ({"quantity": 1}, 400),
        ({"id": 1.5, "quantity": 1}, 400),
        ({"id": True, "quantity": 1}, 400),
        ({"items": [{"id": 1}, "two"]}, 400),
        ({"items": []}, 400),
        ({"id": 10**30, "quantity": 1}, 400),
        ([1, 2], 400),
        ({"id": 999_999, "quantity": 1}, 404),
    ],
)
def test_bad_add_requests_get_a_clear_json_error(shopper, body, status):
    code, error = shopper.post_json("/cart/add.js", body)
    assert code == status
    assert error["status"] == status and error["description"]
    assert cart_rows() == 0


def test_fields_the_cart_does_not_read_never_block_a_sale(shopper):
    """Extra fields (a storefront script's `properties`) are ignored as a form's extra
    fields are, and an unreadable article credit credits nobody."""
    status, item = shopper.add(
        "CHG-100", 2, properties={"engraving": ["x"]}, source_article={"id": 1}
    )
    assert status == 200 and item["quantity"] == 2
    status, _ = shopper.add("CHG-100", 1, source_article=True)
    assert status == 200
    for unreadable in ("9" * 5000, str(2**63), "\u202e12", "-3", written_in("12")):
        assert shopper.add("CHG-100", 1, source_article=unreadable)[0] == 200, unreadable
    assert shopper.add("CHG-100", None)[0] == 200  # null: not given, so one
    assert shopper.cart()["item_count"] == 9


@pytest.mark.parametrize(
    "quantity",
    [written_in("1"), written_in("10"), written_in("1", FULLWIDTH_ZERO), SUPERSCRIPT_TWO, "1_0"],
)
def test_quantities_in_other_digits_are_refused_with_the_reason(shopper, quantity):
    """Python's int() reads every script's digits as 0-9: the API takes 0-9 only."""
    gel = variant_id("CHG-100")
    shopper.add("CHG-100", 2)
    for path, body in (
        ("/cart/add.js", {"id": gel, "quantity": quantity}),
        ("/cart/add.js", {"items": [{"id": gel, "quantity": quantity}]}),
        ("/cart/change.js", {"id": str(gel), "quantity": quantity}),
        ("/cart/change.js", {"line": quantity, "quantity": 1}),
    ):
        code, error = shopper.post_json(path, body)
        assert code == 400, (path, body)
        assert "digits 0-9" in error["description"], (path, body)
    assert shopper.cart()["item_count"] == 2


def test_a_variant_id_in_other_digits_is_refused(shopper):
    gel = written_in(str(variant_id("CHG-100")))
    code, error = shopper.post_json("/cart/add.js", {"id": gel, "quantity": 1})
    assert code == 400 and "digits 0-9" in error["description"]
    assert cart_rows() == 0


NESTED_TOO_DEEP = {
    "past the parser's recursion limit": b"[" * 1000 + b"]" * 1000,
    "an item nested past it": b'{"items": [' + b"[" * 1000 + b"]" * 1000 + b"]}",
    "past the depth a request needs": b'{"id":' * 40 + b"1" + b"}" * 40,
}


@pytest.mark.parametrize("path", ["/cart/add.js", "/cart/change.js", "/cart/clear.js"])
@pytest.mark.parametrize("body", NESTED_TOO_DEEP.values(), ids=NESTED_TOO_DEEP.keys())
def test_json_nested_too_deep_is_a_400_with_the_reason(shopper, path, body):
    shopper.add("FPS-30", 1)
    response = shopper.client.post(
        path, data=body, content_type="application/json", headers={"X-CSRFToken": shopper.token}
    )
    assert response.status_code == 400
    error = response.get_json()
    assert error["status"] == 400 and "nested more than" in error["description"]
    assert shopper.cart()["item_count"] == 1


@pytest.mark.parametrize("body", [b"[]", b'"clear"', b"null", b"not json"])
def test_clear_takes_no_body_or_a_json_object(shopper, body):
    shopper.add("FPS-30", 1)
    response = shopper.client.post(
        "/cart/clear.js",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": shopper.token},
    )
    assert response.status_code == 400 and "JSON" in response.get_json()["description"]
    assert shopper.cart()["item_count"] == 1
    bare = shopper.client.post("/cart/clear.js", headers={"X-CSRFToken": shopper.token})
    assert bare.status_code == 200 and bare.get_json()["item_count"] == 0


@pytest.mark.parametrize("quantity", [0, -3])
def test_non_positive_quantity_is_refused(shopper, quantity):
    code, error = shopper.add("CHG-100", quantity)
    assert code == 422 and "at least 1" in error["description"]


def test_quantity_over_stock_is_422_with_the_units_left(shopper):
    set_stock("CMD-PEARL", 2)
    code, error = shopper.add("CMD-PEARL", 3)
    assert code == 422
    assert "Only 2" in error["description"]
    assert shopper.cart()["item_count"] == 0


def test_quantity_over_the_per_line_maximum_is_422(shopper):
    code, error = shopper.add("CHG-100", 11)
    assert code == 422 and "at most 10" in error["description"]


def test_sold_out_variant_says_sold_out(shopper):
    set_stock("CHG-100", 0)
    code, error = shopper.add("CHG-100", 1)
    assert code == 422 and "sold out" in error["description"]


def test_bundle_and_its_parts_draw_on_the_same_stock(shopper):
    set_stock("CMD-ROSE", 3)
    assert shopper.add("CMD-ROSE", 2)[0] == 200
    code, error = shopper.add("BND-ROSE", 2)  # needs 2 more rose devices: only 1 left
    assert code == 422 and "Only" in error["description"]
    assert shopper.add("BND-ROSE", 1)[0] == 200


def test_gift_only_and_inactive_products_cannot_be_added(shopper):
    assert shopper.add("GIFT-SET", 1)[0] == 404
    gel = db.session.scalars(select(Product).where(Product.handle == "conductive-gel")).one()
    gel.is_active = False
    db.session.commit()
    assert shopper.add("CHG-100", 1)[0] == 404


def test_change_sets_quantity_and_zero_removes(shopper):
    shopper.add("FPS-30", 1)
    key = str(variant_id("FPS-30"))
    code, cart = shopper.change(key, 3)
    assert code == 200 and cart["items"][0]["quantity"] == 3 and cart["total_price"] == 17400
    code, cart = shopper.change(key, 0)
    assert code == 200 and cart["items"] == []


def test_change_by_line_index(shopper):
    shopper.add("FPS-30", 1)
    code, cart = shopper.post_json("/cart/change.js", {"line": 1, "quantity": 2})
    assert code == 200 and cart["item_count"] == 2
    assert shopper.post_json("/cart/change.js", {"line": 5, "quantity": 2})[0] == 404


def test_change_unknown_line_is_404_and_bad_quantity_400(shopper):
    shopper.add("FPS-30", 1)
    assert shopper.change("424242", 1)[0] == 404
    assert shopper.change(str(variant_id("FPS-30")), "lots")[0] == 400
    assert shopper.change(str(variant_id("FPS-30")), -1)[0] == 422


def test_clear_empties_the_cart(shopper):
    shopper.add("FPS-30", 1)
    code, cart = shopper.post_json("/cart/clear.js", {})
    assert code == 200 and cart["items"] == [] and cart["total_price"] == 0


def test_cart_survives_a_new_browser_session_through_its_signed_cookie(shopper, client):
    shopper.add("FPS-30", 1)
    cookie = client.get_cookie("cart")
    assert cookie is not None and cookie.max_age and cookie.max_age > 86400 * 30
    assert cookie.http_only
    # A fresh client that only carries the cookie (a restarted browser) sees the cart.
    from flask import current_app

    other = current_app.test_client()
    other.set_cookie("cart", cookie.value)
    assert other.get("/cart.js").get_json()["item_count"] == 1


def test_a_forged_cart_cookie_finds_no_cart(shopper, client):
    shopper.add("FPS-30", 1)
    token = shopper.cart()["token"]
    from flask import current_app

    forger = current_app.test_client()
    forger.set_cookie("cart", token)  # the bare token, unsigned
    assert forger.get("/cart.js").get_json()["item_count"] == 0


# ----------------------------------------------------------------- gifts


def test_gift_appears_at_the_threshold_with_its_value(shopper):
    shopper.add("FPS-50", 1)  # $86
    cart = shopper.cart()
    assert gift_lines(cart) == []
    assert cart["progress"][0]["remaining"] == 6400
    assert "Spend $64.00 more" in cart["progress"][0]["message"]
    shopper.add("FPS-30", 1)  # $86 + $58 = $144: still $6 short
    assert gift_lines(shopper.cart()) == []
    shopper.add("CHG-100", 1)  # $168
    cart = shopper.cart()
    [gift] = gift_lines(cart)
    assert gift["sku"] == "GIFT-SET" and gift["price"] == 0 and gift["final_line_price"] == 0
    assert gift["gift_value"] == 24500 and gift["original_price"] == 24500
    assert cart["total_price"] == 8600 + 5800 + 2400
    assert cart["item_count"] == 3  # gifts are listed, not counted


def test_gift_leaves_the_moment_the_cart_stops_qualifying_with_a_notice(shopper):
    shopper.add("CMD-ROSE", 1)
    assert len(gift_lines(shopper.cart())) == 1
    code, cart = shopper.change(str(variant_id("CMD-ROSE")), 0)
    assert code == 200 and gift_lines(cart) == []
    [notice] = cart["notices"]
    assert notice["kind"] == "gift_removed" and "below $150.00" in notice["message"]
    # The notice is given once, not on every later read.
    assert shopper.cart()["notices"] == []


def test_gift_line_cannot_be_changed_or_bought(shopper):
    shopper.add("CMD-ROSE", 1)
    [gift] = gift_lines(shopper.cart())
    code, error = shopper.change(gift["key"], 5)
    assert code == 422 and "decline" in error["description"]
    assert shopper.post_json("/cart/add.js", {"id": gift["id"], "quantity": 1})[0] == 404
    assert len(gift_lines(shopper.cart())) == 1


def test_declining_the_gift_sticks_until_accepted(shopper):
    shopper.add("CMD-ROSE", 1)
    [gift] = gift_lines(shopper.cart())
    shopper.form("/cart/gift/decline", {"promotion_id": gift["promotion_id"]})
    assert gift_lines(shopper.cart()) == []
    shopper.add("FPS-30", 1)
    cart = shopper.cart()
    assert gift_lines(cart) == [] and cart["declined_promotions"] == [gift["promotion_id"]]
    shopper.form("/cart/gift/accept", {"promotion_id": gift["promotion_id"]})
    assert len(gift_lines(shopper.cart())) == 1


def test_backup_gift_applies_when_the_gift_is_out_of_stock(shopper):
    set_stock("GIFT-SET", 0)
    shopper.add("CMD-ROSE", 1)
    cart = shopper.cart()
    [gift] = gift_lines(cart)
    assert gift["sku"] == "FPS-30" and gift["gift_value"] == 5800 and gift["price"] == 0


def test_out_of_stock_gift_is_said_plainly_and_not_promised(shopper):
    set_stock("GIFT-SET", 0)
    set_stock("FPS-30", 0)
    code, item = shopper.add("CMD-ROSE", 1)
    assert code == 200
    cart = shopper.cart()
    assert gift_lines(cart) == []
    assert any(n["kind"] == "gift_out_of_stock" for n in item["notices"])


def test_backup_gift_units_the_shopper_buys_are_not_offered_again(client, demo_store):
    """Rules are shared by carts that hold no gift variant; a cart buying the backup
    gift's own units gets rules that count them (and never leaks to the others)."""
    set_stock("GIFT-SET", 0)
    set_stock("FPS-30", 2)
    other = CartClient(client.application.test_client())
    other.add("CMD-ROSE", 1)  # the common rules: the backup serum is offered
    assert [gift["sku"] for gift in gift_lines(other.cart())] == ["FPS-30"]

    buyer = CartClient(client)
    buyer.add("CMD-ROSE", 1)
    buyer.add("FPS-30", 1)  # one serum left on the shelf for the gift
    assert [gift["sku"] for gift in gift_lines(buyer.cart())] == ["FPS-30"]
    _, item = buyer.add("FPS-30", 1)  # both serums bought: none left to give
    assert gift_lines(buyer.cart()) == []
    assert any(n["kind"] == "gift_out_of_stock" for n in item["notices"])
    assert [gift["sku"] for gift in gift_lines(other.cart())] == ["FPS-30"]


def test_gift_ends_with_its_promotion_window(shopper):
    shopper.add("CMD-ROSE", 1)
    assert len(gift_lines(shopper.cart())) == 1
    gift_promotion = db.session.scalars(
        select(Promotion).where(Promotion.reward_type == "gift")
    ).one()
    gift_promotion.starts_at = utcnow() - timedelta(days=10)
    gift_promotion.ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    cart = shopper.cart()
    assert gift_lines(cart) == []
    assert [n["kind"] for n in cart["notices"]] == ["gift_removed"]


# ----------------------------------------------------------------- codes


def test_welcome_code_takes_ten_percent_and_stacks_with_the_gift(shopper):
    shopper.add("CMD-ROSE", 1)
    page = shopper.form("/cart/code", {"code": " welcome10 "})
    assert page.status_code == 200
    cart = shopper.cart()
    assert cart["total_discount"] == 1990 and cart["total_price"] == 17910
    assert [c["status"] for c in cart["codes"]] == ["applied"]
    assert len(gift_lines(cart)) == 1
    assert gift_lines(cart)[0]["final_line_price"] == 0  # never discounted again


def test_unknown_code_is_refused_with_its_own_message_and_not_kept(shopper):
    shopper.add("FPS-30", 1)
    html = shopper.form("/cart/code", {"code": "NOPE"}).get_data(as_text=True)
    assert "recognize the code NOPE" in html
    assert shopper.cart()["codes"] == []


def test_expired_code_says_expired(shopper):
    welcome = db.session.scalars(select(Promotion).where(Promotion.code == "WELCOME10")).one()
    welcome.starts_at = utcnow() - timedelta(days=30)
    welcome.ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    shopper.add("FPS-30", 1)
    html = shopper.form("/cart/code", {"code": "WELCOME10"}).get_data(as_text=True)
    assert "expired" in html
    assert shopper.cart()["total_discount"] == 0


def test_used_up_code_says_so(shopper):
    welcome = db.session.scalars(select(Promotion).where(Promotion.code == "WELCOME10")).one()
    welcome.usage_limit_total = 5
    welcome.times_used = 5
    db.session.commit()
    shopper.add("FPS-30", 1)
    html = shopper.form("/cart/code", {"code": "WELCOME10"}).get_data(as_text=True)
    assert "reached its usage limit" in html
    assert shopper.cart()["total_discount"] == 0


def test_removing_a_code(shopper):
    shopper.add("FPS-30", 1)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    assert shopper.cart()["total_discount"] == 580
    shopper.form("/cart/code/remove", {"code": "welcome10"})
    assert shopper.cart()["total_discount"] == 0 and shopper.cart()["codes"] == []


def test_totals_are_consistent(shopper):
    shopper.add("CMD-PEARL", 1)
    shopper.add("FPS-50", 2)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    cart = shopper.cart()
    assert cart["items_subtotal_price"] - cart["total_discount"] == cart["total_price"]
    assert sum(i["final_line_price"] for i in cart["items"]) == cart["total_price"]
