"""Hostile requests against every form and JSON endpoint: none may cause a 500 or
change what it should not. The URL map is walked, so new endpoints are covered
as soon as they exist."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, String, func, select

from shop.admin.models import Role
from shop.cart.models import Cart
from shop.extensions import db
from shop.orders.models import Order
from tests.integration.admin_helpers import StaffClient, make_staff
from tests.integration.cart_helpers import CartClient, place_order, stored_cart_lines, variant_id
from tests.support.digits import FULLWIDTH_ZERO, SUPERSCRIPT_TWO, written_in

# The invisible controls that reorder how text is shown (U+202E turns "gpj.exe" into
# what reads as "exe.jpg"): shoppers' text must never carry them into a page.
BIDI_CONTROLS = {
    "LRE": "\u202a",
    "RLE": "\u202b",
    "PDF": "\u202c",
    "LRO": "\u202d",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLI": "\u2067",
    "FSI": "\u2068",
    "PDI": "\u2069",
    "LRM": "\u200e",
    "RLM": "\u200f",
    "ALM": "\u061c",
}

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
    "Ana\u202egpj.exe",
    "\u2067\u200f\u061c\u202b",
    written_in("12"),
    written_in("12", FULLWIDTH_ZERO),
    SUPERSCRIPT_TWO,
]

# JSON the parser itself cannot take (about 1,000 levels exceeds Python's recursion
# limit) or that nests past anything a request of ours needs.
DEEPLY_NESTED_BODIES = {
    "array nested 1000 deep": b"[" * 1000 + b"]" * 1000,
    "object nested 1000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "field nested 1000 deep": b'{"id": ' + b"[" * 1000 + b"]" * 1000 + b', "quantity": 1}',
    "object nested 40 deep": b'{"a":' * 40 + b"1" + b"}" * 40,
}

# Valid JSON that is not what a form is: an object of text fields.
NOT_FORM_FIELDS_BODIES = {
    "array": b"[1, 2, 3]",
    "array of pairs": b'[["title", "Hi"], ["email", "ana@example.com"]]',
    "string": b'"title=Hi"',
    "number": b"42",
    "null": b"null",
    "object of non-text values": b'{"title": {"a": 1}, "name": 5, "email": true, "body": [[1]]}',
}


def post_rules(app, values: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(endpoint, concrete path) for every rule that accepts POST; `values` names real
    objects for some arguments (a product's handle), the rest get "1" or "x"."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "static":
            continue
        arguments = {
            arg: (values or {}).get(arg)
            or ("1" if "int" in str(rule._converters.get(arg)).lower() else "x")
            for arg in rule.arguments
        }
        path = rule.rule
        for arg, value in arguments.items():
            path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, path)
        found.append((rule.endpoint, path))
    # Signing out goes last, so the walk signed in as staff reaches every other form.
    return sorted(found, key=lambda found_rule: ("logout" in found_rule[0], found_rule))


# Real objects for the walk, so the product page's review form is reached too.
REAL_VALUES = {"handle": "microcurrent-device"}


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
    assert stored_cart_lines() == []


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
        "line2",
        "city_area",
        "city",
        "country_area",
        "postal_code",
        "country",
        "phone",
        "update_country",
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


@pytest.mark.parametrize("value", NASTY_TEXT)
def test_nasty_values_in_the_address_form_for_each_country_never_cause_a_500(
    client, shopper, value
):
    for country in ("US", "CA", "GB", "IE", "JP", value):
        query = {"country": country, "line1": value, "postal_code": value, "country_area": value}
        answer = client.get("/checkout/address-fields", query_string=query)
        assert answer.status_code in (200, 400), (country, answer.status_code)  # 400: NUL


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


# ------------------------------------------------------------------ malformed JSON bodies


def _keep_something_in_the_cart(shopper: CartClient) -> None:
    """Checkout builds its form only for a cart with items (and the walk clears it)."""
    if not shopper.cart()["items"]:
        shopper.add("FPS-30", 1)


def _walkers(app, shopper: CartClient) -> list[tuple[str, object, str]]:
    """The shopper and a signed-in owner, who reaches every back-office form."""
    owner = StaffClient(app.test_client(), make_staff(Role.OWNER))
    return [("shopper", shopper.client, shopper.token), ("owner", owner.client, owner.token)]


# Forms these walkers reach whatever the body holds (the rest may redirect first: an
# empty cart, a page that needs a signed-in owner, no such object).
FORMS_REACHED = {
    "shopper": {"catalog.product_page", "checkout.checkout_page"},
    "owner": {"admin.account", "admin.product_new", "admin.stock_adjust", "admin.staff_new"},
}
JSON_API_REACHED = {"cart.add_json", "cart.change_json", "cart.clear_json"}


def _post_to_every_endpoint(app, shopper: CartClient, body: bytes):
    """(who, endpoint, response) for the body sent as JSON to every POST endpoint."""
    for who, client, token in _walkers(app, shopper):
        for endpoint, path in post_rules(app, REAL_VALUES):
            _keep_something_in_the_cart(shopper)
            response = client.post(
                path, data=body, content_type="application/json", headers={"X-CSRFToken": token}
            )
            text = response.get_data(as_text=True)
            assert response.status_code < 500, (who, endpoint, response.status_code, text[:300])
            yield who, endpoint, response.status_code, text


@pytest.mark.parametrize("body", DEEPLY_NESTED_BODIES.values(), ids=DEEPLY_NESTED_BODIES.keys())
def test_deeply_nested_json_is_a_400_with_the_reason_on_every_endpoint(app, shopper, body):
    for who, endpoint, status, text in _post_to_every_endpoint(app, shopper, body):
        if endpoint in FORMS_REACHED[who] or (who == "shopper" and endpoint in JSON_API_REACHED):
            assert status == 400, (who, endpoint, status)
            assert "nested more than" in text, (who, endpoint, text[:300])
        # Other 400s have reasons of their own: a CSRF token gone with the session the
        # walk signed out of, a webhook without its signature.
        if status == 400 and "CSRF" not in text and endpoint != "payments.stripe_webhook":
            assert "JSON" in text, (who, endpoint, text[:300])
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("body", NOT_FORM_FIELDS_BODIES.values(), ids=NOT_FORM_FIELDS_BODIES.keys())
def test_json_that_is_not_form_fields_is_a_400_with_the_reason_on_every_form(app, shopper, body):
    for who, endpoint, status, text in _post_to_every_endpoint(app, shopper, body):
        if endpoint in FORMS_REACHED[who]:
            assert status == 400, (who, endpoint, status)
            assert "object of text fields" in text, (who, endpoint, text[:300])
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


# ------------------------------------------------------------------ bidi controls


def _stored_text_with_bidi_controls() -> list[tuple[str, str, str]]:
    """Every text value in every table that carries a bidi control."""
    db.session.rollback()
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, JSON))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if any(control in text for control in BIDI_CONTROLS.values()):
                    found.append((table.name, column.name, text[:80]))
    return found


def _fields_carrying(control: str) -> dict[str, str]:
    """Every field a shopper's form has, valid but for `control` in all the text."""
    return {
        "rating": "5",
        "title": f"Lovely {control}device",
        "body": f"Gentle and easy, {control}my jawline looks sharper.",
        "author_name": f"Robin {control}Li",
        "email": "robin@example.com",
        "name": f"Ana {control}Li",
        "line1": f"1 Main {control}Street",
        "line2": f"Flat {control}2",
        "city": f"Spring{control}field",
        "postal_code": "12345",
        "country": "US",
        "shipping_method": "standard",
        "code": f"WELCOME{control}10",
        "key": f"{control}1",
        "id": str(variant_id("CHG-100")),
        "quantity": "1",
        "card_number": "4242 4242 4242 4242",
        "expiry": "12/30",
        "cvc": "123",
    }


