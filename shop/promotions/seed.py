"""The demo promotions of the content brief: the automatic free gift, a welcome
code and free shipping over a threshold. Created once; kept as staff leave them."""

from __future__ import annotations

from sqlalchemy import select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.promotions.models import Promotion, PromotionStatus, RewardType

FREE_GIFT_THRESHOLD = 15000
FREE_SHIPPING_THRESHOLD = 7500


def _variant_id(sku: str) -> int:
    variant_id = db.session.scalar(select(Variant.id).where(Variant.sku == sku))
    if variant_id is None:
        raise LookupError(f"the demo promotions need variant {sku}; seed the catalogue first")
    return variant_id


def demo_promotions() -> list[Promotion]:
    return [
        Promotion(
            name="Free device & serum gift set",
            label="FREE device & serum",
            status=PromotionStatus.ACTIVE,
            priority=100,
            combinable=True,
            min_subtotal=FREE_GIFT_THRESHOLD,
            reward_type=RewardType.GIFT,
            # The gift set first; the 30 ml serum stands in when the sets run out.
            gift_variant_ids=[_variant_id("GIFT-SET"), _variant_id("FPS-30")],
            gift_max_quantity=1,
        ),
        Promotion(
            name="Welcome code: 10% off",
            label="10% off with WELCOME10",
            status=PromotionStatus.ACTIVE,
            priority=50,
            combinable=True,
            code="WELCOME10",
            reward_type=RewardType.PERCENT_OFF,
            percent_off=10,
            usage_limit_per_email=1,
        ),
        Promotion(
            name="Free shipping over $75",
            label="Free shipping",
            status=PromotionStatus.ACTIVE,
            priority=10,
            combinable=True,
            min_subtotal=FREE_SHIPPING_THRESHOLD,
            reward_type=RewardType.FREE_SHIPPING,
        ),
    ]


def seed_promotions() -> tuple[int, int]:
    """Returns (created, already present), matched by name. Does not commit."""
    existing = set(db.session.scalars(select(Promotion.name)))
    created = 0
    wanted = demo_promotions()
    for promotion in wanted:
        if promotion.name in existing:
            continue
        db.session.add(promotion)
        created += 1
    return created, len(wanted) - created
