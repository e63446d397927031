"""Back-office changes to promotions, each one a new version.

A promotion row is what the loader turns into an engine rule. Every saved change
(settings or status) moves its `version` on by one and stores the settings it leaves in
a PromotionVersion row, so an order (which records the version it was priced under)
can always show the exact settings. The version is moved with a conditional UPDATE
(`WHERE version = the version the form was opened at`), so of two staff saving at the
same moment, the second is told the promotion changed instead of overwriting it.

Drafts are never applied to carts. `build_draft` makes an unsaved Promotion from the
form's values for the simulator; it is never added to the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop.admin import audit
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.models import StaffUser
from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.orders.models import OrderPromotion
from shop.promotions.loader import (
    MisconfiguredPromotion,
    PromotionTerms,
    load_gift_stock,
    to_rule,
)
from shop.promotions.models import Promotion, PromotionStatus, PromotionVersion, RewardType
from shop.promotions.rules import (
    MAX_PERCENT_OFF,
    MIN_PERCENT_OFF,
    PERCENT_OFF_MESSAGE,
    WINDOW_ORDER_MESSAGE,
    normalize_code,
)
from shop.timeutil import utcnow

# The settings a version records (usage counts and timestamps are not settings).
SETTING_FIELDS = (
    "name",
    "label",
    "status",
    "priority",
    "combinable",
    "code",
    "min_subtotal",
    "required_product_ids",
    "required_variant_ids",
    "required_min_quantity",
    "starts_at",
    "ends_at",
    "first_order_only",
    "reward_type",
    "percent_off",
    "percent_product_ids",
    "amount_off",
    "gift_variant_ids",
    "gift_per_units",
    "gift_max_quantity",
    "usage_limit_total",
    "usage_limit_per_email",
)


@dataclass(frozen=True)
class PromotionData:
    """What the promotion form says, with gifts still as the SKUs staff typed."""

    name: str
    label: str
    reward_type: str
    priority: int = 0
    combinable: bool = True
    code: str | None = None
    min_subtotal: int | None = None
    required_product_ids: tuple[int, ...] = ()
    required_variant_ids: tuple[int, ...] = ()
    required_min_quantity: int = 1
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    first_order_only: bool = False
    percent_off: int | None = None
    percent_product_ids: tuple[int, ...] = ()
    amount_off: int | None = None
    gift_skus: tuple[str, ...] = field(default_factory=tuple)
    gift_per_units: int | None = None
    gift_max_quantity: int = 1
    usage_limit_total: int | None = None
    usage_limit_per_email: int | None = None


# ------------------------------------------------------------------------ reading


def list_promotions(status: str | None = None) -> Sequence[Promotion]:
    query = select(Promotion).order_by(Promotion.priority.desc(), Promotion.id)
    if status in tuple(PromotionStatus):
        query = query.where(Promotion.status == status)
    return db.session.scalars(query).all()


def get_promotion(promotion_id: int) -> Promotion | None:
    return db.session.get(Promotion, promotion_id)


def versions(promotion_id: int) -> Sequence[PromotionVersion]:
    return db.session.scalars(
        select(PromotionVersion)
        .where(PromotionVersion.promotion_id == promotion_id)
        .order_by(PromotionVersion.version.desc())
    ).all()


def orders_by_version(promotion_id: int) -> dict[int, int]:
    """How many orders were priced under each version of the promotion."""
    rows = db.session.execute(
        select(OrderPromotion.promotion_version, func.count())
        .where(OrderPromotion.promotion_id == promotion_id)
        .group_by(OrderPromotion.promotion_version)
    ).all()
    return dict(rows)


def product_choices() -> Sequence[Product]:
    return db.session.scalars(select(Product).order_by(Product.position, Product.id)).all()


def variant_choices() -> Sequence[Variant]:
    return db.session.scalars(
        select(Variant)
        .join(Product, Product.id == Variant.product_id)
        .options(selectinload(Variant.product))
        .order_by(Product.position, Product.id, Variant.position, Variant.id)
    ).all()


def skus_for(variant_ids: Sequence[int]) -> list[str]:
    """The SKUs of these variants, in the given order (gift order matters)."""
    if not variant_ids:
        return []
    by_id = dict(
        db.session.execute(select(Variant.id, Variant.sku).where(Variant.id.in_(variant_ids))).all()
    )
    return [by_id[vid] for vid in variant_ids if vid in by_id]


def schedule_state(promotion: Promotion, now: datetime | None = None) -> str:
    """What staff need to know at a glance: draft, paused, scheduled, running, ended."""
    now = now or utcnow()
    if promotion.status != PromotionStatus.ACTIVE:
        return promotion.status
    if promotion.ends_at and promotion.ends_at <= now:
        return "ended"
    if promotion.starts_at and promotion.starts_at > now:
        return "scheduled"
    if (
        promotion.usage_limit_total is not None
        and promotion.times_used >= promotion.usage_limit_total
    ):
        return "used up"
    return "running"


def settings_snapshot(promotion: Promotion) -> dict:
    return audit.snapshot(promotion, SETTING_FIELDS)


# ------------------------------------------------------------------------ validation


def _resolve_gifts(skus: Sequence[str]) -> tuple[list[int], list[str]]:
    """Variant ids for the SKUs in the order given, and the SKUs that match nothing."""
    if not skus:
        return [], []
    found = dict(
        db.session.execute(select(Variant.sku, Variant.id).where(Variant.sku.in_(list(skus)))).all()
    )
    ids = []
    unknown = []
    for sku in skus:
        if sku in found:
            if found[sku] not in ids:
                ids.append(found[sku])
        else:
            unknown.append(sku)
    return ids, unknown


def _settings(data: PromotionData, gift_ids: list[int]) -> dict:
    reward = data.reward_type
    return {
        "name": data.name.strip(),
        "label": data.label.strip(),
        "reward_type": reward,
        "priority": data.priority,
        "combinable": data.combinable,
        "code": (data.code or "").strip() or None,
        "min_subtotal": data.min_subtotal,
        "required_product_ids": sorted(set(data.required_product_ids)),
        "required_variant_ids": sorted(set(data.required_variant_ids)),
        "required_min_quantity": data.required_min_quantity,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "first_order_only": data.first_order_only,
        # Only the chosen reward's details are kept, so a row never holds two rewards.
        "percent_off": data.percent_off if reward == RewardType.PERCENT_OFF else None,
        "percent_product_ids": sorted(set(data.percent_product_ids))
        if reward == RewardType.PERCENT_OFF
        else [],
        "amount_off": data.amount_off if reward == RewardType.AMOUNT_OFF else None,
        "gift_variant_ids": gift_ids if reward == RewardType.GIFT else [],
        "gift_per_units": data.gift_per_units if reward == RewardType.GIFT else None,
        "gift_max_quantity": data.gift_max_quantity if reward == RewardType.GIFT else 1,
        "usage_limit_total": data.usage_limit_total,
        "usage_limit_per_email": data.usage_limit_per_email,
    }


def validate(data: PromotionData, promotion_id: int | None = None) -> dict:
    """Check the form's values against the catalogue, the other promotions and the
    engine's own rules; returns the settings for the row, or raises AdminActionError."""
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Enter a name."
    if not data.label.strip():
        errors["label"] = "Enter the label shoppers see."
    if data.reward_type not in tuple(RewardType):
        errors["reward_type"] = "Choose a reward."
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = WINDOW_ORDER_MESSAGE
    if data.min_subtotal is not None and data.min_subtotal < 0:
        errors["min_subtotal"] = "The minimum subtotal cannot be below zero."
    if data.reward_type == RewardType.PERCENT_OFF and not (
        data.percent_off is not None and MIN_PERCENT_OFF <= data.percent_off <= MAX_PERCENT_OFF
    ):
        errors["percent_off"] = PERCENT_OFF_MESSAGE
    if data.reward_type == RewardType.AMOUNT_OFF and not (data.amount_off and data.amount_off > 0):
        errors["amount_off"] = "The amount off must be more than zero."
    gift_ids, unknown = _resolve_gifts(data.gift_skus)
    if data.reward_type == RewardType.GIFT:
        if unknown:
            errors["gift_skus"] = f"No variant has the SKU {', '.join(unknown)}."
        elif not gift_ids:
            errors["gift_skus"] = "Enter the SKU of the gift."
    code = (data.code or "").strip()
    if code:
        wanted = normalize_code(code)
        for other_id, other_code in db.session.execute(
            select(Promotion.id, Promotion.code).where(Promotion.code.is_not(None))
        ):
            if other_id != promotion_id and normalize_code(other_code) == wanted:
                errors["code"] = f"The code {code} is already used by another promotion."
                break
    product_ids = set(data.required_product_ids) | set(data.percent_product_ids)
    if product_ids:
        known = set(db.session.scalars(select(Product.id).where(Product.id.in_(product_ids))))
        if set(data.required_product_ids) - known:
            errors["required_products"] = "Choose products that exist."
        if set(data.percent_product_ids) - known:
            errors["percent_products"] = "Choose products that exist."
    if data.required_variant_ids:
        known = set(
            db.session.scalars(select(Variant.id).where(Variant.id.in_(data.required_variant_ids)))
        )
        if set(data.required_variant_ids) - known:
            errors["required_variants"] = "Choose variants that exist."
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)
    settings = _settings(data, gift_ids)
    # The engine validates its rules when they are built: let it have the last word.
    draft = Promotion(
        id=promotion_id or 0, status=PromotionStatus.DRAFT, version=1, times_used=0, **settings
    )
    try:
        to_rule(PromotionTerms.of(draft), load_gift_stock([draft]))
    except MisconfiguredPromotion:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"gift_skus": "None of these gift variants exists any more."},
        ) from None
    except (ValueError, TypeError) as error:
        raise AdminActionError(f"The engine refuses these settings: {error}") from None
    return settings


