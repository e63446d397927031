"""What happens to an order after it is placed: payment outcomes, reservation expiry,
fulfilment, shipping and refunds. Every change goes through `_move`, which checks
the transition and records it on the order's timeline with its actor."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from shop.cart import store as cart_store
from shop.catalog.service import return_stock
from shop.extensions import db
from shop.money import format_money
from shop.orders import emails
from shop.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderPromotion,
    PaymentStatus,
    Refund,
    StockState,
)
from shop.orders.states import PAID_STATES, OrderStatus, check_transition
from shop.payments.demo import CardDeclined
from shop.payments.provider import PaymentProvider, PaymentProviderError, PaymentState
from shop.promotions.engine import threshold_base
from shop.promotions.models import Promotion, PromotionVersion
from shop.timeutil import utcnow
from shop.unit_of_work import after_commit, unit_of_work

SYSTEM = "system"
# The timeline entry of a payment that does not settle its order (staff must look).
PAYMENT_MISMATCH = "payment_mismatch"


class OrderActionError(ValueError):
    """A staff or shopper action on an order that cannot be done; says why."""


def record_event(
    order: Order,
    actor: str,
    kind: str,
    note: str = "",
    *,
    attention: bool = False,
    from_status: str | None = None,
    to_status: str | None = None,
) -> OrderEvent:
    event = OrderEvent(
        actor=actor,
        kind=kind,
        note=note,
        needs_attention=attention,
        from_status=from_status,
        to_status=to_status,
    )
    order.events.append(event)
    return event


def _move(order: Order, target: str, actor: str, kind: str, note: str = "") -> None:
    check_transition(order.status, target)
    record_event(order, actor, kind, note, from_status=order.status, to_status=target)
    order.status = target


def find_by_public_token(token: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.public_token == token))


def _money(amount: int, currency: str) -> str:
    """An amount as staff and shoppers read it, in the store's locale."""
    return format_money(amount, currency.upper(), current_app.config["STORE_LOCALE"])


# ------------------------------------------------------------------ payment outcomes


def is_order_payment(order: Order, payment_id: str | None) -> bool:
    """Whether a provider payment is this order's own: the one the store created for
    it and stored. A payment's metadata may name an order (its public token, which is
    readable in every order link), but only the stored id ties a payment to an order."""
    return bool(payment_id) and payment_id == order.payment_id


def settlement_problem(order: Order, payment: PaymentState) -> str:
    """Why this successful provider payment does not settle this order; "" if it does.

    The one rule for webhooks and reconciliation alike: an order is settled only by its
    own payment (`is_order_payment`), and only when the money received is the order's
    total in the order's currency. Anything else is a payment staff must look at, never
    a sale: a smaller amount would ship goods unpaid, a larger one needs a refund, and
    another currency is a different sum altogether.

    The money received is the provider's `amount_received` when it reports one: that
    is what came in (a payment captured for less than was authorised still succeeds).
    Without it, the amount asked for, which a succeeded, automatically captured
    payment received in full.
    """
    if not is_order_payment(order, payment.payment_id):
        return (
            f"Payment {payment.payment_id or '(without an id)'} names this order, but the "
            f"order's own payment is {order.payment_id or 'not on record'}."
        )
    received = payment.amount if payment.amount_received is None else payment.amount_received
    expected = _money(order.total, order.currency)
    if received is None or not _is_currency_code(payment.currency):
        return (
            f"Payment {payment.payment_id} succeeded without a readable amount and "
            f"currency; the order total is {expected}."
        )
    if payment.currency.upper() != order.currency.upper() or received != order.total:
        return (
            f"Payment {payment.payment_id} received {_money(received, payment.currency)}, "
            f"but the order total is {expected}."
        )
    return ""


def _is_currency_code(currency: str) -> bool:
    return len(currency) == 3 and currency.isascii() and currency.isalpha()


