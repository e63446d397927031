"""Checkout with the offline demo provider: placing, reserving, paying, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order, OrderPromotion
from shop.orders.service import release_expired
from shop.promotions.models import Promotion
from shop.timeutil import utcnow
from shop.unit_of_work import unit_of_work
from tests.integration.cart_helpers import (
    CartClient,
    checkout_data,
    pay_demo,
    place_order,
)
from tests.support.digits import written_in


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def stock(sku: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(Variant.stock).where(Variant.sku == sku))


def only_order() -> Order:
    db.session.rollback()
    return db.session.scalars(select(Order)).one()


def order_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Order))


def test_checkout_needs_a_cart(shopper):
    response = shopper.client.get("/checkout", follow_redirects=True)
    assert "Your cart is empty" in response.get_data(as_text=True)


def test_checkout_page_shows_the_summary_with_the_gift_free(shopper):
    shopper.add("CMD-ROSE", 1)
    html = shopper.client.get("/checkout").get_data(as_text=True)
    assert "Order summary" in html and "Contour Microcurrent Toning Device" in html
    assert "FREE" in html and "$245.00 value" in html
    assert "Standard, arrives in 3 to 5 business days" in html


def test_form_errors_keep_what_was_typed_and_place_nothing(shopper):
    shopper.add("FPS-30", 1)
    response = place_order(shopper, email="not-an-email", postal_code="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter a valid e-mail address." in html
    assert "Enter the ZIP code." in html  # named as the country names it
    assert 'value="Ana Li"' in html and 'value="not-an-email"' in html
    assert order_count() == 0


@pytest.mark.parametrize("field", ["name", "line1", "line2", "city"])
@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200e", "\u061c"])
def test_bidi_controls_in_the_address_are_refused_keeping_what_was_typed(shopper, field, control):
    shopper.add("FPS-30", 1)
    typed = f"Flat 2{control}B"
    response = place_order(shopper, **{field: typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "invisible characters that change the direction of text" in html
    assert f'value="{typed}"' in html
    assert order_count() == 0


def test_checkout_form_needs_csrf(shopper):
    shopper.add("FPS-30", 1)
    response = shopper.client.post("/checkout", data=checkout_data())
    assert response.status_code == 400
    assert order_count() == 0


def test_placing_an_order_freezes_prices_and_reserves_stock(shopper):
    shopper.add("CMD-ROSE", 1)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    device, gift = stock("CMD-ROSE"), stock("GIFT-SET")
    response = place_order(shopper)
    assert response.status_code == 302 and "/pay" in response.headers["Location"]
    order = only_order()
    assert order.status == "pending" and order.stock_state == "reserved"
    assert order.number == 10000 + order.id
    assert order.subtotal == 19900 and order.discount_total == 1990
    assert order.shipping_total == 0  # free shipping over $75
    assert order.total == 17910
    gift_line = next(line for line in order.lines if line.is_gift)
    assert gift_line.final_line_price == 0 and gift_line.gift_value == 24500
    assert gift_line.sku == "GIFT-SET"
    assert {p.label for p in order.promotions} >= {"10% off with WELCOME10"}
    welcome = next(p for p in order.promotions if p.code == "WELCOME10")
    assert welcome.promotion_version == 1 and welcome.qualifying_line_keys
    assert stock("CMD-ROSE") == device - 1 and stock("GIFT-SET") == gift - 1
    assert [e.kind for e in order.events] == ["placed"]


def test_prices_sent_by_the_browser_at_checkout_are_ignored(shopper):
    shopper.add("FPS-30", 1)
    place_order(shopper, total="1", price="0", discount_total="5800")
    assert only_order().total == 5800 + 800


def test_a_double_submit_places_one_order(shopper):
    shopper.add("FPS-30", 1)
    first = place_order(shopper).headers["Location"]
    second = place_order(shopper).headers["Location"]
    assert first == second
    assert order_count() == 1
    assert stock("FPS-30") == 59


def test_changing_the_cart_replaces_the_unpaid_order_and_its_reservation(shopper):
    shopper.add("FPS-30", 1)
    place_order(shopper)
    shopper.add("FPS-30", 1)
    place_order(shopper)
    db.session.rollback()
    statuses = sorted(db.session.scalars(select(Order.status)))
    assert statuses == ["cancelled", "pending"]
    assert stock("FPS-30") == 58  # 2 reserved, not 3


def test_sold_out_during_checkout_keeps_the_cart_and_places_nothing(shopper):
    shopper.add("CMD-PEARL", 2)
    pearl = db.session.scalars(select(Variant).where(Variant.sku == "CMD-PEARL")).one()
    pearl.stock = 1  # someone else bought the rest meanwhile
    db.session.commit()
    response = place_order(shopper)
    assert response.status_code == 422
    assert "sold out while you were checking out" in response.get_data(as_text=True)
    assert order_count() == 0
    assert stock("CMD-PEARL") == 1 and stock("GIFT-SET") == 30
    assert shopper.cart()["item_count"] == 2


def test_gift_stock_is_checked_again_at_checkout(shopper):
    shopper.add("CMD-ROSE", 1)  # the gift set is shown
    gift = db.session.scalars(select(Variant).where(Variant.sku == "GIFT-SET")).one()
    gift.stock = 0
    serum = db.session.scalars(select(Variant).where(Variant.sku == "FPS-30")).one()
    serum.stock = 0  # the backup too
    db.session.commit()
    response = place_order(shopper)
    assert response.status_code == 422
    assert "free gift is no longer available" in response.get_data(as_text=True)
    assert order_count() == 0
    # Told once; placing again now goes through without the gift.
    assert place_order(shopper).status_code == 302
    assert not only_order().has_gift


def test_demo_decline_keeps_order_and_cart_then_approval_pays(shopper):
    shopper.add("FPS-50", 1)
    pay_path = place_order(shopper).headers["Location"]
    declined = pay_demo(shopper, pay_path, "4000 0000 0000 0002")
    assert declined.status_code == 422
    assert "Your card was declined" in declined.get_data(as_text=True)
    order = only_order()
    assert order.status == "pending" and order.payment_status == "failed"
    assert shopper.cart()["item_count"] == 1
    approved = pay_demo(shopper, pay_path)
    assert approved.status_code == 302
    order = only_order()
    assert order.status == "paid" and order.stock_state == "sold" and order.paid_at
    assert shopper.cart()["item_count"] == 0
    page = shopper.client.get(approved.headers["Location"]).get_data(as_text=True)
    assert "Paid." in page and f"Order {order.number}" in page


def test_demo_card_form_errors(shopper):
    shopper.add("FPS-30", 1)
    pay_path = place_order(shopper).headers["Location"]
    response = shopper.form(
        pay_path, {"card_number": "abcd", "expiry": "13/99", "cvc": "1"}, follow=False
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "digits" in html and "MM/YY" in html and "3 or 4 digits" in html
    assert only_order().status == "pending"
    luhn = pay_demo(shopper, pay_path, "4242 4242 4242 4241")
    assert "not valid" in luhn.get_data(as_text=True)


def test_demo_card_details_are_digits_0_to_9_only(shopper):
    """Python reads every script's digits as numbers: the card form takes 0-9 only."""
    shopper.add("FPS-30", 1)
    pay_path = place_order(shopper).headers["Location"]
    response = shopper.form(
        pay_path,
        {
            "card_number": written_in("4242 4242 4242 4242"),
            "expiry": written_in("12/30"),
            "cvc": written_in("123"),
        },
        follow=False,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "digits" in html and "MM/YY" in html and "3 or 4 digits" in html
    assert only_order().status == "pending"


def test_order_links_are_signed(shopper):
    shopper.add("FPS-30", 1)
    pay_path = place_order(shopper).headers["Location"]
    order = only_order()
    link_token = pay_path.split("/")[2]
    assert not link_token.isdigit() and len(link_token) > 40
    assert shopper.client.get(f"/orders/{order.public_token}").status_code == 404
    assert shopper.client.get(f"/orders/{order.id}").status_code == 404
    signed = pay_path.split("/")[2]
    payload, signature = signed.rsplit(".", 1)
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    forged = f"{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    assert shopper.client.get(f"/orders/{forged}").status_code == 404


def test_expired_reservations_give_stock_back(shopper, app):
    shopper.add("FPS-30", 2)
    place_order(shopper)
    assert stock("FPS-30") == 58
    with unit_of_work():
        assert release_expired(utcnow() + timedelta(minutes=29)) == 0
    with unit_of_work():
        assert release_expired(utcnow() + timedelta(minutes=31)) == 1
    order = only_order()
    assert order.status == "cancelled" and order.stock_state == "released"
    assert stock("FPS-30") == 60
    assert shopper.cart()["item_count"] == 2  # the cart is still there to try again


def test_expired_reservation_is_released_lazily_when_the_order_is_opened(shopper):
    shopper.add("FPS-30", 1)
    pay_path = place_order(shopper).headers["Location"]
    order = only_order()
    order.reservation_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    html = shopper.client.get(pay_path, follow_redirects=True).get_data(as_text=True)
    assert "cancelled" in html
    assert stock("FPS-30") == 60


def test_release_expired_command(shopper, app):
    shopper.add("FPS-30", 1)
    place_order(shopper)
    order = only_order()
    order.reservation_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["release-expired"])
    assert "released 1" in result.output


