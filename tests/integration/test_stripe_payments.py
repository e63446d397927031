"""Stripe payments through the real SDK against localstripe, with webhooks delivered
by localstripe to the app served on 127.0.0.1 and verified for real.

localstripe gaps, and what the tests do instead (said here so nobody wonders):
it ignores idempotency keys and never sends refund or duplicate events, so those
cases are covered by events signed in the test with the SDK's own signing helper.
So are events Stripe itself would not send: payments that do not match their order,
timestamps from the future and malformed bodies, all correctly signed, as a leaked
webhook secret or a bug upstream would produce them.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order, OutboxEmail
from shop.orders.service import reconcile_pending
from shop.payments.models import PaymentEvent
from shop.payments.registry import provider_for
from shop.unit_of_work import unit_of_work
from tests.conftest import STRIPE_TEST_SECRET, STRIPE_TEST_WEBHOOK_SECRET
from tests.integration.cart_helpers import CartClient, place_order
from tests.support.servers import wait_until
from tests.support.stripe_helpers import (
    card_payment_method,
    client_for,
    confirm_like_stripe_js,
    signed_body,
    signed_event,
)


@pytest.fixture
def shopper(stripe_app, demo_store) -> CartClient:
    return CartClient(stripe_app.test_client())


@pytest.fixture
def mail(stripe_app, mail_server):
    """The Stripe app's SMTP settings pointed at the local mail server."""
    previous = stripe_app.config["MAIL_SERVER"], stripe_app.config["MAIL_PORT"]
    stripe_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port)
    mail_server.clear()
    yield mail_server
    stripe_app.config["MAIL_SERVER"], stripe_app.config["MAIL_PORT"] = previous


@pytest.fixture
def provider(stripe_app):
    return provider_for(stripe_app)


@pytest.fixture
def stripe_client(localstripe):
    return client_for(localstripe.url, STRIPE_TEST_SECRET)


def fresh(order_id: int) -> Order:
    db.session.rollback()  # end the snapshot: the server thread wrote meanwhile
    return db.session.get(Order, order_id)


def placed_order(shopper: CartClient, sku: str = "FPS-50", quantity: int = 1) -> Order:
    shopper.add(sku, quantity)
    response = place_order(shopper)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = shopper.client.get(response.headers["Location"])
    assert page.status_code == 200
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def post_webhook(stripe_app, body: bytes, signature: str):
    return stripe_app.test_client().post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def test_checkout_creates_a_payment_intent_for_the_order_total(shopper, provider):
    order = placed_order(shopper)
    assert order.payment_provider == "stripe" and order.payment_id.startswith("pi_")
    state = provider.retrieve_payment(order.payment_id)
    assert state.amount == order.total == 8600  # free shipping over $75
    html = shopper.client.get(f"/orders/{_token(shopper, order)}/pay").get_data(as_text=True)
    assert "payment-element" in html and "pk_test_local" in html
    assert order.payment_client_secret in html


def test_a_zone_priced_express_order_is_charged_exactly_its_total(shopper, provider):
    shopper.add("FPS-30")  # $58.00: under the free-shipping threshold
    canada = {"line1": "80 Wellington St", "city": "Ottawa", "postal_code": "K1A 0A9"}
    response = place_order(shopper, method="Express", country="CA", country_area="ON", **canada)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    shopper.client.get(response.headers["Location"])
    db.session.rollback()
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert (order.shipping_method, order.shipping_total) == ("Express", 3500)
    assert order.total == 5800 + 3500
    assert provider.retrieve_payment(order.payment_id).amount == order.total


def _token(shopper, order) -> str:
    from shop.orders.links import order_token

    with shopper.client.application.test_request_context():
        return order_token(order)


def test_paying_with_a_test_card_settles_the_order_through_the_webhook(shopper, stripe_client):
    order = placed_order(shopper, "CMD-ROSE")
    status, _ = confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
    assert status == "succeeded"
    paid = wait_until(lambda: fresh(order.id).status == "paid" and fresh(order.id))
    assert paid.stock_state == "sold" and paid.payment_status == "succeeded"
    assert [e.actor for e in paid.events if e.kind == "paid"] == ["stripe"]
    assert shopper.cart()["item_count"] == 0
    events = db.session.scalars(select(PaymentEvent)).all()
    assert [(e.event_type, e.outcome) for e in events] == [
        ("payment_intent.succeeded", "processed")
    ]
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 1
    page = shopper.client.get(f"/orders/{_token(shopper, order)}").get_data(as_text=True)
    assert "Paid." in page


