"""Orders in the back office: find them, pack, ship (the shopper is e-mailed), refund
in full or in part through the payment provider, cancel (the stock returns)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from content.models import Article
from shop.admin import promotion_service
from shop.admin.models import AuditEntry, Role
from shop.admin.promotion_service import PromotionData
from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.promotions.models import Promotion, PromotionStatus, RewardType
from shop.timeutil import utcnow
from shop.unit_of_work import unit_of_work
from tests.integration.admin_helpers import StaffClient, isolated_client, make_staff
from tests.integration.cart_helpers import CartClient, pay_demo, place_order


@pytest.fixture
def fulfilment(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.FULFILMENT))


def new_order(app, sku: str, quantity: int = 1, pay: bool = True, **address) -> Order:
    shopper = CartClient(isolated_client(app))
    shopper.add(sku, quantity)
    placed = place_order(shopper, **address)
    assert placed.status_code == 302, placed.get_data(as_text=True)[:300]
    if pay:
        assert pay_demo(shopper, placed.headers["Location"]).status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def reload(order: Order) -> Order:
    db.session.rollback()
    return db.session.get(Order, order.id)


def stock(sku: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(Variant.stock).where(Variant.sku == sku))


# ---------------------------------------------------------------- finding orders


def test_list_filters_by_state_email_gift_and_date(app, fulfilment):
    with_gift = new_order(app, "CMD-ROSE", email="gift@example.com")
    without = new_order(app, "CHG-100", email="plain@example.com")
    pending = new_order(app, "FPS-30", pay=False, email="later@example.com")
    assert with_gift.has_gift and not without.has_gift

    def numbers(query: str) -> set[int]:
        html = fulfilment.html("/admin/orders" + query)
        return {n for n in (with_gift.number, without.number, pending.number) if f"#{n}<" in html}

    assert numbers("") == {with_gift.number, without.number, pending.number}
    assert numbers("?status=paid") == {with_gift.number, without.number}
    assert numbers("?status=pending") == {pending.number}
    assert numbers("?email=PLAIN") == {without.number}
    assert numbers("?has_gift=yes") == {with_gift.number}
    assert numbers("?has_gift=no") == {without.number, pending.number}
    today = utcnow().date()
    assert numbers(f"?since={today}&until={today}") == {
        with_gift.number,
        without.number,
        pending.number,
    }
    assert numbers(f"?until={today - timedelta(days=1)}") == set()
    bad_date = fulfilment.get("/admin/orders?since=yesterday")
    assert bad_date.status_code == 200
    assert "Not a valid date value" in bad_date.get_data(as_text=True)


def test_detail_shows_lines_promotions_and_the_timeline(app, fulfilment):
    order = new_order(app, "CMD-ROSE")
    html = fulfilment.html(f"/admin/orders/{order.number}")
    assert "Contour Microcurrent Toning Device" in html
    assert "free gift" in html and "$245.00 value" in html
    assert "FREE device &amp; serum" in html and "version 1" in html
    assert "placed" in html and "paid" in html and "demo payments" in html


def test_the_packing_slip_prints_the_label_address_and_what_to_pack(app, fulfilment):
    order = new_order(
        app,
        "CMD-ROSE",
        country="CA",
        city="Ottawa",
        country_area="ON",
        postal_code="K1A0B1",
        phone="613 555 0199",
    )
    html = fulfilment.html(f"/admin/orders/{order.number}/packing-slip")
    label = html[html.index('<address class="label-address">') :]
    assert "Ottawa ON K1A 0B1<br>Canada<br>+16135550199</address>" in label
    assert "Contour Microcurrent Toning Device" in html and "(free gift)" in html
    assert "$" not in html  # what to pack, not what it cost
    editor = StaffClient(app.test_client(), make_staff(Role.EDITOR))
    assert editor.get(f"/admin/orders/{order.number}/packing-slip").status_code == 403


# ---------------------------------------------------------------- pack and ship


def test_pack_then_ship_emails_the_shopper(app, fulfilment, mail):
    order = new_order(app, "CMD-ROSE")
    mail.clear()
    early = fulfilment.post(
        f"/admin/orders/{order.number}/ship", {"carrier": "UPS", "tracking_number": "1Z999"}
    )
    assert early.status_code == 422
    assert "must be fulfilled before it ships" in early.get_data(as_text=True)
    assert fulfilment.post(f"/admin/orders/{order.number}/fulfil").status_code == 302
    assert reload(order).status == "fulfilled"
    missing = fulfilment.post(
        f"/admin/orders/{order.number}/ship", {"carrier": "UPS", "tracking_number": ""}
    )
    assert missing.status_code == 422
    assert "Enter the tracking number." in missing.get_data(as_text=True)
    assert 'value="UPS"' in missing.get_data(as_text=True)
    shipped = fulfilment.post(
        f"/admin/orders/{order.number}/ship", {"carrier": "UPS", "tracking_number": "1Z999"}
    )
    assert shipped.status_code == 302
    order = reload(order)
    assert (order.status, order.carrier, order.tracking_number) == ("shipped", "UPS", "1Z999")
    assert [e.actor for e in order.events if e.kind == "shipped"] == [
        "staff:fulfilment@example.com"
    ]
    [message] = mail.messages
    assert message["Subject"] == f"Your order {order.number} is on its way"
    assert message["To"] == "ana@example.com"
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["order.fulfilled", "order.shipped"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.shipped")).one()
    assert entry.before["status"] == "fulfilled" and entry.after["tracking_number"] == "1Z999"


# ---------------------------------------------------------------- refunds


def test_partial_then_full_refund_through_the_provider(app, fulfilment):
    order = new_order(app, "FPS-50", quantity=1)  # $86.00, free shipping, no gift
    assert order.total == 8600
    partial = fulfilment.post(
        f"/admin/orders/{order.number}/refund", {"amount": "20.00", "reason": "Dented box"}
    )
    assert partial.status_code == 302
    order = reload(order)
    assert order.status == "partially_refunded" and order.refunded_total == 2000
    (first,) = order.refunds
    assert first.amount == 2000 and first.provider_refund_id.startswith("demo_re_")
    assert first.actor == "staff:fulfilment@example.com"
    too_much = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "70.00"})
    assert too_much.status_code == 422
    assert "can still be refunded" in too_much.get_data(as_text=True)
    rest = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "66.00"})
    assert rest.status_code == 302
    order = reload(order)
    assert order.status == "refunded" and order.refunded_total == 8600
    html = fulfilment.html(f"/admin/orders/{order.number}")
    assert "Nothing more to do for this order." in html


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "more than zero"), ("-5", "more than zero"), ("abc", "such as 19.99")],
)
def test_refund_amount_must_be_positive(app, fulfilment, amount, message):
    order = new_order(app, "FPS-30")
    response = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": amount})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert reload(order).refunded_total == 0


def test_gift_kept_without_return_is_deducted_unless_the_box_is_ticked(app, fulfilment):
    kept = new_order(app, "CMD-ROSE")  # $199: the free gift ($245 value) came with it
    response = fulfilment.post(f"/admin/orders/{kept.number}/refund", {"amount": "100.00"})
    assert response.status_code == 302
    (refund,) = reload(kept).refunds
    assert refund.gift_deduction == 10000 and refund.amount == 0
    returned = new_order(app, "CMD-PEARL")
    response = fulfilment.post(
        f"/admin/orders/{returned.number}/refund", {"amount": "100.00", "gift_returned": "y"}
    )
    assert response.status_code == 302
    (refund,) = reload(returned).refunds
    assert refund.gift_deduction == 0 and refund.amount == 10000 and refund.gift_returned


def test_refund_lines_in_the_audit_log_and_timeline_read_as_money(app, fulfilment):
    order = new_order(app, "CMD-ROSE")  # $199 with the free gift ($245 value)
    fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "100.00"})
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "order.refunded")
    ).one()
    assert entry.summary == f"Refunded $0.00 of order {order.number} (gift value $100.00 kept)"
    notes = [event.note for event in reload(order).events if event.kind == "refunded"]
    assert notes == ["Refunded $0.00 (gift value $100.00 kept)"]


def discounted_order_with_the_gift(app) -> Order:
    """Three $58.00 serums earn the gift ($150.00 threshold, before discounts); STACKB
    takes 20% off, so $139.20 is paid for $174.00 of merchandise."""
    db.session.add(
        Promotion(
            name="Stackable 20% off",
            label="20% off with STACKB",
            status=PromotionStatus.ACTIVE,
            priority=40,
            combinable=True,
            code="STACKB",
            reward_type=RewardType.PERCENT_OFF,
            percent_off=20,
        )
    )
    db.session.commit()
    shopper = CartClient(isolated_client(app))
    shopper.add("FPS-30", 3)
    shopper.form("/cart/code", {"code": "STACKB"})
    placed = place_order(shopper)
    assert placed.status_code == 302, placed.get_data(as_text=True)[:300]
    assert pay_demo(shopper, placed.headers["Location"]).status_code == 302
    db.session.rollback()
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert (order.subtotal, order.discount_total, order.total) == (17400, 3480, 13920)
    assert order.has_gift and order.status == "paid"
    return order


def test_a_small_refund_on_a_discounted_order_keeps_the_gift_earned(app, fulfilment):
    order = discounted_order_with_the_gift(app)
    response = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "10.00"})
    assert response.status_code == 302
    (refund,) = reload(order).refunds
    # $10.00 paid back is $12.50 of merchandise before the discount: $161.50 is kept.
    assert (refund.requested_amount, refund.gift_deduction, refund.amount) == (1000, 0, 1000)
    # Another $20.00 leaves $136.50 of it: below the threshold, so the gift is paid for.
    response = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "20.00"})
    assert response.status_code == 302
    second = reload(order).refunds[1]
    assert (second.requested_amount, second.gift_deduction, second.amount) == (2000, 2000, 0)
    assert reload(order).gift_deducted


def test_the_refund_measures_against_the_threshold_the_order_was_priced_under(app, fulfilment):
    order = discounted_order_with_the_gift(app)
    gift = db.session.scalars(select(Promotion).where(Promotion.min_subtotal == 15000)).one()
    merchandiser = make_staff(Role.MERCHANDISER)
    with unit_of_work():
        promotion_service.update_promotion(
            gift.id,
            gift.version,
            PromotionData(
                name=gift.name,
                label=gift.label,
                reward_type=gift.reward_type,
                priority=gift.priority,
                combinable=gift.combinable,
                min_subtotal=20000,  # raised after the order was placed
                gift_skus=tuple(promotion_service.skus_for(gift.gift_variant_ids)),
                gift_max_quantity=gift.gift_max_quantity,
            ),
            merchandiser,
        )
    response = fulfilment.post(f"/admin/orders/{order.number}/refund", {"amount": "10.00"})
    assert response.status_code == 302
    (refund,) = reload(order).refunds
    assert (refund.gift_deduction, refund.amount) == (0, 1000)


# ---------------------------------------------------------------- cancelling


def test_cancel_a_pending_order_returns_its_stock(app, fulfilment):
    before = stock("FPS-30")
    order = new_order(app, "FPS-30", quantity=2, pay=False)
    assert stock("FPS-30") == before - 2
    response = fulfilment.post(f"/admin/orders/{order.number}/cancel", {"reason": "Phone order"})
    assert response.status_code == 302
    order = reload(order)
    assert order.status == "cancelled" and order.stock_state == "released"
    assert stock("FPS-30") == before


def test_cancel_a_paid_order_returns_its_stock(app, fulfilment):
    before = stock("CHG-100")
    order = new_order(app, "CHG-100", quantity=3)
    response = fulfilment.post(f"/admin/orders/{order.number}/cancel", {"reason": "Asked to"})
    assert response.status_code == 302
    assert reload(order).status == "cancelled"
    assert stock("CHG-100") == before
    notes = [e.note for e in reload(order).events]
    assert "Asked to" in notes


def test_a_shipped_order_cannot_be_cancelled(app, fulfilment, demo_store):
    order = new_order(app, "CHG-100")
    demo_store.execute(update(Order).where(Order.id == order.id).values(status="shipped"))
    demo_store.commit()
    response = fulfilment.post(f"/admin/orders/{order.number}/cancel", {"reason": ""})
    assert response.status_code == 422
    assert "only pending or paid orders that are not packed yet can be cancelled" in (
        response.get_data(as_text=True)
    )
    assert reload(order).status == "shipped"


def test_unknown_order_is_a_404(fulfilment):
    assert fulfilment.get("/admin/orders/424242").status_code == 404
    assert fulfilment.post("/admin/orders/424242/fulfil").status_code == 404


def test_list_filters_by_source_article(app, fulfilment, demo_store):
    guide = demo_store.scalars(select(Article).order_by(Article.id)).first()
    credited = new_order(app, "FPS-30")
    other = new_order(app, "CHG-100")
    demo_store.execute(
        update(OrderLine)
        .where(OrderLine.order_id == credited.id, OrderLine.is_gift.is_(False))
        .values(source_article_id=guide.id)
    )
    demo_store.commit()
    html = fulfilment.html(f"/admin/orders?article={guide.id}")
    assert f"#{credited.number}<" in html and f"#{other.number}<" not in html
    assert f'<option selected value="{guide.id}">' in html or (
        f'value="{guide.id}" selected' in html
    )