def test_per_email_code_limit_is_enforced_at_placement(shopper, client):
    shopper.add("FPS-30", 1)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    pay_demo(shopper, place_order(shopper).headers["Location"])
    shopper.add("FPS-30", 1)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    response = place_order(shopper)
    assert response.status_code == 422
    assert "already used code WELCOME10" in response.get_data(as_text=True)
    assert shopper.cart()["codes"] == []
    assert place_order(shopper, email="someone.else@example.com").status_code == 302


def test_total_usage_limit_is_reserved_atomically_and_given_back(shopper):
    welcome = db.session.scalars(select(Promotion).where(Promotion.code == "WELCOME10")).one()
    welcome.usage_limit_total = 1
    db.session.commit()
    shopper.add("FPS-30", 1)
    shopper.form("/cart/code", {"code": "WELCOME10"})
    place_order(shopper)
    db.session.rollback()
    assert db.session.get(Promotion, welcome.id).times_used == 1
    with unit_of_work():
        release_expired(utcnow() + timedelta(hours=1))
    db.session.rollback()
    assert db.session.get(Promotion, welcome.id).times_used == 0
    assert db.session.scalars(select(OrderPromotion)).first().usage_reserved is False


def test_first_order_promotion_needs_a_new_email(shopper):
    db.session.add(
        Promotion(
            name="First order $5",
            label="$5 off your first order",
            status="active",
            priority=1,
            combinable=True,
            first_order_only=True,
            reward_type="amount_off",
            amount_off=500,
        )
    )
    db.session.commit()
    shopper.add("FPS-30", 1)
    pay_demo(shopper, place_order(shopper).headers["Location"])
    first = only_order()
    assert first.discount_total == 500
    shopper.add("FPS-30", 1)
    place_order(shopper)
    db.session.rollback()
    second = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert second.discount_total == 0