@pytest.mark.parametrize("control", BIDI_CONTROLS.values(), ids=BIDI_CONTROLS.keys())
def test_bidi_controls_sent_to_every_endpoint_are_never_stored(app, shopper, control):
    for endpoint, path in post_rules(app, REAL_VALUES):
        _keep_something_in_the_cart(shopper)
        response = shopper.form(path, _fields_carrying(control), follow=False)
        assert response.status_code < 500, (endpoint, response.status_code)
    assert _stored_text_with_bidi_controls() == []


def test_bidi_controls_in_a_form_are_refused_with_a_reason_keeping_what_was_typed(shopper):
    shopper.add("FPS-30", 1)
    typed = "Ana \u202egpj.exe"
    response = place_order(shopper, name=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "invisible characters that change the direction of text" in html
    assert f'value="{typed}"' in html
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_every_form_is_a_shop_form(app):
    """The shop's base form is the one place that refuses JSON bodies that are not
    form fields and bidi controls in typed text: every form must build on it."""
    from flask_wtf import FlaskForm

    from shop.forms import ShopForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [
        form for form in subclasses(FlaskForm) if form.__module__.startswith(("shop.", "content."))
    ]
    assert ours
    assert [form.__qualname__ for form in ours if not issubclass(form, ShopForm)] == []