def build_draft(data: PromotionData, existing: Promotion | None = None) -> Promotion:
    """An unsaved promotion with the form's values, as if published, for the simulator.

    Never added to the session. A new promotion gets the id it would likely receive,
    so ties between rules break as they would once it is saved.
    """
    settings = validate(data, existing.id if existing else None)
    if existing is not None:
        draft_id, version, used = existing.id, existing.version + 1, existing.times_used
    else:
        highest = db.session.scalar(select(func.max(Promotion.id))) or 0
        draft_id, version, used = highest + 1, 1, 0
    settings["status"] = PromotionStatus.ACTIVE
    return Promotion(id=draft_id, version=version, times_used=used, **settings)


def as_published(promotion: Promotion) -> Promotion:
    """An unsaved copy of a saved promotion, switched on, for simulating a draft."""
    settings = settings_snapshot(promotion)
    settings.update(
        status=PromotionStatus.ACTIVE,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        required_product_ids=list(promotion.required_product_ids or []),
        required_variant_ids=list(promotion.required_variant_ids or []),
        percent_product_ids=list(promotion.percent_product_ids or []),
        gift_variant_ids=list(promotion.gift_variant_ids or []),
    )
    return Promotion(
        id=promotion.id, version=promotion.version, times_used=promotion.times_used, **settings
    )


