"""Carts for anonymous shoppers, found by a signed cookie that holds `token`.

Gift lines are never stored: the promotions engine adds them on every pricing, so a
gift cannot outlive the condition that earned it. The cart only remembers the
shopper's choices (codes, declined gifts) and which gifts it showed last time, so
the shopper can be told when one leaves.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

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
    # The shopper's lines as one document, in the order they were added:
    # [{"variant_id": 3, "quantity": 1, "source_article_id": 7 or null}]. A cart is a
    # short-lived working copy read and written whole on every click, so it is one row
    # read with one statement and written with one; what was sold is kept relationally
    # on the order. `shop.cart.store` is the only reader and writer.
    lines: Mapped[list[dict]] = mapped_column(JSON, default=list, server_default="[]")
    # Codes as the shopper typed them (trimmed); the engine compares them case-blind.
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    declined_gift_rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The country the shopper asked the cart to estimate shipping to.
    shipping_country: Mapped[str | None] = mapped_column(String(2))
    # Promotions whose gift was in the cart at the last pricing.
    gift_rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Cart {self.id}>"
