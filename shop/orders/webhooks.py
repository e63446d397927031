"""Stripe webhook events, applied once.

Each event id is recorded with a unique constraint before anything else happens, so
a duplicate delivery changes nothing twice. The order row is locked while the event
is applied, so a success and a failure racing each other settle in one order.
Events that cannot be applied (an unknown order, a payment for a cancelled order, a
payment that is not the order's own or not for its total and currency) are recorded
for staff with `needs_attention`, never dropped. Whether a payment settles an order
is decided by `orders.settlement_problem`, the rule reconciliation uses too.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shop.extensions import db
from shop.orders import links
from shop.orders import service as orders
from shop.orders.models import Order
from shop.orders.states import PAID_STATES, OrderStatus
from shop.payments.models import PaymentEvent
from shop.payments.provider import PaymentState, WebhookEvent

SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"
ACTOR = "stripe"
NEEDS_ATTENTION = frozenset({"order_cancelled", "payment_mismatch"})


def _locked_order(event: WebhookEvent) -> Order | None:
    """The order the event is about: the one holding its payment id, else the one its
    metadata names. The latter is only ever flagged for staff, never settled."""
    query = select(Order).with_for_update()
    if event.payment_id:
        order = db.session.scalar(query.where(Order.payment_id == event.payment_id))
        if order is not None:
            return order
    if event.order_reference:
        return db.session.scalar(query.where(Order.public_token == event.order_reference))
    return None


def handle_event(event: WebhookEvent, order_url: Callable[[Order], str]) -> str:
    """Apply one verified event; returns its outcome. The e-mails a payment queued go
    once the unit of work has committed."""
    record = PaymentEvent(
        provider="stripe",
        event_id=event.event_id,
        event_type=event.event_type,
        payment_id=event.payment_id,
        payload=event.payload,
        outcome="received",
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return "duplicate"

    if event.event_type not in (SUCCEEDED, FAILED):
        record.outcome = "ignored"
        return record.outcome

    order = _locked_order(event)
    if order is None:
        record.outcome = "unknown_order"
        record.needs_attention = True
    else:
        record.order_id = order.id
        record.outcome = _apply(event, order, order_url)
        record.needs_attention = record.outcome in NEEDS_ATTENTION
    if order is not None and record.outcome == "processed":
        orders.send_emails_after_commit(order)
    return record.outcome


def _apply(event: WebhookEvent, order: Order, order_url: Callable[[Order], str]) -> str:
    if event.event_type == SUCCEEDED:
        payment = event.payment or PaymentState(event.payment_id or "", "", None, "")
        problem = orders.settlement_problem(order, payment)
        if problem:
            orders.flag_unsettled_payment(order, ACTOR, problem)
            return "payment_mismatch"
        if order.status == OrderStatus.CANCELLED:
            orders.mark_paid(order, ACTOR, order_url(order))  # records it for staff
            return "order_cancelled"
        return "processed" if orders.mark_paid(order, ACTOR, order_url(order)) else "already_paid"
    if not orders.is_order_payment(order, event.payment_id):
        return "foreign_payment"  # another payment's decline says nothing about this one
    if order.status in PAID_STATES:
        return "ignored_after_success"
    changed = orders.mark_payment_failed(order, ACTOR, event.failure_message)
    return "processed" if changed else "ignored"


def apply_verified_event(event: WebhookEvent) -> str:
    """`handle_event` for the webhook endpoint, with the shopper's order links."""
    return handle_event(event, links.external_order_url)
