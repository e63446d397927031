"""Orders, their lines, the promotions they used, their timeline and refunds.

An order is frozen when placed: titles, SKUs, prices, discounts and gifts are
copied from the priced cart, so later catalogue or promotion edits never change
what a shopper bought or paid.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.orders.states import OrderStatus
from shop.timeutil import utcnow
from shop.types import UTCDateTime


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"  # no attempt yet, or a retry is possible
    PROCESSING = "processing"  # the provider is working on it
    FAILED = "failed"  # the last attempt was declined; the order stays payable
    ERROR = "error"  # the provider could not be reached; retrying is safe
    SUCCEEDED = "succeeded"


class EmailStatus(StrEnum):
    PENDING = "pending"  # queued, or waiting to be tried again
    SENT = "sent"


class StockState(StrEnum):
    RESERVED = "reserved"  # taken off the shelf for a pending order
    SOLD = "sold"  # the order was paid
    RELEASED = "released"  # given back (expired, cancelled)


class Order(db.Model):
    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(unique=True)  # shown to shoppers and staff
    public_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_public_token)
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PENDING)
    email: Mapped[str] = mapped_column(String(254), index=True)
    cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("cart.id", ondelete="SET NULL"), index=True
    )
    # What the cart looked like when this order was placed; a second submit of the
    # same cart finds this order instead of placing another.
    cart_fingerprint: Mapped[str] = mapped_column(String(64), default="")

    # The address as the shopper typed it (trimmed) and as its country's rules
    # normalised it (`shop.addresses`): the subdivision's code and name, the postcode
    # in its written form, and the lines a parcel label prints, in the country's order.
    shipping_name: Mapped[str] = mapped_column(String(120))
    shipping_line1: Mapped[str] = mapped_column(String(200))
    shipping_line2: Mapped[str] = mapped_column(String(200), default="")
    shipping_city_area: Mapped[str] = mapped_column(String(120), default="")
    shipping_city: Mapped[str] = mapped_column(String(120))
    shipping_country_area_code: Mapped[str] = mapped_column(String(20), default="")
    shipping_country_area_name: Mapped[str] = mapped_column(String(120), default="")
    shipping_postal_code: Mapped[str] = mapped_column(String(20))
    shipping_country: Mapped[str] = mapped_column(String(2))
    shipping_phone: Mapped[str] = mapped_column(String(20), default="")  # E.164, or none
    shipping_address_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipping_method: Mapped[str] = mapped_column(String(40))
    shipping_method_label: Mapped[str] = mapped_column(String(120))

    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int]  # shopper's lines before promotions
    discount_total: Mapped[int]
    shipping_total: Mapped[int]
    total: Mapped[int]
    gift_value_total: Mapped[int] = mapped_column(default=0)
    refunded_total: Mapped[int] = mapped_column(default=0)
    gift_deducted: Mapped[bool] = mapped_column(default=False)

    payment_provider: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[str | None] = mapped_column(String(120), index=True)
    # Lets the shopper's browser confirm this one payment (Stripe's Payment Element).
    payment_client_secret: Mapped[str | None] = mapped_column(String(300))
    payment_status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.UNPAID)
    payment_message: Mapped[str] = mapped_column(String(300), default="")

    stock_state: Mapped[str] = mapped_column(String(20), default=StockState.RESERVED)
    # [(variant id, units)] taken off the shelf, so exactly that is given back.
    stock_movements: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    reservation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    promotions: Mapped[list[OrderPromotion]] = relationship(
        back_populates="order", order_by="OrderPromotion.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="order", order_by="Refund.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'paid', 'fulfilled', 'shipped', 'cancelled', "
            "'partially_refunded', 'refunded')",
            name="known_status",
        ),
        CheckConstraint("total >= 0 AND subtotal >= 0 AND shipping_total >= 0", name="money"),
        CheckConstraint("refunded_total >= 0 AND refunded_total <= total", name="refunds"),
        Index("ix_order_pending_expiry", "status", "reservation_expires_at"),
    )

    @property
    def has_gift(self) -> bool:
        return any(line.is_gift for line in self.lines)

    @property
    def refundable_amount(self) -> int:
        return self.total - self.refunded_total

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderLine(db.Model):
    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    line_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[int]  # before promotions (a gift's reference price)
    line_price: Mapped[int]  # before promotions
    discount: Mapped[int]
    final_line_price: Mapped[int]
    is_gift: Mapped[bool] = mapped_column(default=False)
    gift_value: Mapped[int] = mapped_column(default=0)
    gift_promotion_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotion.id", ondelete="SET NULL")
    )
    # The article the shopper added this line from, so staff can see which articles sell.
    source_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", ondelete="SET NULL"), index=True
    )

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("final_line_price >= 0 AND discount >= 0", name="money"),
    )


class OrderPromotion(db.Model):
    """A promotion that applied to the order, with the version of its settings."""

    __tablename__ = "order_promotion"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    promotion_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotion.id", ondelete="SET NULL"), index=True
    )
    promotion_version: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int]  # money off, or the gift's value, or 0 for free shipping
    code: Mapped[str | None] = mapped_column(String(40))
    qualifying_line_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A usage reserved against the promotion's limit, to give back if the order is
    # cancelled before it is paid.
    usage_reserved: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="promotions")


class OrderEvent(db.Model):
    """The order's timeline: every change of state, with time and actor."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))  # "shopper", "system", "stripe", "staff:..."
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    needs_attention: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="events")


class Refund(db.Model):
    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    requested_amount: Mapped[int]
    gift_deduction: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int]  # what went back to the shopper
    gift_returned: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    provider_refund_id: Mapped[str | None] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="refunds")

    __table_args__ = (CheckConstraint("amount >= 0 AND requested_amount > 0", name="money"),)


class OutboxEmail(db.Model):
    """An e-mail waiting to be sent: written in the same transaction as the change it
    reports, sent after commit, retried later if the mail server is down."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("order.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
