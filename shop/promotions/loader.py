"""Promotion rows to engine rules.

The engine never reads the database; this module does: the promotions that can
matter and the stock of every gift variant they name, kept per process as a snapshot
of plain values in the "promotions" cache (`shop.cache`: emptied when staff change a
promotion or the catalogue rows its gifts come from, and every few seconds for the
gift stock), and the rules made from it, shared by every pricing they do not depend
on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cached_property

from flask import Flask, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from shop.cache import PAGES, ContentCache, caches
from shop.catalog.models import BundleComponent, Product, Variant
from shop.catalog.service import available_quantity
from shop.extensions import db
from shop.promotions.models import (
    Promotion,
    PromotionGiftVariant,
    PromotionPercentProduct,
    PromotionRequiredProduct,
    PromotionRequiredVariant,
    PromotionStatus,
    RewardType,
)
from shop.promotions.rules import (
    CartLineInput,
    ContainsProducts,
    ContainsVariants,
    DateWindow,
    FirstOrder,
    FixedAmountOff,
    FreeGift,
    FreeShipping,
    GiftOption,
    MinSubtotal,
    PercentOff,
    Rule,
)

log = logging.getLogger(__name__)


def load_promotions(statuses: Iterable[str] = (PromotionStatus.ACTIVE,)) -> Sequence[Promotion]:
    """Rows the engine should see: the active ones, and coded ones in any state but draft,
    so a shopper typing a paused or expired code hears "expired", not "unknown"."""
    wanted = tuple(statuses)
    query = select(Promotion).where(
        or_(
            Promotion.status.in_(wanted),
            Promotion.code.is_not(None) & (Promotion.status != PromotionStatus.DRAFT),
        )
    )
    return db.session.scalars(query.order_by(Promotion.id)).all()


@dataclass(frozen=True)
class PromotionTerms:
    """A promotion as plain values: what a rule is made of. The snapshot every request
    of a process shares holds these, never ORM rows (which belong to one session)."""

    id: int
    name: str
    label: str
    status: str
    version: int
    priority: int
    combinable: bool
    code: str | None
    min_subtotal: int | None
    required_product_ids: tuple[int, ...]
    required_variant_ids: tuple[int, ...]
    required_min_quantity: int
    starts_at: datetime | None
    ends_at: datetime | None
    first_order_only: bool
    reward_type: str
    percent_off: int | None
    percent_product_ids: tuple[int, ...]
    amount_off: int | None
    gift_variant_ids: tuple[int, ...]
    gift_per_units: int | None
    gift_max_quantity: int
    usage_limit_total: int | None
    usage_limit_per_email: int | None
    times_used: int

    @classmethod
    def of(cls, promotion: Promotion) -> PromotionTerms:
        values = {}
        for field in fields(cls):
            value = getattr(promotion, field.name)
            values[field.name] = tuple(value) if field.name.endswith("_ids") else value
        return cls(**values)


@dataclass(frozen=True)
class GiftStock:
    """What the loader needs to know about a gift variant."""

    variant_id: int
    product_id: int
    title: str
    reference_price: int
    available: int


def load_gift_stock(promotions: Sequence[Promotion | PromotionTerms]) -> dict[int, GiftStock]:
    ids = {
        vid for p in promotions if p.reward_type == RewardType.GIFT for vid in p.gift_variant_ids
    }
    if not ids:
        return {}
    variants = db.session.scalars(
        select(Variant)
        .where(Variant.id.in_(ids))
        .options(
            selectinload(Variant.product),
            selectinload(Variant.components).selectinload(BundleComponent.component_variant),
        )
    ).all()
    return {
        v.id: GiftStock(
            variant_id=v.id,
            product_id=v.product_id,
            title=v.product.title if not v.option_value else f"{v.product.title} ({v.title})",
            reference_price=v.price,
            available=available_quantity(v) if v.product.is_active and v.is_active else 0,
        )
        for v in variants
    }


@dataclass(frozen=True)
class PromotionUsageCounts:
    """Redemptions per promotion by the shopper's e-mail (filled in at checkout)."""

    by_email: dict[int, int] | None = None

    def __post_init__(self) -> None:
        if self.by_email is None:
            object.__setattr__(self, "by_email", {})


class MisconfiguredPromotion(ValueError):
    def __init__(self, promotion: PromotionTerms, problem: str) -> None:
        super().__init__(f"promotion {promotion.id} ({promotion.name}) {problem}")
        self.promotion_id = promotion.id


def to_rule(
    promotion: PromotionTerms,
    gift_stock: dict[int, GiftStock],
    lines: Sequence[CartLineInput] = (),
    promotion_usage: PromotionUsageCounts | None = None,
) -> Rule:
    """One row as an engine rule. Gift stock already wanted by the shopper's own lines
    is not offered again as a gift."""
    conditions: list = []
    if promotion.min_subtotal is not None:
        conditions.append(MinSubtotal(promotion.min_subtotal))
    if promotion.required_product_ids:
        conditions.append(
            ContainsProducts(
                frozenset(promotion.required_product_ids), promotion.required_min_quantity
            )
        )
    if promotion.required_variant_ids:
        conditions.append(
            ContainsVariants(
                frozenset(promotion.required_variant_ids), promotion.required_min_quantity
            )
        )
    if promotion.starts_at or promotion.ends_at:
        conditions.append(DateWindow(promotion.starts_at, promotion.ends_at))
    if promotion.first_order_only:
        conditions.append(FirstOrder())

    usage = promotion_usage or PromotionUsageCounts()
    exhausted = promotion.status == PromotionStatus.PAUSED or (
        promotion.usage_limit_total is not None
        and promotion.times_used >= promotion.usage_limit_total
    )
    exhausted_for_email = (
        promotion.usage_limit_per_email is not None
        and usage.by_email.get(promotion.id, 0) >= promotion.usage_limit_per_email
    )
    return Rule(
        id=promotion.id,
        version=promotion.version,
        name=promotion.name,
        label=promotion.label,
        conditions=tuple(conditions),
        reward=_reward(promotion, gift_stock, lines),
        priority=promotion.priority,
        combinable=promotion.combinable,
        code=promotion.code,
        usage_exhausted=exhausted,
        usage_exhausted_for_email=exhausted_for_email,
    )


