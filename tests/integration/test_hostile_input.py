"""Hostile requests against every form and JSON endpoint: none may cause a 500 or
change what it should not. The URL map is walked, so new endpoints are covered
as soon as they exist."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.cart.models import Cart, CartLine
from shop.extensions import db
from shop.orders.models import Order
from tests.integration.cart_helpers import CartClient, place_order, variant_id

NASTY_TEXT = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "\x00\x01\x02\x1f",
    "Ünïcødé ✨ 🧴 العربية",
    "A" * 5000,
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "{}",
    "[]",
    "null",
]


def post_rules(app) -> list[tuple[str, str]]:
    """(endpoint, concrete path) for every rule that accepts POST."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        values = {
            arg: ("1" if "int" in str(rule._converters.get(arg)).lower() else "x")
            for arg in rule.arguments
        }
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
        found.append((rule.endpoint, path))
    return sorted(found)


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def test_there_are_post_endpoints_to_walk(app):
    endpoints = {endpoint for endpoint, _ in post_rules(app)}
    assert {
        "cart.add_json",
        "cart.add_form",
        "checkout.checkout_page",
        "payments.stripe_webhook",
    } <= endpoints


def test_every_post_without_csrf_is_refused_without_a_500(app, shopper):
    for endpoint, path in post_rules(app):
        response = shopper.client.post(path, data={"id": "1", "quantity": "1"})
        assert response.status_code < 500, (endpoint, path, response.status_code)
        if endpoint not in ("payments.stripe_webhook",):
            assert response.status_code in (302, 400, 403, 404, 405), (endpoint, path)
    assert db.session.scalar(select(func.count()).select_from(CartLine)) == 0


@pytest.mark.parametrize("value", NASTY_TEXT)
def test_nasty_values_in_every_form_field_never_cause_a_500(app, shopper, value):
    fields = [
        "id",
        "quantity",
        "key",
        "code",
        "return_to",
        "next",
        "email",
        "name",
        "line1",
        "city",
        "postal_code",
        "country",
        "shipping_method",
        "promotion_id",
        "card_number",
        "expiry",
        "cvc",
        "rating",
        "title",
        "body",
        "password",
    ]
    for endpoint, path in post_rules(app):
        data = dict.fromkeys(fields, value)
        response = shopper.form(path, data, follow=False)
        assert response.status_code < 500, (endpoint, path, value[:20], response.status_code)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1,2,3]",
        b'{"id": {"$gt": 1}}',
        b'{"id": [1], "quantity": {}}',
        b'{"items": "all"}',
        b'{"items": [' + b'{"id":1,"quantity":1},' * 30 + b'{"id":1}]}',
        b'{"id": 1, "quantity": 1e400}',
        b'{"id": true, "quantity": true}',
    ],
)
def test_malformed_json_gets_a_4xx_json_answer(shopper, body):
    for path in ("/cart/add.js", "/cart/change.js", "/cart/clear.js"):
        response = shopper.client.post(
            path, data=body, content_type="application/json", headers={"X-CSRFToken": shopper.token}
        )
        assert response.status_code < 500, (path, body[:30])
        if response.status_code >= 400:
            assert response.get_json()["status"] == response.status_code


