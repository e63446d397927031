"""Promotions stored as rows; `loader.py` turns them into the engine's frozen rules.

One row is one rule: optional conditions (each column left empty, or list of
products and variants left empty, means "no such condition") and exactly one reward,
chosen by `reward_type`. The products and variants a promotion names are rows with
foreign keys in association tables. Every saved change bumps `version`, so an order
can say which settings it was priced under.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.ext.associationproxy import association_proxy
from sqlalchemy.ext.orderinglist import ordering_list
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.promotions.rules import MAX_PERCENT_OFF, MIN_PERCENT_OFF
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class RewardType(StrEnum):
    GIFT = "gift"
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FREE_SHIPPING = "free_shipping"


class PromotionStatus(StrEnum):
    DRAFT = "draft"  # being prepared or simulated; never applied to carts
    ACTIVE = "active"  # applies while its date window (if any) is open
    PAUSED = "paused"  # switched off by staff without losing its settings


class Promotion(db.Model):
    __tablename__ = "promotion"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # for staff
    label: Mapped[str] = mapped_column(String(160))  # for shoppers: "FREE device & serum"
    status: Mapped[str] = mapped_column(String(20), default=PromotionStatus.DRAFT)
    priority: Mapped[int] = mapped_column(default=0)
    combinable: Mapped[bool] = mapped_column(default=True)

    # Conditions.
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    min_subtotal: Mapped[int | None]
    required_min_quantity: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_order_only: Mapped[bool] = mapped_column(default=False)

    # The reward.
    reward_type: Mapped[str] = mapped_column(String(20))
    percent_off: Mapped[int | None]
    amount_off: Mapped[int | None]
    gift_per_units: Mapped[int | None]
    gift_max_quantity: Mapped[int] = mapped_column(default=1)

    # Usage limits, enforced when an order is placed.
    usage_limit_total: Mapped[int | None]
    usage_limit_per_email: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)

    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "reward_type IN ('gift', 'percent_off', 'amount_off', 'free_shipping')",
            name="known_reward",
        ),
        CheckConstraint("status IN ('draft', 'active', 'paused')", name="known_status"),
        CheckConstraint(
            f"percent_off IS NULL OR (percent_off BETWEEN {MIN_PERCENT_OFF} AND {MAX_PERCENT_OFF})",
            name="percent",
        ),
        CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount_positive"),
        CheckConstraint("min_subtotal IS NULL OR min_subtotal >= 0", name="min_subtotal"),
        CheckConstraint("required_min_quantity >= 1", name="min_quantity"),
        CheckConstraint("gift_max_quantity >= 1", name="gift_max_quantity"),
        CheckConstraint("gift_per_units IS NULL OR gift_per_units >= 1", name="gift_per_units"),
        CheckConstraint("times_used >= 0", name="times_used"),
        CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at", name="window_order"
        ),
    )

    # The products and variants a promotion names, as rows with foreign keys; each is
    # read and written as a list of ids (`required_product_ids`, ...). Loaded with the
    # promotion, so a promotion kept outside its session still knows them.
    required_product_rows: Mapped[list[PromotionRequiredProduct]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    required_variant_rows: Mapped[list[PromotionRequiredVariant]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    percent_product_rows: Mapped[list[PromotionPercentProduct]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    # Gift variants in order: the first is the gift, the others are backups used in
    # order when it is out of stock.
    gift_variant_rows: Mapped[list[PromotionGiftVariant]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PromotionGiftVariant.position",
        collection_class=ordering_list("position"),
    )

    required_product_ids = association_proxy(
        "required_product_rows",
        "product_id",
        creator=lambda product_id: PromotionRequiredProduct(product_id=product_id),
    )
    required_variant_ids = association_proxy(
        "required_variant_rows",
        "variant_id",
        creator=lambda variant_id: PromotionRequiredVariant(variant_id=variant_id),
    )
    percent_product_ids = association_proxy(
        "percent_product_rows",
        "product_id",
        creator=lambda product_id: PromotionPercentProduct(product_id=product_id),
    )
    gift_variant_ids = association_proxy(
        "gift_variant_rows",
        "variant_id",
        creator=lambda variant_id: PromotionGiftVariant(variant_id=variant_id),
    )

    def __repr__(self) -> str:
        return f"<Promotion {self.id} {self.name!r} {self.status}>"


# A product or variant a promotion names cannot be deleted while it does (RESTRICT):
# a condition or a scope losing it would silently widen the promotion. A gift variant
# may go (CASCADE): the backups take over, and a gift with none left is reported.


class PromotionRequiredProduct(db.Model):
    """A product the cart must hold for the promotion to apply."""

    __tablename__ = "promotion_required_product"

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class PromotionRequiredVariant(db.Model):
    """A variant the cart must hold for the promotion to apply."""

    __tablename__ = "promotion_required_variant"

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class PromotionPercentProduct(db.Model):
    """A product a percentage off is limited to (none: the whole order)."""

    __tablename__ = "promotion_percent_product"

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class PromotionGiftVariant(db.Model):
    """A variant given by a gift promotion, at its place in the order of backups."""

    __tablename__ = "promotion_gift_variant"

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class PromotionEmailClaim(db.Model):
    """A promotion with a per-e-mail limit, and an e-mail that has placed an order with it.

    Placing such an order locks this row before counting the e-mail's orders, so two
    checkouts with one e-mail at the same moment take turns: the second counts the
    first one's order instead of both counting none. The orders stay the record of
    how often the e-mail used the promotion; this row only makes the count safe.
    """

    __tablename__ = "promotion_email_claim"

    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254), primary_key=True)


class PromotionVersion(db.Model):
    """The settings of a promotion as one saved change left them.

    Orders record the version they were priced under (`OrderPromotion.promotion_version`);
    this row says what that version's settings were, and which staff member saved it.
    """

    __tablename__ = "promotion_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotion.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    settings: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("promotion_id", "version", name="uq_promotion_version_number"),
    )

    def __repr__(self) -> str:
        return f"<PromotionVersion {self.promotion_id} v{self.version}>"