def test_declined_card_keeps_the_order_payable_and_the_cart(stripe_app, shopper, stripe_client):
    order = placed_order(shopper)
    declining = card_payment_method(stripe_client, "4000000000000341")
    status, failure = confirm_like_stripe_js(stripe_client, order.payment_id, declining)
    assert status == "requires_payment_method" and failure
    failed = wait_until(lambda: fresh(order.id).payment_status == "failed" and fresh(order.id))
    assert failed.status == "pending" and failed.payment_message
    assert shopper.cart()["item_count"] == 1
    page = shopper.client.get(f"/orders/{_token(shopper, order)}").get_data(as_text=True)
    assert "Payment failed" in page and "Try another card" in page
    # The same order can still be paid. localstripe cannot confirm a PaymentIntent
    # again after a failed charge (real Stripe can), so the second attempt's success
    # arrives as an event signed here.
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        amount=order.total,
    )
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "processed"
    assert fresh(order.id).status == "paid"


def test_three_d_secure_then_success(shopper, stripe_client, localstripe):
    order = placed_order(shopper)
    secure_card = card_payment_method(stripe_client, "4000002760003184")
    status, _ = confirm_like_stripe_js(stripe_client, order.payment_id, secure_card)
    assert status == "requires_action"
    assert fresh(order.id).status == "pending"
    localstripe.authenticate_3ds(order.payment_id, order.payment_client_secret, success=True)
    wait_until(lambda: fresh(order.id).status == "paid")


def test_three_d_secure_failure_leaves_the_order_payable(
    shopper, provider, stripe_client, localstripe
):
    order = placed_order(shopper)
    secure_card = card_payment_method(stripe_client, "4000002760003184")
    confirm_like_stripe_js(stripe_client, order.payment_id, secure_card)
    localstripe.authenticate_3ds(order.payment_id, order.payment_client_secret, success=False)
    assert provider.retrieve_payment(order.payment_id).status == "requires_payment_method"
    time.sleep(1.5)  # localstripe sends no event for this; nothing may change
    assert fresh(order.id).status == "pending"


def test_duplicate_and_out_of_order_events_change_nothing_twice(stripe_app, shopper, mail):
    order = placed_order(shopper)
    success = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        amount=order.total,
        event_id="evt_success_1",
    )
    late_failure = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.payment_failed",
        order.payment_id,
        event_id="evt_failure_0",
        failure="Declined",
    )
    assert post_webhook(stripe_app, *success).get_json()["outcome"] == "processed"
    assert post_webhook(stripe_app, *success).get_json()["outcome"] == "duplicate"
    assert post_webhook(stripe_app, *late_failure).get_json()["outcome"] == (
        "ignored_after_success"
    )
    paid = fresh(order.id)
    assert paid.status == "paid" and paid.payment_status == "succeeded"
    assert len([e for e in paid.events if e.kind == "paid"]) == 1
    assert len(mail.messages) == 1  # one confirmation, not two
    count = db.session.scalar(select(func.count()).select_from(PaymentEvent))
    assert count == 2


def test_failure_then_success_ends_paid(stripe_app, shopper):
    order = placed_order(shopper)
    failure = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.payment_failed",
        order.payment_id,
        failure="Insufficient funds",
    )
    post_webhook(stripe_app, *failure)
    assert fresh(order.id).payment_message == "Insufficient funds"
    success = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET, "payment_intent.succeeded", order.payment_id, amount=order.total
    )
    post_webhook(stripe_app, *success)
    assert fresh(order.id).status == "paid"


