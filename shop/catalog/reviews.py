"""Shopper reviews of products: the row, submission, moderation and rating summaries.

A review is held as pending until an editor approves it; only approved reviews are
shown or counted. Its text is stored as typed and always shown escaped (never as
HTML or Markdown). The verified-buyer flag is decided from paid orders when the
review arrives and again when it is approved, never from anything the form says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from shop.catalog.models import Product
from shop.extensions import db
from shop.input_rules import has_bidi_controls
from shop.timeutil import utcnow
from shop.types import UTCDateTime

MIN_RATING = 1
MAX_RATING = 5
MAX_TITLE_LENGTH = 120
MIN_BODY_LENGTH = 10
MAX_BODY_LENGTH = 2000
MAX_NAME_LENGTH = 60
MAX_EMAIL_LENGTH = 254

# Control characters other than tab and line breaks have no place in a review, nor
# bidi controls (shop.input_rules: they reorder how the text around them is shown).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ReviewStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    ALL = (PENDING, APPROVED, REJECTED)


class ProductReview(db.Model):
    __tablename__ = "product_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    rating: Mapped[int]
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    # Never shown: it only ties the review to paid orders for the verified badge.
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), index=True)
    is_verified_buyer: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()

    __table_args__ = (
        CheckConstraint(f"rating >= {MIN_RATING} AND rating <= {MAX_RATING}", name="rating"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="known_status"),
        Index("ix_product_review_listing", "product_id", "status", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<ProductReview {self.id} {self.status} {self.rating}/5>"


class ReviewError(ValueError):
    """A review that cannot be accepted or moderated; the message says why."""


@dataclass(frozen=True)
class RatingSummary:
    """Average and count of a product's approved reviews."""

    product_id: int
    count: int
    average: float  # 0.0 when there are no reviews

    @property
    def rounded_stars(self) -> int:
        """Whole stars to draw for the average."""
        return int(self.average + 0.5)


# --------------------------------------------------------------------------- reading


def rating_summaries(product_ids: Iterable[int]) -> dict[int, RatingSummary]:
    """Summaries for many products in one grouped query (listings, article cards)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProductReview.product_id, func.count(), func.avg(ProductReview.rating))
        .where(ProductReview.product_id.in_(ids), ProductReview.status == ReviewStatus.APPROVED)
        .group_by(ProductReview.product_id)
    ).all()
    found = {
        product_id: RatingSummary(product_id, int(count), round(float(average), 1))
        for product_id, count, average in rows
    }
    return {pid: found.get(pid, RatingSummary(pid, 0, 0.0)) for pid in ids}


def rating_summary(product_id: int) -> RatingSummary:
    return rating_summaries([product_id])[product_id]


def approved_reviews(product_id: int, limit: int = 20) -> Sequence[ProductReview]:
    """Approved reviews of a product, newest first."""
    return db.session.scalars(
        select(ProductReview)
        .where(
            ProductReview.product_id == product_id,
            ProductReview.status == ReviewStatus.APPROVED,
        )
        .order_by(ProductReview.created_at.desc(), ProductReview.id.desc())
        .limit(limit)
    ).all()


def pending_reviews(limit: int = 100) -> Sequence[ProductReview]:
    """The moderation queue, oldest first, with each review's product loaded."""
    return db.session.scalars(
        select(ProductReview)
        .where(ProductReview.status == ReviewStatus.PENDING)
        .order_by(ProductReview.created_at, ProductReview.id)
        .limit(limit)
        .options(selectinload(ProductReview.product))
    ).all()


def count_pending_reviews() -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ProductReview)
            .where(ProductReview.status == ReviewStatus.PENDING)
        )
        or 0
    )


# --------------------------------------------------------------------------- writing


def _clean_text(value: str, field: str, minimum: int, maximum: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if _CONTROL_CHARACTERS.search(text) or has_bidi_controls(text):
        raise ReviewError(f"The {field} contains characters we cannot accept.")
    if len(text) < minimum:
        raise ReviewError(f"The {field} must be at least {minimum} characters long.")
    if len(text) > maximum:
        raise ReviewError(f"The {field} can be at most {maximum} characters long.")
    return text


# Orders sit above the catalogue: they say who bought what, registered when the app
# is built (`verify_buyers_with`). Without it no review is marked as a verified buyer's.
PURCHASE_CHECK = "review_purchase_check"


def verify_buyers_with(app: Flask, has_bought: Callable[[str, int], bool]) -> None:
    """Name the check "did this e-mail pay for an order holding this product?"."""
    app.extensions[PURCHASE_CHECK] = has_bought


def _is_verified_buyer(email: str, product_id: int) -> bool:
    has_bought = current_app.extensions.get(PURCHASE_CHECK)
    return has_bought is not None and has_bought(email, product_id)


def submit_review(
    product: Product,
    rating: int,
    title: str,
    body: str,
    author_name: str,
    email: str,
    now: datetime | None = None,
) -> ProductReview:
    """Store a shopper's review as pending moderation.

    The form validates first, for friendly messages next to each field; this checks
    again because it is the last word on what reaches the database.
    """
    if not product.is_purchasable:
        raise ReviewError("This product cannot be reviewed.")
    if not isinstance(rating, int) or not MIN_RATING <= rating <= MAX_RATING:
        raise ReviewError(f"Please choose a rating from {MIN_RATING} to {MAX_RATING} stars.")
    address = _clean_text(email, "e-mail address", 3, MAX_EMAIL_LENGTH).lower()
    review = ProductReview(
        product_id=product.id,
        rating=rating,
        title=_clean_text(title, "title", 2, MAX_TITLE_LENGTH),
        body=_clean_text(body, "review", MIN_BODY_LENGTH, MAX_BODY_LENGTH),
        author_name=_clean_text(author_name, "name", 1, MAX_NAME_LENGTH),
        email=address,
        is_verified_buyer=_is_verified_buyer(address, product.id),
        status=ReviewStatus.PENDING,
        created_at=now or utcnow(),
    )
    db.session.add(review)
    db.session.flush()
    return review


def _moderate(review_id: int, status: str, now: datetime | None) -> ProductReview:
    review = db.session.get(ProductReview, review_id)
    if review is None:
        raise ReviewError(f"There is no review {review_id}.")
    review.status = status
    review.moderated_at = now or utcnow()
    if status == ReviewStatus.APPROVED:
        # The reviewer may have bought the product since writing.
        review.is_verified_buyer = _is_verified_buyer(review.email, review.product_id)
    db.session.flush()
    return review


def approve_review(review_id: int, now: datetime | None = None) -> ProductReview:
    """Show the review on the product page and count it in the ratings."""
    return _moderate(review_id, ReviewStatus.APPROVED, now)


def reject_review(review_id: int, now: datetime | None = None) -> ProductReview:
    """Keep the review out of sight (it stays stored for the record)."""
    return _moderate(review_id, ReviewStatus.REJECTED, now)