def _reward(promotion: PromotionTerms, gift_stock: dict[int, GiftStock], lines):
    if promotion.reward_type == RewardType.GIFT:
        wanted_by_lines: dict[int, int] = {}
        for line in lines:
            wanted_by_lines[line.variant_id] = (
                wanted_by_lines.get(line.variant_id, 0) + line.quantity
            )
        options = []
        for variant_id in promotion.gift_variant_ids:
            stock = gift_stock[variant_id]  # a foreign key: the variant exists
            options.append(
                GiftOption(
                    variant_id=stock.variant_id,
                    product_id=stock.product_id,
                    title=stock.title,
                    reference_price=stock.reference_price,
                    available=max(stock.available - wanted_by_lines.get(variant_id, 0), 0),
                )
            )
        if not options:
            raise MisconfiguredPromotion(promotion, "names no gift variant")
        return FreeGift(tuple(options), promotion.gift_per_units, promotion.gift_max_quantity)
    if promotion.reward_type == RewardType.PERCENT_OFF:
        scope = frozenset(promotion.percent_product_ids) or None
        return PercentOff(promotion.percent_off or 0, scope)
    if promotion.reward_type == RewardType.AMOUNT_OFF:
        return FixedAmountOff(promotion.amount_off or 0)
    return FreeShipping()


PROMOTIONS = "promotions"
_SNAPSHOT_KEY = "snapshot"
# Gift stock moves with every order and does not empty the cache (`CACHES_STAY_FRESH`),
# so a snapshot lives only this long; checkout reserves gift stock atomically anyway.
SNAPSHOT_SECONDS = 5.0


def init_app(app: Flask) -> None:
    """The per-process promotions cache, and the model classes whose rows it copies."""
    registry = caches(app)
    promotion_rows = (
        Promotion,
        PromotionRequiredProduct,
        PromotionRequiredVariant,
        PromotionPercentProduct,
        PromotionGiftVariant,
    )
    registry.add(
        ContentCache(PROMOTIONS, maxsize=1, ttl=SNAPSHOT_SECONDS),
        # Gift options carry their product's title, price and whether it is on sale.
        watches=(*promotion_rows, Product, Variant, BundleComponent),
    )
    registry.watch(PAGES, *promotion_rows)  # the offer bar, notes on product pages


@dataclass
class _PromotionSnapshot:
    """The promotions and their gift stock, as read at one time."""

    promotions: tuple[PromotionTerms, ...]
    gift_stock: dict[int, GiftStock]
    # The rules for a cart that holds none of the gift variants and no shopper's usage
    # counts: most pricings. Built on first use, then shared by them until the
    # snapshot is replaced (rules are frozen).
    common_rules: list[Rule] | None = None

    @cached_property
    def gift_variant_ids(self) -> frozenset[int]:
        return frozenset(
            variant_id
            for promotion in self.promotions
            if promotion.reward_type == RewardType.GIFT
            for variant_id in promotion.gift_variant_ids
        )


def _read_snapshot() -> _PromotionSnapshot:
    promotions = tuple(PromotionTerms.of(promotion) for promotion in load_promotions())
    return _PromotionSnapshot(promotions, load_gift_stock(promotions))


def _current_snapshot() -> _PromotionSnapshot:
    """The promotions as this process last read them (see `init_app`)."""
    if not has_app_context():
        return _read_snapshot()
    return caches().fresh(PROMOTIONS).get_or_read(_SNAPSHOT_KEY, _read_snapshot)


def load_rules(
    lines: Sequence[CartLineInput] = (),
    promotion_usage: PromotionUsageCounts | None = None,
) -> list[Rule]:
    """Every rule that can matter for a cart now. A row that cannot become a rule is
    skipped (and logged), so one bad promotion never breaks every cart."""
    snapshot = _current_snapshot()
    # Lines only change a rule when they want a gift variant themselves (its stock is
    # then not offered again), and usage counts only when there are some.
    specific = (promotion_usage is not None and promotion_usage.by_email) or any(
        line.variant_id in snapshot.gift_variant_ids for line in lines
    )
    if specific:
        return _rules(snapshot, lines, promotion_usage)
    if snapshot.common_rules is None:
        snapshot.common_rules = _rules(snapshot, (), None)
    return list(snapshot.common_rules)


def _rules(
    snapshot: _PromotionSnapshot,
    lines: Sequence[CartLineInput],
    promotion_usage: PromotionUsageCounts | None,
) -> list[Rule]:
    rules = []
    for promotion in snapshot.promotions:
        try:
            rules.append(to_rule(promotion, snapshot.gift_stock, lines, promotion_usage))
        except (ValueError, TypeError) as error:
            log.warning("skipping promotion: %s", error)
    return rules