@pytest.mark.parametrize("problem", ["forged", "stale", "missing", "tampered"])
def test_bad_signatures_are_refused_and_change_nothing(stripe_app, shopper, problem):
    order = placed_order(shopper)
    secret = "whsec_someone_else" if problem == "forged" else STRIPE_TEST_WEBHOOK_SECRET
    stamp = int(time.time()) - 3600 if problem == "stale" else None
    body, header = signed_event(
        secret, "payment_intent.succeeded", order.payment_id, amount=order.total, timestamp=stamp
    )
    if problem == "missing":
        header = ""
    if problem == "tampered":
        body = body.replace(b"succeeded", b"succeedeD", 1)
    response = post_webhook(stripe_app, body, header)
    assert response.status_code == 400
    assert "signature" in response.get_json()["description"].lower()
    assert fresh(order.id).status == "pending"
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0


def test_success_for_an_unknown_order_is_recorded_for_staff(stripe_app, demo_store):
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET, "payment_intent.succeeded", "pi_nobody_knows"
    )
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "unknown_order"
    db.session.rollback()
    event = db.session.scalars(select(PaymentEvent)).one()
    assert event.needs_attention and event.payment_id == "pi_nobody_knows"


def test_success_for_a_cancelled_order_is_recorded_for_staff(stripe_app, shopper):
    from datetime import timedelta

    from shop.orders.service import release_expired
    from shop.timeutil import utcnow

    order = placed_order(shopper)
    with unit_of_work():
        release_expired(utcnow() + timedelta(hours=1))
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET, "payment_intent.succeeded", order.payment_id, amount=order.total
    )
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "order_cancelled"
    cancelled = fresh(order.id)
    assert cancelled.status == "cancelled"
    assert any(e.needs_attention for e in cancelled.events)
    assert db.session.scalars(select(PaymentEvent)).one().needs_attention


def test_a_webhook_that_fails_midway_leaves_nothing_and_its_retry_applies(
    stripe_app, shopper, monkeypatch
):
    """The event's record and what it does land together: a failure after the record
    is written must not leave it behind, or Stripe's retry would be a "duplicate" and
    the payment would never reach the order."""
    from shop.orders import webhooks

    order = placed_order(shopper)
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET, "payment_intent.succeeded", order.payment_id, amount=order.total
    )

    def fail(*_args):
        raise RuntimeError("the worker died while applying the event")

    with monkeypatch.context() as patch:
        patch.setattr(webhooks, "_apply", fail)
        stripe_app.config["PROPAGATE_EXCEPTIONS"] = False
        try:
            assert post_webhook(stripe_app, body, header).status_code == 500
        finally:
            stripe_app.config["PROPAGATE_EXCEPTIONS"] = None
    db.session.rollback()
    assert db.session.scalars(select(PaymentEvent)).all() == []
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "processed"
    assert fresh(order.id).status == "paid"


def test_provider_down_keeps_the_order_and_retry_makes_one_payment(
    stripe_app, shopper, localstripe
):
    provider = provider_for(stripe_app)
    working = provider._client
    from shop.payments.stripe_provider import StripeProvider

    broken = StripeProvider(
        STRIPE_TEST_SECRET, STRIPE_TEST_WEBHOOK_SECRET, "http://127.0.0.1:9"
    )  # nothing listens: connection refused
    provider._client = broken._client
    try:
        shopper.add("FPS-30", 1)
        response = place_order(shopper)
        pay_path = response.headers["Location"]
        page = shopper.client.get(pay_path).get_data(as_text=True)
        assert "could not reach the payment service" in page
        assert "Try the payment again" in page
        db.session.rollback()
        order = db.session.scalars(select(Order)).one()
        assert order.status == "pending" and order.payment_id is None
        assert shopper.cart()["item_count"] == 1
    finally:
        provider._client = working
    shopper.form(pay_path.replace("/pay", "/pay/retry"), {})
    shopper.form(pay_path.replace("/pay", "/pay/retry"), {})  # a double click
    retried = fresh(order.id)
    assert retried.payment_id and retried.payment_status == "unpaid"
    assert place_order(shopper).headers["Location"] == pay_path  # same order again
    assert fresh(order.id).payment_id == retried.payment_id