def flag_unsettled_payment(order: Order, actor: str, problem: str) -> None:
    """Put a payment that does not settle the order in front of staff, on the order's
    timeline. Once: a redelivery or the next reconciliation run finding the same
    payment adds nothing new."""
    note = f"{problem} The order was left as it was; check the payment with the provider."
    if any(event.kind == PAYMENT_MISMATCH and event.note == note for event in order.events):
        return
    record_event(order, actor, PAYMENT_MISMATCH, note, attention=True)


def mark_paid(order: Order, actor: str, order_url: str) -> bool:
    """The money is in: the reservation becomes a sale, usage of the promotions is
    final, the shopper's cart is emptied and the confirmation queued. Idempotent:
    False when the order was already paid (a duplicate or late event)."""
    if order.status in PAID_STATES:
        return False
    if order.status == OrderStatus.CANCELLED:
        record_event(
            order,
            actor,
            "paid_after_cancel",
            "A payment succeeded for this cancelled order. Refund it or re-open the sale.",
            attention=True,
        )
        return False
    _move(order, OrderStatus.PAID, actor, "paid")
    order.payment_status = PaymentStatus.SUCCEEDED
    order.payment_message = ""
    order.paid_at = utcnow()
    order.stock_state = StockState.SOLD
    order.reservation_expires_at = None
    _count_usage(order)
    if order.cart_id is not None:
        cart_store.remove_lines(order.cart_id)
    emails.queue_order_email(order, "order_confirmation", order_url)
    return True


def _count_usage(order: Order) -> None:
    """Every promotion the paid order used counts once: limited ones were reserved at
    placement already; the rest (the free gift, usually) are counted now."""
    for used in order.promotions:
        if used.promotion_id is not None and not used.usage_reserved:
            db.session.execute(
                update(Promotion)
                .where(Promotion.id == used.promotion_id)
                .values(times_used=Promotion.times_used + 1)
            )
            used.usage_reserved = True


def mark_payment_failed(order: Order, actor: str, message: str) -> bool:
    """A declined attempt: the order stays payable and the shopper is told why."""
    if order.status != OrderStatus.PENDING:
        return False  # an old failure arriving after success changes nothing
    order.payment_status = PaymentStatus.FAILED
    order.payment_message = (message or "The payment was declined.")[:300]
    record_event(order, actor, "payment_failed", order.payment_message)
    return True


def start_payment(order: Order, provider: PaymentProvider, request_factory) -> None:
    """Create the provider's payment for a pending order, once, in units of work of its
    own (call it outside one): none is open while the provider answers.

    A retry reuses the payment already created, so a flaky network or a double click
    never makes a second charge possible. A provider failure leaves the order
    pending with a message; nothing is lost.
    """
    with unit_of_work():
        if order.status != OrderStatus.PENDING or order.payment_id:
            return
        payment_request = request_factory(order)
    # No lock or snapshot is held for as long as the provider takes (up to its timeout).
    try:
        session = provider.create_payment(payment_request)
    except PaymentProviderError as error:
        with unit_of_work(read_then_write=True):  # a double submit's twin may write too
            _reread_locked(order)
            if order.payment_id:
                return  # a concurrent request (a double submit) created it meanwhile
            order.payment_status = PaymentStatus.ERROR
            order.payment_message = (
                "We could not reach the payment service. Your order is saved; please try again."
            )
            record_event(order, SYSTEM, "payment_error", str(error)[:300])
        return
    with unit_of_work(read_then_write=True):
        _reread_locked(order)
        if order.payment_id and order.payment_id != session.payment_id:
            return  # another request stored its payment first; keep that one
        if order.payment_id is None or order.payment_status == PaymentStatus.ERROR:
            order.payment_status = PaymentStatus.UNPAID
        order.payment_id = session.payment_id
        order.payment_client_secret = session.client_secret
        order.payment_message = ""


def _reread_locked(order: Order) -> None:
    """The order as committed now, locked until commit: two requests creating the
    same payment (the idempotency key makes it one payment) must not overwrite each
    other's outcome, e.g. an error written over the payment the other one stored."""
    db.session.refresh(order, with_for_update=True)


