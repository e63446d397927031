"""Back-office order work: finding orders, and the staff actions on one.

The actions reuse the order service (`shop.orders.service`), which checks each state
transition and writes the order's timeline; this module adds the audit entry, in the
same unit of work, and for shipping sends the queued e-mail once that has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from shop.admin import audit
from shop.admin.errors import AdminActionError
from shop.admin.models import StaffUser
from shop.admin.pagination import paginate
from shop.extensions import db
from shop.orders import service as orders
from shop.orders.models import Order, OrderLine, Refund
from shop.orders.states import OrderStatus, TransitionError
from shop.payments.provider import PaymentProvider
from shop.promotions.models import PromotionVersion
from shop.templating import store_money_formatter

ORDER_FIELDS = ("status", "refunded_total", "stock_state", "carrier", "tracking_number")


def source_article_supported() -> bool:
    """Orders remember the article a line came from once the content feature adds it."""
    return hasattr(OrderLine, "source_article_id")


def article_titles() -> list[tuple[int, str]]:
    """(id, title) of every article, for the source-article filter."""
    from content.models import Article

    return [
        tuple(row)
        for row in db.session.execute(select(Article.id, Article.title).order_by(Article.title))
    ]


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    email: str | None = None
    has_gift: bool | None = None
    article_id: int | None = None


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def search_orders(filters: OrderFilters, page: int = 1, per_page: int = 50) -> Pagination:
    query = (
        select(Order)
        .where(Order.number.is_not(None))
        .options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    if filters.status in tuple(OrderStatus):
        query = query.where(Order.status == filters.status)
    if filters.since:
        query = query.where(Order.created_at >= _day_start(filters.since))
    if filters.until:
        query = query.where(Order.created_at < _day_start(filters.until) + timedelta(days=1))
    if filters.email:
        query = query.where(Order.email.ilike(f"%{filters.email.strip().lower()}%"))
    if filters.has_gift is not None:
        gift = exists().where(OrderLine.order_id == Order.id, OrderLine.is_gift.is_(True))
        query = query.where(gift if filters.has_gift else ~gift)
    if filters.article_id is not None and source_article_supported():
        column = OrderLine.source_article_id
        query = query.where(
            exists().where(OrderLine.order_id == Order.id, column == filters.article_id)
        )
    return paginate(query, page, per_page)


def get_order(number: int) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.lines),
            selectinload(Order.promotions),
            selectinload(Order.events),
            selectinload(Order.refunds),
        )
    )


def promotion_versions(order: Order) -> dict[tuple[int, int], PromotionVersion]:
    """The saved settings of each promotion version the order was priced under."""
    wanted = [(p.promotion_id, p.promotion_version) for p in order.promotions if p.promotion_id]
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(PromotionVersion).where(
            PromotionVersion.promotion_id.in_({pid for pid, _ in wanted})
        )
    )
    return {
        (row.promotion_id, row.version): row
        for row in rows
        if (row.promotion_id, row.version) in wanted
    }


def _order_or_error(number: int) -> Order:
    order = get_order(number)
    if order is None:
        raise AdminActionError("This order does not exist.")
    return order


def _actor(staff: StaffUser) -> str:
    return f"staff:{staff.email}"


def _finish(order: Order, staff: StaffUser, action: str, summary: str, before: dict) -> None:
    audit.record(
        staff,
        action,
        "order",
        order.number,
        summary,
        before=before,
        after=audit.snapshot(order, ORDER_FIELDS),
    )


def fulfil(number: int, staff: StaffUser) -> Order:
    order = _order_or_error(number)
    before = audit.snapshot(order, ORDER_FIELDS)
    try:
        orders.mark_fulfilled(order, _actor(staff))
    except (orders.OrderActionError, TransitionError) as error:
        db.session.rollback()
        raise AdminActionError(str(error)) from None
    _finish(order, staff, "order.fulfilled", f"Packed order {order.number}", before)
    return order


def ship(
    number: int,
    staff: StaffUser,
    carrier: str,
    tracking_number: str,
    order_url: Callable[[Order], str],
) -> Order:
    """Mark shipped with the carrier and tracking number, then e-mail the shopper.

    The e-mail is queued in the same unit of work and sent once it has committed; if
    the mail server is down it stays queued and `flask send-emails` retries it.
    """
    order = _order_or_error(number)
    before = audit.snapshot(order, ORDER_FIELDS)
    try:
        orders.mark_shipped(order, _actor(staff), carrier, tracking_number, order_url(order))
    except (orders.OrderActionError, TransitionError) as error:
        db.session.rollback()
        raise AdminActionError(str(error)) from None
    _finish(
        order,
        staff,
        "order.shipped",
        f"Shipped order {order.number} with {carrier.strip()} {tracking_number.strip()}",
        before,
    )
    orders.send_emails_after_commit(order)
    return order


def refund(
    number: int,
    staff: StaffUser,
    amount: int,
    provider: PaymentProvider,
    *,
    gift_returned: bool,
    reason: str,
) -> Refund:
    """Refund through the payment provider; the order service applies the gift rule."""
    order = _order_or_error(number)
    before = audit.snapshot(order, ORDER_FIELDS)
    try:
        record = orders.refund(
            order, amount, _actor(staff), provider, gift_returned=gift_returned, reason=reason
        )
    except (orders.OrderActionError, TransitionError) as error:
        db.session.rollback()
        raise AdminActionError(str(error), {"amount": str(error)}) from None
    money = store_money_formatter()
    summary = f"Refunded {money(record.amount)} of order {order.number}"
    if record.gift_deduction:
        summary += f" (gift value {money(record.gift_deduction)} kept)"
    _finish(order, staff, "order.refunded", summary, before)
    return record


def cancel(number: int, staff: StaffUser, reason: str) -> Order:
    """Cancel an unpaid order (its reservation ends) or a paid one not yet packed.
    Either way its stock goes back on the shelf."""
    order = _order_or_error(number)
    before = audit.snapshot(order, ORDER_FIELDS)
    note = reason.strip() or "Cancelled by staff"
    try:
        if order.status == OrderStatus.PENDING:
            orders.release_reservation(order, _actor(staff), note)
        elif order.status == OrderStatus.PAID:
            orders.cancel_paid_order(order, _actor(staff))
            if reason.strip():
                orders.record_event(order, _actor(staff), "note", reason.strip())
        else:
            raise AdminActionError(
                f"Order {order.number} is {order.status.replace('_', ' ')}; only pending or "
                "paid orders that are not packed yet can be cancelled."
            )
    except (orders.OrderActionError, TransitionError) as error:
        db.session.rollback()
        raise AdminActionError(str(error)) from None
    _finish(order, staff, "order.cancelled", f"Cancelled order {order.number}", before)
    return order