def test_reconciliation_settles_a_payment_whose_webhook_never_came(
    stripe_app, shopper, provider, localstripe, stripe_client
):
    localstripe.register_webhook("store", "http://127.0.0.1:9/nowhere", "whsec_x")
    try:
        order = placed_order(shopper)
        confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
        time.sleep(1.5)
        assert fresh(order.id).status == "pending"
        from shop.orders.links import external_order_url

        with stripe_app.test_request_context():
            counts = reconcile_pending(provider, external_order_url)
        assert counts["paid"] == 1
        assert fresh(order.id).status == "paid"
    finally:
        localstripe.register_webhook(
            "store",
            f"{stripe_app.extensions['live_url']}/webhooks/stripe",
            STRIPE_TEST_WEBHOOK_SECRET,
        )


def test_refunds_through_stripe_with_the_gift_rule(stripe_app, shopper, provider, stripe_client):
    from shop.orders.service import OrderActionError, refund

    order = placed_order(shopper, "CMD-ROSE")  # $199, gift set ($245) included
    confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
    wait_until(lambda: fresh(order.id).status == "paid")
    paid = fresh(order.id)
    # Refunding $60 leaves $139 of merchandise: below the $150 gift threshold, and the
    # gift is kept, so its value is deducted from the refund (here: all of it).
    partial = refund(paid, 6000, "staff:test", provider)
    db.session.commit()
    assert partial.gift_deduction == 6000 and partial.amount == 0
    assert fresh(order.id).status == "partially_refunded" and fresh(order.id).gift_deducted
    # The rest, with the gift deduction already taken once: paid back in full.
    rest = refund(fresh(order.id), fresh(order.id).refundable_amount, "staff:test", provider)
    db.session.commit()
    assert rest.gift_deduction == 0 and rest.provider_refund_id.startswith("re_")
    final = fresh(order.id)
    assert final.status == "refunded" and final.refunded_total == final.total
    charge = stripe_client.v1.payment_intents.retrieve(order.payment_id)
    assert charge.status == "succeeded"
    with pytest.raises(OrderActionError):
        refund(final, 100, "staff:test", provider)


def test_refund_with_the_gift_returned_pays_back_in_full(
    stripe_app, shopper, provider, stripe_client
):
    from shop.orders.service import refund

    order = placed_order(shopper, "CMD-ROSE")
    confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
    wait_until(lambda: fresh(order.id).status == "paid")
    record = refund(fresh(order.id), 6000, "staff:test", provider, gift_returned=True)
    db.session.commit()
    assert record.gift_deduction == 0 and record.amount == 6000


def test_stock_is_sold_once_per_paid_order(shopper, stripe_client):
    before = db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-50"))
    order = placed_order(shopper)
    confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
    wait_until(lambda: fresh(order.id).status == "paid")
    db.session.rollback()
    assert db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-50")) == before - 1


# ------------------------------------------------- payments that do not match their order


def flags(order: Order) -> list[str]:
    """The notes of the order's timeline entries that ask staff to look."""
    return [e.note for e in order.events if e.needs_attention]


def only_event() -> PaymentEvent:
    db.session.rollback()
    return db.session.scalars(select(PaymentEvent)).one()


@pytest.mark.parametrize(
    ("fields", "reported"),
    [
        ({"amount": 100}, "$1.00"),
        ({"currency": "jpy"}, "¥8,600"),
        # What was received, not what was asked for, is the money in.
        ({"amount_received": 100}, "$1.00"),
    ],
    ids=["amount", "currency", "amount_received"],
)
def test_success_for_another_amount_or_currency_leaves_the_order_unpaid_and_flagged(
    stripe_app, shopper, fields, reported
):
    order = placed_order(shopper)  # $86.00
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        **{"amount": order.total, **fields},
    )
    response = post_webhook(stripe_app, body, header)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "payment_mismatch"
    unpaid = fresh(order.id)
    assert (unpaid.status, unpaid.payment_status, unpaid.stock_state) == (
        "pending",
        "unpaid",
        "reserved",
    )
    [note] = flags(unpaid)
    assert order.payment_id in note and reported in note and "$86.00" in note
    event = only_event()
    assert (event.outcome, event.needs_attention, event.order_id) == (
        "payment_mismatch",
        True,
        order.id,
    )
    assert shopper.cart()["item_count"] == 1  # the cart is kept for a real payment
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_amount_received_for_the_total_settles_the_order(stripe_app, shopper):
    order = placed_order(shopper)
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        amount=order.total,
        amount_received=order.total,
    )
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "processed"
    assert fresh(order.id).status == "paid"


