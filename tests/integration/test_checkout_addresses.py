"""Checkout asks for an address as the shopper's country writes one, checks it by
that country's rules, and the order keeps it as typed and normalised."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from shop.extensions import db
from shop.orders.links import order_token
from shop.orders.models import Order
from tests.integration.cart_helpers import ADDRESS, CartClient, place_order


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    return shopper


def only_order() -> Order:
    db.session.rollback()
    return db.session.scalars(select(Order)).one()


def labels_of(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


def test_a_us_order_needs_a_state_and_keeps_what_was_typed(shopper):
    without_state = {**ADDRESS, "country_area": "", "line1": "742 Evergreen Terrace"}
    response = place_order(shopper, **without_state)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the state." in html
    assert 'value="742 Evergreen Terrace"' in html
    assert db.session.scalars(select(Order)).all() == []

    assert place_order(shopper, **{**without_state, "country_area": "illinois"}).status_code == 302
    order = only_order()
    assert (order.shipping_country, order.shipping_country_area_code) == ("US", "IL")
    assert order.shipping_country_area_name == "Illinois"
    assert order.shipping_address_lines == [
        "Ana Li",
        "742 Evergreen Terrace",
        "Springfield, IL 62704",
        "United States",
    ]


def test_the_form_names_its_fields_as_the_country_does(client, shopper):
    us = client.get("/checkout").get_data(as_text=True)
    assert {"State", "ZIP code", "City"} <= set(labels_of(us))
    assert '<option value="IL">Illinois</option>' in us
    gb = client.get("/checkout/address-fields?country=GB&line1=1+Old+St").get_data(as_text=True)
    assert {"Post town", "Postcode"} <= set(labels_of(gb)) and "State" not in labels_of(gb)
    assert 'value="1 Old St"' in gb
    ie = client.get("/checkout/address-fields?country=IE").get_data(as_text=True)
    assert {"County (optional)", "Eircode (optional)"} <= set(labels_of(ie))


def test_without_javascript_choosing_a_country_brings_its_form_back_filled_in(shopper):
    typed = {**ADDRESS, "country": "CA", "line1": "80 Wellington St", "city": "Ottawa"}
    page = place_order(shopper, update_country="1", **typed)
    html = page.get_data(as_text=True)
    assert page.status_code == 200  # nothing refused: the shopper only changed country
    assert {"Province", "Postal code"} <= set(labels_of(html))
    assert 'value="80 Wellington St"' in html and 'value="Ana Li"' in html
    assert "Please correct" not in html
    assert db.session.scalars(select(Order)).all() == []

    done = place_order(shopper, **{**typed, "country_area": "ON", "postal_code": "k1a0b1"})
    assert done.status_code == 302
    order = only_order()
    assert (order.shipping_postal_code, order.shipping_country_area_code) == ("K1A 0B1", "ON")
    assert order.shipping_address_lines[-2:] == ["Ottawa ON K1A 0B1", "Canada"]


@pytest.mark.parametrize(
    ("country", "fields", "message"),
    [
        ("CA", {"country_area": "ON", "postal_code": "12345"}, "Enter a valid postal code"),
        ("GB", {"postal_code": "ZZ"}, "Enter a valid postcode"),
        ("AU", {"country_area": "", "postal_code": "2000"}, "Choose the state."),
        ("US", {"country_area": "IL", "postal_code": "10001"}, "Enter a valid ZIP code"),
        ("XX", {}, "Not a valid choice"),
    ],
)
def test_an_address_its_country_would_not_deliver_is_refused_by_field(
    shopper, country, fields, message
):
    response = place_order(shopper, **{**ADDRESS, "country": country, **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(Order)).all() == []


def test_a_phone_is_optional_checked_and_stored_in_e164(app, shopper):
    refused = place_order(shopper, phone="12")
    assert refused.status_code == 422
    assert "This is not a phone number in use" in refused.get_data(as_text=True)
    assert place_order(shopper, phone="(312) 555-0123").status_code == 302
    assert only_order().shipping_phone == "+13125550123"


def test_staff_can_make_the_phone_required(app, shopper):
    from tests.integration.admin_helpers import StaffClient, make_staff

    staff = StaffClient(app.test_client())
    staff.login(make_staff("merchandiser").email)
    page = staff.get("/admin/shipping").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    saved = staff.post("/admin/shipping/settings", data={"phone_required": "y", "version": version})
    assert saved.status_code == 302
    refused = place_order(shopper)
    assert refused.status_code == 422
    assert "Enter a phone number for the courier." in refused.get_data(as_text=True)


def test_the_order_pages_print_the_address_as_its_country_does(app, shopper):
    from tests.integration.admin_helpers import StaffClient, make_staff

    place_order(shopper, phone="+1 312 555 0123")
    order = only_order()
    page = shopper.client.get(f"/orders/{order_token(order)}")
    assert "Springfield, IL 62704<br>United States" in page.get_data(as_text=True)
    staff = StaffClient(app.test_client())
    staff.login(make_staff("fulfilment").email)
    detail = staff.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "Springfield, IL 62704" in detail and "+13125550123" in detail


def test_orders_placed_before_keep_their_address_as_it_was_shown(app, shopper):
    assert place_order(shopper).status_code == 302
    order_id = only_order().id
    db.session.remove()
    downgrade(revision="b1c7e05d9a42")
    upgrade()
    order = db.session.get(Order, order_id)
    assert order.shipping_country_area_code == "" and order.shipping_phone == ""
    assert order.shipping_address_lines == ["Ana Li", "1 Main Street", "Springfield 62704", "US"]