def test_a_one_megabyte_body_is_refused_cleanly(shopper):
    big = b'{"id": 1, "quantity": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = shopper.client.post(
        "/cart/add.js",
        data=big,
        content_type="application/json",
        headers={"X-CSRFToken": shopper.token},
    )
    assert 400 <= response.status_code < 500
    huge = b"x" * (3 * 1024 * 1024)
    response = shopper.client.post(
        "/checkout", data=huge, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_script_in_checkout_fields_is_shown_escaped(shopper):
    shopper.add("FPS-30", 1)
    evil = "<script>alert('x')</script>"
    response = place_order(shopper, name=evil, city=evil, email="bad")
    html = response.get_data(as_text=True)
    assert evil not in html
    assert "&lt;script&gt;" in html


def test_script_in_a_placed_order_is_shown_escaped(shopper):
    shopper.add("FPS-30", 1)
    evil = "<b onmouseover=alert(1)>Ana</b>"
    pay_path = place_order(shopper, name=evil).headers["Location"]
    html = shopper.client.get(pay_path.replace("/pay", "")).get_data(as_text=True)
    assert evil not in html and "&lt;b onmouseover" in html


def test_script_in_a_discount_code_is_shown_escaped(shopper):
    shopper.add("FPS-30", 1)
    html = shopper.form("/cart/code", {"code": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in html


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\t//evil.example",
        "https:/evil.example",
        "%2F%2Fevil.example",
    ],
)
def test_no_redirect_parameter_leads_off_site(app, shopper, target):
    for endpoint, path in post_rules(app):
        data = {
            "return_to": target,
            "next": target,
            "id": str(variant_id("CHG-100")),
            "quantity": "1",
        }
        response = shopper.form(path, data, follow=False)
        location = response.headers.get("Location", "")
        assert "evil" not in location, (endpoint, location)
    for path in ("/admin/login", "/cart"):
        response = shopper.client.get(f"{path}?next={target}")
        assert "evil" not in response.headers.get("Location", "")


def test_price_and_gift_fields_in_a_checkout_change_nothing(shopper):
    shopper.add("CMD-ROSE", 1)
    place_order(shopper, total="0", subtotal="0", is_gift="1", gift_value="0", price="0")
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.total == 19900
    assert [line.final_line_price for line in order.lines if line.is_gift] == [0]
    assert [line.gift_value for line in order.lines if line.is_gift] == [24500]


def test_forged_cart_cookie_values_are_ignored(client, demo_store):
    for value in ("x", "a.b.c", "\x00", "../../etc/passwd", "A" * 4000):
        client.set_cookie("cart", value)
        response = client.get("/cart.js")
        assert response.status_code == 200 and response.get_json()["item_count"] == 0


# ------------------------------------------------------------------ fuzz


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.sampled_from(["CMD-ROSE", "FPS-30", "FPS-50", "CHG-100", "BND-PEARL", "GIFT-SET"]),
            st.integers(min_value=-3, max_value=12),
        ),
        st.tuples(
            st.just("change"),
            st.sampled_from(["CMD-ROSE", "FPS-30", "CHG-100", "gift"]),
            st.integers(min_value=-2, max_value=12),
        ),
        st.tuples(st.just("clear"), st.just(""), st.just(0)),
        st.tuples(st.just("code"), st.sampled_from(["WELCOME10", "nope"]), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_cart_calls_leaves_totals_equal_to_the_engines_pricing(
    app, demo_store, operations
):
    from shop.cart import service as cart_service
    from shop.templating import store_money_formatter

    shopper = CartClient(app.test_client())
    for kind, target, quantity in operations:
        if kind == "add":
            status, _ = shopper.add(target, quantity)
        elif kind == "change":
            key = next(
                (
                    i["key"]
                    for i in shopper.cart()["items"]
                    if (target == "gift" and i["is_gift"]) or i["sku"] == target
                ),
                target,
            )
            status, _ = shopper.change(key, quantity)
        elif kind == "clear":
            status, _ = shopper.post_json("/cart/clear.js", {})
        else:
            status = shopper.form("/cart/code", {"code": target}, follow=False).status_code
        assert status < 500
    cart_json = shopper.cart()
    assert (
        cart_json["items_subtotal_price"] - cart_json["total_discount"] == cart_json["total_price"]
    )
    assert sum(i["final_line_price"] for i in cart_json["items"]) == cart_json["total_price"]
    assert all(i["final_line_price"] >= 0 for i in cart_json["items"])
    db.session.rollback()
    cart = cart_service.find_cart(cart_json["token"]) if cart_json["token"] else None
    with app.test_request_context():
        engine_view = cart_service.price(cart, store_money_formatter()).priced
    assert engine_view.total == cart_json["total_price"]
    assert engine_view.subtotal == cart_json["items_subtotal_price"]
    assert [(line.key, line.quantity, line.final_line_price) for line in engine_view.lines] == [
        (i["key"], i["quantity"], i["final_line_price"]) for i in cart_json["items"]
    ]
    for line in cart_json["items"]:
        assert line["sku"] != "GIFT-SET" or line["is_gift"]
    assert db.session.scalar(select(func.count()).select_from(Cart)) >= 0
    db.session.execute(CartLine.__table__.delete())
    db.session.execute(Cart.__table__.delete())
    db.session.commit()


def test_nul_bytes_are_refused_with_a_reason(shopper):
    response = shopper.form("/checkout", {"name": "Ana\x00Li"}, follow=False)
    assert response.status_code == 400
    assert "character we cannot accept" in response.get_data(as_text=True)
    response = shopper.client.post(
        "/cart/add.js",
        data=b'{"id": "1\\u0000", "quantity": 1}',
        content_type="application/json",
        headers={"X-CSRFToken": shopper.token},
    )
    assert response.status_code == 400
    assert shopper.client.get("/products?x=a%00b").status_code == 400
