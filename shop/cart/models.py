"""Carts for anonymous shoppers, found by a signed cookie that holds `token`.

Gift lines are never stored: the promotions engine adds them on every pricing, so a
gift cannot outlive the condition that earned it. The cart only remembers the
shopper's choices (codes, declined gifts) and which gifts it showed last time, so
the shopper can be told when one leaves.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Variant
from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(db.Model):
    __tablename__ = "cart"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_cart_token)
    email: Mapped[str | None] = mapped_column(String(254))
    # Codes as the shopper typed them (trimmed); the engine compares them case-blind.
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    declined_gift_rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Promotions whose gift was in the cart at the last pricing.
    gift_rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Cart {self.id}>"


class CartLine(db.Model):
    __tablename__ = "cart_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The article whose product card added this line (attribution; kept on the order).
    source_article_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", ondelete="SET NULL")
    )

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_line_variant"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    @property
    def key(self) -> str:
        """The line's key in the JSON API: one line per variant, so the variant id."""
        return str(self.variant_id)
