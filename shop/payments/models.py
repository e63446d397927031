"""Every webhook event received, recorded once (a unique event id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class PaymentEvent(db.Model):
    __tablename__ = "payment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(80))
    payment_id: Mapped[str | None] = mapped_column(String(120), index=True)
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("order.id", ondelete="SET NULL"), index=True
    )
    # processed, already_paid, ignored, ignored_after_success, unknown_order,
    # order_cancelled, payment_mismatch (not the order's payment, or not its total and
    # currency: flagged), foreign_payment (a decline of a payment not the order's own)
    outcome: Mapped[str] = mapped_column(String(40))
    needs_attention: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_payment_event_once"),)
