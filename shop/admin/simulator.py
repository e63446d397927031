"""Try a promotion before shoppers see it.

The simulator prices carts twice with the pure engine: under the promotions running now,
and under the same promotions with the draft added (or replacing its saved self). The
carts are sample carts (one per product, one of everything, and any cart staff type in)
and the carts of the paid orders of the last 30 days, rebuilt from their lines at the
prices paid. For each cart it reports which rules won and the engine's explanation for
every rule, so staff see what the draft would do and why, and a summary of what the
last month would have cost.

Nothing is written: the draft is an unsaved Promotion and the engine reads no database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from shop.catalog.models import Product, ProductType, Variant
from shop.extensions import db
from shop.input_rules import is_ascii_digits
from shop.orders.models import Order
from shop.orders.states import PAID_STATES
from shop.promotions.engine import PricedCart, price_cart
from shop.promotions.loader import PromotionTerms, load_gift_stock, load_promotions, to_rule
from shop.promotions.models import Promotion
from shop.promotions.rules import CartLineInput, ShopperContext
from shop.timeutil import utcnow

HISTORY_DAYS = 30
HISTORY_LIMIT = 500


class SampleCartError(ValueError):
    """A typed sample cart names a SKU that does not exist (or is not for sale)."""


@dataclass(frozen=True)
class SampleCart:
    name: str
    lines: tuple[CartLineInput, ...]
    codes: tuple[str, ...] = ()
    is_first_order: bool | None = None
    reference: str | None = None  # the order a history cart comes from


@dataclass(frozen=True)
class RuleOutcome:
    rule_id: int
    name: str
    applied: bool
    reason: str
    is_draft: bool


@dataclass(frozen=True)
class CartResult:
    cart: SampleCart
    before: PricedCart
    after: PricedCart
    outcomes: tuple[RuleOutcome, ...]
    draft_rule_id: int

    @property
    def draft_outcome(self) -> RuleOutcome | None:
        return next((o for o in self.outcomes if o.is_draft), None)

    @property
    def draft_applies(self) -> bool:
        return any(applied.rule_id == self.draft_rule_id for applied in self.after.applied)

    @property
    def winners_before(self) -> tuple[str, ...]:
        return tuple(applied.label for applied in self.before.applied)

    @property
    def winners_after(self) -> tuple[str, ...]:
        return tuple(applied.label for applied in self.after.applied)

    @property
    def gift_value_before(self) -> int:
        return sum(line.gift_value for line in self.before.lines if line.is_gift)

    @property
    def gift_value_after(self) -> int:
        return sum(line.gift_value for line in self.after.lines if line.is_gift)


@dataclass(frozen=True)
class Simulation:
    moment: datetime
    draft_rule_id: int
    samples: tuple[CartResult, ...]
    history: tuple[CartResult, ...]
    history_days: int
    skipped: tuple[str, ...]  # live promotions the engine could not use

    @property
    def history_applied(self) -> int:
        return sum(1 for result in self.history if result.draft_applies)

    @property
    def history_changed(self) -> int:
        return sum(1 for result in self.history if result.winners_before != result.winners_after)

    @property
    def discount_before(self) -> int:
        return sum(result.before.total_discount for result in self.history)

    @property
    def discount_after(self) -> int:
        return sum(result.after.total_discount for result in self.history)

    @property
    def gift_value_before(self) -> int:
        return sum(result.gift_value_before for result in self.history)

    @property
    def gift_value_after(self) -> int:
        return sum(result.gift_value_after for result in self.history)


def _line(variant: Variant, quantity: int, key: str) -> CartLineInput:
    title = variant.product.title
    if variant.option_value:
        title = f"{title} - {variant.option_value}"
    return CartLineInput(
        key=key,
        variant_id=variant.id,
        product_id=variant.product_id,
        title=title,
        quantity=quantity,
        unit_price=variant.price,
    )


def default_sample_carts(
    codes: tuple[str, ...] = (), is_first_order: bool | None = None
) -> list[SampleCart]:
    """One cart per product on sale (its first variant), and one with one of each."""
    products = db.session.scalars(
        select(Product)
        .where(Product.is_active.is_(True), Product.product_type != ProductType.GIFT)
        .options(selectinload(Product.variants).selectinload(Variant.product))
        .order_by(Product.position, Product.id)
    ).all()
    carts = []
    everything = []
    for product in products:
        variant = next((v for v in product.variants if v.is_active), None)
        if variant is None:
            continue
        line = _line(variant, 1, f"v{variant.id}")
        everything.append(line)
        carts.append(
            SampleCart(f"1 x {line.title}", (line,), codes=codes, is_first_order=is_first_order)
        )
    if len(everything) > 1:
        carts.append(
            SampleCart("One of everything", tuple(everything), codes, is_first_order=is_first_order)
        )
    return carts


def parse_sample_cart(
    text: str, codes: tuple[str, ...] = (), is_first_order: bool | None = None
) -> SampleCart | None:
    """A cart typed as "SKU quantity" lines (quantity 1 when left out)."""
    wanted: dict[str, int] = {}
    for raw in (text or "").splitlines():
        parts = raw.split()
        if not parts:
            continue
        quantity = int(parts[1]) if len(parts) > 1 and is_ascii_digits(parts[1]) else 1
        wanted[parts[0]] = wanted.get(parts[0], 0) + max(quantity, 1)
    if not wanted:
        return None
    variants = {
        v.sku: v
        for v in db.session.scalars(
            select(Variant)
            .where(Variant.sku.in_(list(wanted)))
            .options(selectinload(Variant.product))
        )
    }
    unknown = [sku for sku in wanted if sku not in variants]
    if unknown:
        raise SampleCartError(f"No variant has the SKU {', '.join(unknown)}.")
    lines = tuple(
        _line(variants[sku], quantity, f"v{variants[sku].id}") for sku, quantity in wanted.items()
    )
    return SampleCart("Your sample cart", lines, codes=codes, is_first_order=is_first_order)


def history_carts(
    now: datetime, days: int = HISTORY_DAYS, limit: int = HISTORY_LIMIT
) -> list[SampleCart]:
    """The paid orders of the last `days` days as carts: the shopper's own lines at the
    prices paid, the codes they entered, and whether it was their first order."""
    since = now - timedelta(days=days)
    orders = db.session.scalars(
        select(Order)
        .where(Order.created_at >= since, Order.status.in_(PAID_STATES))
        .options(selectinload(Order.lines), selectinload(Order.promotions))
        .order_by(Order.created_at.desc())
        .limit(limit)
    ).all()
    if not orders:
        return []
    first_paid = dict(
        db.session.execute(
            select(Order.email, func.min(Order.created_at))
            .where(Order.email.in_({o.email for o in orders}), Order.status.in_(PAID_STATES))
            .group_by(Order.email)
        ).all()
    )
    carts = []
    for order in orders:
        lines = tuple(
            CartLineInput(
                key=line.line_key,
                variant_id=line.variant_id,
                product_id=line.product_id,
                title=line.title,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in order.lines
            if not line.is_gift and line.variant_id is not None and line.product_id is not None
        )
        if not lines:
            continue
        codes = tuple(used.code for used in order.promotions if used.code)
        earliest = first_paid.get(order.email)
        carts.append(
            SampleCart(
                f"Order {order.number}",
                lines,
                codes=codes,
                is_first_order=earliest is None or order.created_at <= earliest,
                reference=str(order.number),
            )
        )
    return carts


def simulation_moment(draft: Promotion, now: datetime) -> datetime:
    """Simulate a scheduled promotion at its start, anything else now."""
    if draft.starts_at and draft.starts_at > now:
        return draft.starts_at
    return now


def simulate(
    draft: Promotion,
    samples: Sequence[SampleCart],
    format_money: Callable[[int], str],
    now: datetime | None = None,
    history_days: int = HISTORY_DAYS,
) -> Simulation:
    """Price every cart under the live promotions, then with the draft as well."""
    now = now or utcnow()
    moment = simulation_moment(draft, now)
    live = [PromotionTerms.of(promotion) for promotion in load_promotions()]
    draft_terms = PromotionTerms.of(draft)
    others = [p for p in live if p.id != draft.id]
    gift_stock = load_gift_stock([*live, draft_terms])
    names = {p.id: p.name for p in others}
    names[draft.id] = draft.name
    skipped: list[str] = []

    def rules_for(promotions, lines, note_problems=False):
        rules = []
        for promotion in promotions:
            try:
                rules.append(to_rule(promotion, gift_stock, lines))
            except (ValueError, TypeError) as error:
                if note_problems and str(error) not in skipped:
                    skipped.append(str(error))
        return rules

    def run(cart: SampleCart) -> CartResult:
        context = ShopperContext(entered_codes=cart.codes, is_first_order=cart.is_first_order)
        before = price_cart(
            cart.lines, rules_for(live, cart.lines, True), context, moment, format_money
        )
        after = price_cart(
            cart.lines, rules_for([*others, draft_terms], cart.lines), context, moment, format_money
        )
        outcomes = tuple(
            RuleOutcome(
                rule_id=explanation.rule_id,
                name=names.get(explanation.rule_id, f"Promotion {explanation.rule_id}"),
                applied=explanation.applied,
                reason=explanation.reason,
                is_draft=explanation.rule_id == draft.id,
            )
            for explanation in after.explanations
        )
        return CartResult(cart, before, after, outcomes, draft.id)

    return Simulation(
        moment=moment,
        draft_rule_id=draft.id,
        samples=tuple(run(cart) for cart in samples),
        history=tuple(run(cart) for cart in history_carts(now, history_days)),
        history_days=history_days,
        skipped=tuple(skipped),
    )