# ------------------------------------------------------------------ reservations


def release_reservation(order: Order, actor: str, reason: str) -> bool:
    """Cancel an unpaid order and give its stock and promotion usage back."""
    if order.status != OrderStatus.PENDING:
        return False
    _move(order, OrderStatus.CANCELLED, actor, "cancelled", reason)
    _give_back_stock(order)
    _give_back_usage(order)
    order.payment_status = (
        order.payment_status
        if order.payment_status == PaymentStatus.FAILED
        else PaymentStatus.UNPAID
    )
    return True


def _give_back_stock(order: Order) -> None:
    if order.stock_state in (StockState.RESERVED, StockState.SOLD):
        return_stock(db.session, [(vid, units) for vid, units in order.stock_movements])
        order.stock_state = StockState.RELEASED


def _give_back_usage(order: Order) -> None:
    for used in order.promotions:
        if used.usage_reserved and used.promotion_id is not None:
            db.session.execute(
                update(Promotion)
                .where(Promotion.id == used.promotion_id, Promotion.times_used > 0)
                .values(times_used=Promotion.times_used - 1)
            )
            used.usage_reserved = False


def is_expired(order: Order, now: datetime) -> bool:
    return (
        order.status == OrderStatus.PENDING
        and order.reservation_expires_at is not None
        and order.reservation_expires_at <= now
        and order.payment_status != PaymentStatus.PROCESSING
    )


def release_if_expired(order: Order, now: datetime | None = None) -> bool:
    """Lazily, when an order is looked at: an abandoned reservation ends here."""
    if is_expired(order, now or utcnow()):
        release_reservation(order, SYSTEM, "The reservation expired before payment.")
        return True
    return False