# ------------------------------------------------------------------------ writing


def _stale(promotion: Promotion) -> StaleEditError:
    db.session.rollback()
    fresh = db.session.get(Promotion, promotion.id)
    return StaleEditError("promotion", fresh.version, settings_snapshot(fresh))


def _check_version(promotion: Promotion, expected_version: int | None) -> None:
    """Refuse, before anything is written, a change made to a version that is not the
    one stored (the refusal is shown and the request's unit then commits)."""
    if expected_version is None or promotion.version != expected_version:
        raise StaleEditError("promotion", promotion.version, settings_snapshot(promotion))


def _claim_next_version(promotion: Promotion, expected_version: int) -> int:
    """Move the version on, only if nobody else did since `_check_version` read it."""
    result = db.session.execute(
        update(Promotion)
        .where(Promotion.id == promotion.id, Promotion.version == expected_version)
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _stale(promotion)
    promotion.version = expected_version + 1
    return promotion.version


def _keep_earlier_version(promotion: Promotion) -> None:
    """Promotions made before the back office (the demo seed) have no snapshot of
    their current version yet: store it before it changes."""
    known = db.session.scalar(
        select(PromotionVersion.id).where(
            PromotionVersion.promotion_id == promotion.id,
            PromotionVersion.version == promotion.version,
        )
    )
    if known is None:
        db.session.add(
            PromotionVersion(
                promotion_id=promotion.id,
                version=promotion.version,
                settings=settings_snapshot(promotion),
                staff_id=None,
            )
        )


def _save_version(promotion: Promotion, staff: StaffUser) -> None:
    db.session.add(
        PromotionVersion(
            promotion_id=promotion.id,
            version=promotion.version,
            settings=settings_snapshot(promotion),
            staff_id=staff.id,
        )
    )


def _flush() -> None:
    """Write the changes so far; a duplicate code becomes a message."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        if "code" in str(error.orig).lower():
            raise AdminActionError(
                "That code was just taken.", {"code": "This code is already used."}
            ) from None
        raise AdminActionError("The change conflicts with another promotion.") from None


def create_promotion(data: PromotionData, staff: StaffUser) -> Promotion:
    """A new promotion, saved as a draft (never applied until published)."""
    settings = validate(data)
    promotion = Promotion(status=PromotionStatus.DRAFT, version=1, **settings)
    db.session.add(promotion)
    db.session.flush()
    _save_version(promotion, staff)
    audit.record(
        staff,
        "promotion.created",
        "promotion",
        promotion.id,
        f"Created draft promotion {promotion.name}",
        after=settings_snapshot(promotion),
    )
    _flush()
    return promotion


def update_promotion(
    promotion_id: int, expected_version: int | None, data: PromotionData, staff: StaffUser
) -> Promotion:
    promotion = _promotion_or_error(promotion_id)
    settings = validate(data, promotion.id)
    before = settings_snapshot(promotion)
    _check_version(promotion, expected_version)
    _keep_earlier_version(promotion)
    _claim_next_version(promotion, expected_version)
    for name, value in settings.items():
        setattr(promotion, name, value)
    _save_version(promotion, staff)
    audit.record(
        staff,
        "promotion.updated",
        "promotion",
        promotion.id,
        f"Edited promotion {promotion.name} (now version {promotion.version})",
        before={**before, "version": expected_version},
        after={**settings_snapshot(promotion), "version": promotion.version},
    )
    _flush()
    return promotion


STATUS_CHANGES = {
    # action: (allowed from, to, verb)
    "publish": ({PromotionStatus.DRAFT}, PromotionStatus.ACTIVE, "Published"),
    "pause": ({PromotionStatus.ACTIVE}, PromotionStatus.PAUSED, "Paused"),
    "resume": ({PromotionStatus.PAUSED}, PromotionStatus.ACTIVE, "Resumed"),
}
STATUS_ACTION_NAMES = {"publish": "published", "pause": "paused", "resume": "resumed"}


def change_status(
    promotion_id: int, expected_version: int | None, action: str, staff: StaffUser
) -> Promotion:
    """Publish a draft, pause a running promotion, or resume a paused one."""
    promotion = _promotion_or_error(promotion_id)
    allowed_from, target, verb = STATUS_CHANGES[action]
    if promotion.status not in allowed_from:
        raise AdminActionError(f"A {promotion.status} promotion cannot be {verb.lower()}.")
    before = settings_snapshot(promotion)
    _check_version(promotion, expected_version)
    _keep_earlier_version(promotion)
    _claim_next_version(promotion, expected_version)
    promotion.status = target
    _save_version(promotion, staff)
    audit.record(
        staff,
        f"promotion.{STATUS_ACTION_NAMES[action]}",
        "promotion",
        promotion.id,
        f"{verb} promotion {promotion.name} (now version {promotion.version})",
        before={"status": before["status"], "version": expected_version},
        after={"status": target, "version": promotion.version},
    )
    _flush()
    return promotion


def _promotion_or_error(promotion_id: int) -> Promotion:
    promotion = get_promotion(promotion_id)
    if promotion is None:
        raise AdminActionError("This promotion no longer exists.")
    return promotion