def test_a_foreign_payment_naming_an_orders_token_neither_pays_nor_fails_it(stripe_app, shopper):
    order = placed_order(shopper)
    # The public token is readable in every order link; the payment is someone else's.
    success = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        "pi_someone_elses_payment",
        order.public_token,
        amount=order.total,
    )
    assert post_webhook(stripe_app, *success).get_json()["outcome"] == "payment_mismatch"
    unpaid = fresh(order.id)
    assert unpaid.status == "pending" and unpaid.payment_status == "unpaid"
    [note] = flags(unpaid)
    assert "pi_someone_elses_payment" in note and order.payment_id in note

    failure = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.payment_failed",
        "pi_someone_elses_payment",
        order.public_token,
        amount=order.total,
        failure="Your card was declined.",
    )
    assert post_webhook(stripe_app, *failure).get_json()["outcome"] == "foreign_payment"
    still = fresh(order.id)
    assert (still.payment_status, still.payment_message) == ("unpaid", "")
    assert [e.kind for e in still.events if e.kind == "payment_failed"] == []

    # The order's own payment still settles it.
    own = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET, "payment_intent.succeeded", order.payment_id, amount=order.total
    )
    assert post_webhook(stripe_app, *own).get_json()["outcome"] == "processed"
    assert fresh(order.id).status == "paid"


def test_reconciliation_flags_a_payment_that_does_not_match_and_leaves_the_order_unpaid(
    stripe_app, shopper, provider, localstripe, stripe_client
):
    localstripe.register_webhook("store", "http://127.0.0.1:9/nowhere", "whsec_x")
    try:
        order = placed_order(shopper)  # $86.00
        # Changed outside the store (say, in Stripe's dashboard) before it was paid.
        stripe_client.v1.payment_intents.update(order.payment_id, params={"currency": "eur"})
        confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
        # localstripe sends its event after a pause, to the endpoint registered then:
        # let it go nowhere rather than into a later test.
        time.sleep(1.5)
        from shop.orders.links import external_order_url

        with stripe_app.test_request_context():
            counts = reconcile_pending(provider, external_order_url)
        assert counts["paid"] == 0 and counts["mismatched"] == 1
        unpaid = fresh(order.id)
        assert unpaid.status == "pending" and unpaid.payment_status == "unpaid"
        [note] = flags(unpaid)
        assert "€86.00" in note and "$86.00" in note
        # A flagged order waits for staff: later runs neither ask Stripe about it again
        # nor let it take a place among the orders a run looks at.
        with stripe_app.test_request_context():
            again = reconcile_pending(provider, external_order_url)
        assert sum(again.values()) == 0
        assert len(flags(fresh(order.id))) == 1
    finally:
        localstripe.register_webhook(
            "store",
            f"{stripe_app.extensions['live_url']}/webhooks/stripe",
            STRIPE_TEST_WEBHOOK_SECRET,
        )


class WebhookWhileReconciling:
    """The Stripe provider, except that the payment's webhook is delivered while
    reconciliation waits for Stripe's answer: the race, made to happen every time."""

    name = "stripe"

    def __init__(self, provider, deliver) -> None:
        self._provider = provider
        self._deliver = deliver

    def retrieve_payment(self, payment_id: str):
        state = self._provider.retrieve_payment(payment_id)
        self._deliver()
        return state