def test_paying_counts_the_gift_promotion_once(shopper):
    gift_promotion = db.session.scalars(
        select(Promotion).where(Promotion.reward_type == "gift")
    ).one()
    shopper.add("CMD-ROSE", 1)
    pay_path = place_order(shopper).headers["Location"]
    db.session.rollback()
    assert db.session.get(Promotion, gift_promotion.id).times_used == 0
    pay_demo(shopper, pay_path)
    pay_demo(shopper, pay_path)  # a second submit of the paid form changes nothing
    db.session.rollback()
    assert db.session.get(Promotion, gift_promotion.id).times_used == 1


def test_placing_an_order_waits_for_the_disk(app, shopper):
    """Cart changes commit asynchronously on PostgreSQL; an order never does."""
    from tests.integration.test_query_counts import counted

    shopper.add("FPS-30", 1)
    with counted(db.engine) as statements:
        response = place_order(shopper)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert not [s for s in statements if "synchronous_commit" in s]


def test_a_refused_checkout_shows_the_cart_as_it_is_now_and_keeps_it(app, shopper, monkeypatch):
    """The order is refused; before the page is shown again another tab adds an item
    and the gift's promotion ends. Showing the page remembers that the gift went: it
    must do that to the cart as stored now, not write back the cart read before."""
    from shop.checkout import service as checkout_service
    from shop.checkout import views as checkout_views
    from tests.integration.admin_helpers import isolated_client

    shopper.add("CMD-ROSE", 1)
    other_tab = CartClient(isolated_client(app))
    other_tab.client.set_cookie("cart", shopper.client.get_cookie("cart").value)

    def refuse(*_args, **_kwargs):
        raise checkout_service.CheckoutError("Refused for the test.")

    reads = []
    read_the_cart = checkout_views.current_cart

    def meanwhile_then_read():
        reads.append(1)
        if len(reads) == 2:  # between the refused order and the page
            assert other_tab.add("CHG-100", 1)[0] == 200
            with app.app_context(), unit_of_work():
                gift = db.session.scalars(
                    select(Promotion).where(Promotion.reward_type == "gift")
                ).one()
                gift.starts_at = utcnow() - timedelta(days=10)
                gift.ends_at = utcnow() - timedelta(seconds=1)
        return read_the_cart()

    monkeypatch.setattr(checkout_service, "place_order", refuse)
    monkeypatch.setattr(checkout_views, "current_cart", meanwhile_then_read)
    page = place_order(shopper)
    assert page.status_code == 422 and "Refused for the test." in page.get_data(as_text=True)
    assert len(reads) == 2
    assert sorted(item["sku"] for item in shopper.cart()["items"]) == ["CHG-100", "CMD-ROSE"]