def release_expired(now: datetime | None = None, limit: int = 500) -> int:
    """Cancel every unpaid order whose reservation has run out; returns how many."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.PENDING, Order.reservation_expires_at <= now)
        .order_by(Order.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    released = 0
    for order in expired:
        if is_expired(order, now):
            released += release_reservation(
                order, SYSTEM, "The reservation expired before payment."
            )
    db.session.flush()
    return released


# ------------------------------------------------------------------ staff actions


def mark_fulfilled(order: Order, actor: str) -> None:
    if order.status == OrderStatus.PARTIALLY_REFUNDED or order.status == OrderStatus.PAID:
        _move(order, OrderStatus.FULFILLED, actor, "fulfilled")
        return
    raise OrderActionError(f"Order {order.number} is {order.status}; only paid orders are packed.")


def mark_shipped(
    order: Order, actor: str, carrier: str, tracking_number: str, order_url: str
) -> None:
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise OrderActionError("A carrier and a tracking number are needed to ship.")
    if order.status not in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED):
        raise OrderActionError(f"Order {order.number} must be fulfilled before it ships.")
    _move(order, OrderStatus.SHIPPED, actor, "shipped", f"{carrier} {tracking_number}")
    order.carrier = carrier[:60]
    order.tracking_number = tracking_number[:80]
    emails.queue_order_email(order, "order_shipped", order_url)


def gift_deduction_for(order: Order, requested: int, gift_returned: bool) -> int:
    """The stated gift rule for refunds.

    A gift was earned by the order's merchandise reaching the promotion's threshold,
    measured as the promotions engine measures it (before discounts). If a refund takes
    what the kept merchandise counts for below that threshold and the gift is not sent
    back, the gift's value is deducted from the refund (once per order, never more
    than the refund itself). Returning the gift, or keeping enough merchandise, means
    no deduction. The engine's `threshold_base` says what the kept merchandise counts
    for: refunds are money paid after discounts, so it maps them back to
    pre-discount prices. The threshold is the one the order was priced under.
    """
    if gift_returned or order.gift_deducted:
        return 0
    kept_base = threshold_base(
        order.subtotal,
        paid=order.subtotal - order.discount_total,
        refunded=order.refunded_total + requested,
    )
    deduction = 0
    for line in order.lines:
        if not line.is_gift or line.gift_promotion_id is None:
            continue
        threshold = _threshold_priced_under(order, line.gift_promotion_id)
        if threshold is not None and kept_base < threshold:
            deduction += line.gift_value
    return min(deduction, requested)


def _threshold_priced_under(order: Order, promotion_id: int) -> int | None:
    """The gift promotion's minimum subtotal in the version the order recorded.

    Staff may have changed the threshold since; the shopper earned the gift under the
    old one. Versions saved by the back office keep their settings; a promotion never
    edited is still at the version the order names. Without a saved snapshot of that
    version the current settings are the best there is.
    """
    promotion = db.session.get(Promotion, promotion_id)
    used = next((p for p in order.promotions if p.promotion_id == promotion_id), None)
    if used is not None and (promotion is None or used.promotion_version != promotion.version):
        saved = db.session.scalar(
            select(PromotionVersion.settings).where(
                PromotionVersion.promotion_id == promotion_id,
                PromotionVersion.version == used.promotion_version,
            )
        )
        if saved is not None:
            return saved.get("min_subtotal")
    return promotion.min_subtotal if promotion else None


def refund(
    order: Order,
    amount: int,
    actor: str,
    provider: PaymentProvider,
    *,
    gift_returned: bool = False,
    reason: str = "",
) -> Refund:
    """Refund part or all of a paid order through the payment provider."""
    if order.status not in PAID_STATES or order.status == OrderStatus.REFUNDED:
        raise OrderActionError(f"Order {order.number} is {order.status}; nothing to refund.")
    if amount <= 0:
        raise OrderActionError("The refund must be more than zero.")
    if amount > order.refundable_amount:
        raise OrderActionError(
            f"At most {_money(order.refundable_amount, order.currency)} can still be "
            "refunded on this order."
        )
    deduction = gift_deduction_for(order, amount, gift_returned)
    payout = amount - deduction
    record = Refund(
        requested_amount=amount,
        gift_deduction=deduction,
        amount=payout,
        gift_returned=gift_returned,
        reason=reason[:300],
        actor=actor,
    )
    order.refunds.append(record)
    db.session.flush()
    if payout > 0:
        try:
            record.provider_refund_id = provider.refund(
                order.payment_id or "",
                payout,
                idempotency_key=f"refund-{order.public_token}-{record.id}",
            )
        except PaymentProviderError as error:
            db.session.rollback()
            raise OrderActionError(f"The payment provider refused the refund: {error}") from None
    order.refunded_total += amount
    if deduction:
        order.gift_deducted = True
    target = (
        OrderStatus.REFUNDED
        if order.refunded_total >= order.total
        else OrderStatus.PARTIALLY_REFUNDED
    )
    note = f"Refunded {_money(payout, order.currency)}"
    if deduction:
        note += f" (gift value {_money(deduction, order.currency)} kept)"
    _move(order, target, actor, "refunded", note)
    return record


def cancel_paid_order(order: Order, actor: str) -> None:
    """Staff cancel a paid order that has not shipped: stock goes back on the shelf."""
    if order.status not in (OrderStatus.PAID,):
        raise OrderActionError(f"Order {order.number} is {order.status} and cannot be cancelled.")
    _move(order, OrderStatus.CANCELLED, actor, "cancelled", "Cancelled by staff")
    _give_back_stock(order)


def promotion_usage_by_email(email: str) -> dict[int, int]:
    """How many live orders of this e-mail used each promotion (per-email limits)."""
    rows = db.session.execute(
        select(OrderPromotion.promotion_id, func.count())
        .join(Order, Order.id == OrderPromotion.order_id)
        .where(
            Order.email == email,
            Order.status != OrderStatus.CANCELLED,
            OrderPromotion.promotion_id.is_not(None),
        )
        .group_by(OrderPromotion.promotion_id)
    ).all()
    return dict(rows)


def has_paid_order(email: str) -> bool:
    return (
        db.session.scalar(
            select(Order.id).where(Order.email == email, Order.status.in_(PAID_STATES)).limit(1)
        )
        is not None
    )


def pay_with_demo_card(order: Order, provider, card_number: str, order_url: str) -> str | None:
    """The offline demo: approve or decline a test card; returns the decline reason.

    Settles through the same `mark_paid` / `mark_payment_failed` as real webhooks; the
    confirmation e-mail goes once the payment is committed.
    """
    if order.status != OrderStatus.PENDING:
        return None
    try:
        provider.charge(card_number)
    except CardDeclined as declined:
        mark_payment_failed(order, "shopper", str(declined))
        return str(declined)
    mark_paid(order, "demo payments", order_url)
    send_emails_after_commit(order)
    return None


def send_emails_after_commit(order: Order) -> None:
    """Send the order's queued e-mails once the unit of work that queued them has
    committed; a down mail server only delays them (`flask send-emails` retries)."""
    order_id = order.id
    after_commit(lambda: emails.send_due(order_id=order_id))


def retry_payment(order: Order, provider: PaymentProvider, request_factory) -> None:
    """After a provider error: try creating the payment again (same idempotency key),
    in units of work of its own like `start_payment`."""
    start_payment(order, provider, request_factory)


def reconcile_pending(provider: PaymentProvider, order_url_for, limit: int = 200) -> dict[str, int]:
    """For payments whose webhook never came: ask the provider and settle the order
    (each in a unit of work of its own; call it outside one), under the same rule as
    the webhook (`settlement_problem`): a payment that does not match its order is
    flagged for staff and counted as mismatched, never settled. Orders flagged so are
    left to staff from then on."""
    counts = {"paid": 0, "failed": 0, "unchanged": 0, "mismatched": 0, "errors": 0}
    flagged = select(OrderEvent.id).where(
        OrderEvent.order_id == Order.id, OrderEvent.kind == PAYMENT_MISMATCH
    )
    with unit_of_work():  # ended before the provider is asked
        waiting = db.session.execute(
            select(Order.id, Order.payment_id)
            .where(
                Order.status == OrderStatus.PENDING,
                Order.payment_id.is_not(None),
                Order.payment_provider == provider.name,
                ~flagged.exists(),
            )
            .order_by(Order.id)
            .limit(limit)
        ).all()
    for order_id, payment_id in waiting:
        try:
            state = provider.retrieve_payment(payment_id)
        except PaymentProviderError:
            counts["errors"] += 1
            continue
        with unit_of_work(read_then_write=True):
            # Read again, locked: the webhook may have settled the order while we asked.
            order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
            if order is None or order.status != OrderStatus.PENDING:
                counts["unchanged"] += 1
            else:
                counts[_reconcile(order, state, order_url_for)] += 1
    return counts


def _reconcile(order: Order, state: PaymentState, order_url_for) -> str:
    """Apply the provider's answer to one pending order; returns what happened."""
    if state.status == "succeeded":
        problem = settlement_problem(order, state)
        if problem:
            flag_unsettled_payment(order, "reconciliation", problem)
            return "mismatched"
        return "paid" if mark_paid(order, "reconciliation", order_url_for(order)) else "unchanged"
    if (
        state.status == "requires_payment_method"
        and state.failure_message
        and is_order_payment(order, state.payment_id)
    ):
        changed = mark_payment_failed(order, "reconciliation", state.failure_message)
        return "failed" if changed else "unchanged"
    return "unchanged"


def has_paid_order_with_product(email: str, product_id: int) -> bool:
    """Verified buyer: this e-mail has a paid (or later) order containing the product."""
    return (
        db.session.scalar(
            select(Order.id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.email == email.strip().lower(),
                Order.status.in_(PAID_STATES),
                OrderLine.product_id == product_id,
                OrderLine.is_gift.is_(False),
            )
            .limit(1)
        )
        is not None
    )