def test_reconciliation_and_a_webhook_at_the_same_time_settle_the_order_once(
    stripe_app, shopper, provider, localstripe, stripe_client
):
    localstripe.register_webhook("store", "http://127.0.0.1:9/nowhere", "whsec_x")
    try:
        order = placed_order(shopper)
        confirm_like_stripe_js(stripe_client, order.payment_id, "pm_card_visa")
        time.sleep(1.5)  # localstripe's own event goes nowhere (see above)
        success = signed_event(
            STRIPE_TEST_WEBHOOK_SECRET,
            "payment_intent.succeeded",
            order.payment_id,
            amount=order.total,
        )

        def deliver() -> None:
            assert post_webhook(stripe_app, *success).get_json()["outcome"] == "processed"

        from shop.orders.links import external_order_url

        with stripe_app.test_request_context():
            counts = reconcile_pending(
                WebhookWhileReconciling(provider, deliver), external_order_url
            )
        assert counts["paid"] == 0 and counts["unchanged"] == 1
        paid = fresh(order.id)
        assert [e.actor for e in paid.events if e.kind == "paid"] == ["stripe"]
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 1
    finally:
        localstripe.register_webhook(
            "store",
            f"{stripe_app.extensions['live_url']}/webhooks/stripe",
            STRIPE_TEST_WEBHOOK_SECRET,
        )


# ------------------------------------------------- timestamps and malformed events


def test_a_signature_dated_in_the_future_is_refused(stripe_app, shopper):
    order = placed_order(shopper)
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        amount=order.total,
        timestamp=int(time.time()) + 600,
    )
    response = post_webhook(stripe_app, body, header)
    assert response.status_code == 400
    assert "future" in response.get_json()["description"]
    assert fresh(order.id).status == "pending"
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0


def test_a_signature_a_little_ahead_of_our_clock_is_accepted(stripe_app, shopper):
    order = placed_order(shopper)
    body, header = signed_event(
        STRIPE_TEST_WEBHOOK_SECRET,
        "payment_intent.succeeded",
        order.payment_id,
        amount=order.total,
        timestamp=int(time.time()) + 120,  # clocks drift; Stripe's is not ours
    )
    assert post_webhook(stripe_app, body, header).get_json()["outcome"] == "processed"


def _event(**overrides) -> dict:
    event = {
        "id": "evt_shape_test",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_x", "object": "payment_intent", "amount": 8600}},
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not ...}


MALFORMED = {
    "array": ("[]", "an object"),
    "array_of_events": (json.dumps([_event()]), "an object"),
    "no_id": (json.dumps(_event(id=...)), "id"),
    "null_id": (json.dumps(_event(id=None)), "id"),
    "number_id": (json.dumps(_event(id=42)), "id"),
    "empty_id": (json.dumps(_event(id="")), "id"),
    "long_id": (json.dumps(_event(id="evt_" + "x" * 200)), "id"),
    "no_type": (json.dumps(_event(type=...)), "type"),
    "number_type": (json.dumps(_event(type=7)), "type"),
    "no_data": (json.dumps(_event(data=...)), "data"),
    "data_a_list": (json.dumps(_event(data=[])), "data"),
    "object_a_string": (json.dumps(_event(data={"object": "pi_x"})), "data"),
    "not_json": ("{not json", "JSON"),
    "not_a_number": ('{"id": "evt_nan", "type": "x", "data": {"object": {"n": NaN}}}', "JSON"),
    "out_of_range": ('{"id": "evt_big", "type": "x", "data": {"object": {"n": -1e400}}}', "JSON"),
    "deeply_nested": ('{"id": "evt_deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "JSON"),
}


# Deep enough to parse (the request thread's stack permitting), too deep to store or for
# anything else to walk; Stripe's events nest a handful of levels.
MALFORMED.update(
    {
        f"nested_{depth}_deep": (
            '{"id": "evt_deep", "type": "payment_intent.succeeded", "data": {"object": '
            + '{"id": "pi_x", "n": '
            + "[" * depth
            + "]" * depth
            + "}}}",
            "nested",
        )
        for depth in (40, 500, 900, 930, 950, 970)
    }
)


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_signed_but_malformed_event_is_refused_with_a_reason_and_records_nothing(
    stripe_app, demo_store, shape
):
    text, reason = MALFORMED[shape]
    body, header = signed_body(STRIPE_TEST_WEBHOOK_SECRET, text)
    response = post_webhook(stripe_app, body, header)
    assert response.status_code == 400
    description = response.get_json()["description"]
    assert description.startswith("Malformed webhook event") and reason in description
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
