"""Cart operations and cart pricing.

Every write validates against the catalogue (the variant exists and is for sale, the
stock is there, the quantity is sane), then re-prices the cart through the pure
promotions engine and remembers which gifts it showed. Prices and gifts are computed
here, on the server, from the catalogue: nothing a request sends is taken as a price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import text

from shop.cart import attribution, store
from shop.cart.store import ShopperCart, ShopperCartLine
from shop.catalog.models import Variant
from shop.catalog.service import stock_movements
from shop.catalog.snapshot import VariantSnapshot, shelf_stock, variant_snapshots
from shop.extensions import db
from shop.promotions.engine import GIFT_KEY_PREFIX, CodeResult, CodeStatus, PricedCart, price_cart
from shop.promotions.loader import PromotionUsageCounts, load_rules
from shop.promotions.rules import CartLineInput, ShopperContext, normalize_code
from shop.shipping import service as shipping
from shop.shipping.rates import Parcel
from shop.timeutil import utcnow

MAX_LINE_QUANTITY = 10
MAX_CART_LINES = 50
MAX_CODES = 5


class CartError(Exception):
    """A cart change that cannot be made; `status` is the HTTP status it maps to."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownVariantError(CartError):
    status = 404


class StockError(CartError):
    status = 422


class QuantityError(CartError):
    status = 422


# --------------------------------------------------------------------------- reading


def find_cart(token: str | None, for_update: bool = False) -> ShopperCart | None:
    """The cart and its lines (`shop.cart.store`); what the lines' variants are comes
    from the per-process catalogue snapshot (`shop.catalog.snapshot`), not from joins.

    `for_update` locks the cart row until commit (PostgreSQL; SQLite serialises
    writers with BEGIN IMMEDIATE instead), so two requests changing one cart at once
    (a double click) run one after the other and neither loses the other's change.
    """
    if not token:
        return None
    return store.find_locked(token) if for_update else store.find(token)


def new_cart() -> ShopperCart:
    return store.create()


# --------------------------------------------------------------------------- pricing


@dataclass(frozen=True)
class CartPricing:
    """A priced cart plus the catalogue rows its lines (gift lines too) stand for."""

    cart: ShopperCart | None
    priced: PricedCart
    variants: dict[int, VariantSnapshot] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.priced.lines if not line.is_gift)

    @property
    def is_empty(self) -> bool:
        return not self.priced.lines

    @property
    def parcel(self) -> Parcel:
        """What shipping is priced on: everything that goes in the box (gifts too) by
        weight, the merchandise after discounts, and whether shipping was made free."""
        weight = sum(
            self.variants[line.variant_id].weight_grams * line.quantity
            for line in self.priced.lines
            if line.variant_id in self.variants
        )
        return Parcel(weight, self.priced.total, self.priced.free_shipping)

    def code_result(self, code: str) -> CodeResult | None:
        wanted = normalize_code(code)
        for result in self.priced.code_results:
            if normalize_code(result.code) == wanted:
                return result
        return None


def line_inputs(
    cart: ShopperCart | None, snapshots: dict[int, VariantSnapshot] | None = None
) -> list[CartLineInput]:
    """The cart's lines as the engine sees them, priced from the catalogue."""
    if cart is None:
        return []
    if snapshots is None:
        snapshots = variant_snapshots(line.variant_id for line in cart.lines)
    return [
        CartLineInput(
            key=line.key,
            variant_id=line.variant_id,
            product_id=variant.product_id,
            title=variant.line_title,
            quantity=line.quantity,
            unit_price=variant.price,
        )
        for line in cart.lines
        # A line whose variant staff deleted stays in the cart's document but is left
        # out of pricing, checkout and the page.
        if (variant := snapshots.get(line.variant_id)) is not None
    ]


def price(
    cart: ShopperCart | None,
    format_money: Callable[[int], str],
    now: datetime | None = None,
    is_first_order: bool | None = None,
    usage_by_email: dict[int, int] | None = None,
) -> CartPricing:
    """Price the cart under the promotions that apply now. Reads only.

    At checkout the shopper's e-mail is known, so the caller passes whether this is
    their first order and how often they used each promotion (per-e-mail limits).
    """
    variants = variant_snapshots(line.variant_id for line in cart.lines) if cart else {}
    inputs = line_inputs(cart, variants)
    context = ShopperContext(
        entered_codes=tuple(cart.codes) if cart else (),
        declined_gift_rule_ids=frozenset(cart.declined_gift_rule_ids) if cart else frozenset(),
        previous_gift_rule_ids=frozenset(cart.gift_rule_ids) if cart else frozenset(),
        is_first_order=is_first_order,
    )
    usage = PromotionUsageCounts(by_email=usage_by_email or {})
    priced = price_cart(inputs, load_rules(inputs, usage), context, now or utcnow(), format_money)
    gift_ids = [line.variant_id for line in priced.lines if line.variant_id not in variants]
    if gift_ids:
        variants = {**variants, **variant_snapshots(gift_ids)}
    return CartPricing(cart, priced, variants)


def remember_gifts(pricing: CartPricing) -> bool:
    """Store which gifts the shopper was just shown; True when that changed.

    The next pricing compares against this to say "your gift was removed because...".
    """
    cart = pricing.cart
    if cart is None:
        return False
    shown = sorted({line.gift_rule_id for line in pricing.priced.lines if line.gift_rule_id})
    if shown == sorted(cart.gift_rule_ids or []):
        return False
    cart.gift_rule_ids = shown
    return True


def remember_shown(pricing: CartPricing) -> None:
    """The shopper is being shown this pricing: if the gifts in it changed (a promotion
    ended, stock ran out) store that, so the notice about it is given once."""
    if pricing.cart is not None and remember_gifts(pricing):
        store.save(pricing.cart)


# --------------------------------------------------------------------------- writing


def _purchasable_variant(variant_id: int) -> VariantSnapshot:
    variant = variant_snapshots((variant_id,)).get(variant_id)
    if variant is None or not variant.is_purchasable:
        raise UnknownVariantError("That product is not available.")
    return variant


def _check_quantity(quantity: int) -> None:
    if quantity < 0:
        raise QuantityError("Quantity cannot be negative.")
    if quantity > MAX_LINE_QUANTITY:
        raise QuantityError(f"You can buy at most {MAX_LINE_QUANTITY} of one item per order.")


def _check_stock(cart: ShopperCart, changed: VariantSnapshot, quantity: int) -> None:
    """Would the cart, with `changed` at `quantity`, need more than the shelves hold?

    Demand is added up per stocked variant, so a bundle and its parts bought
    separately draw on the same units. The shelves are read live, in one query.
    """
    others = {ln.variant_id: ln.quantity for ln in cart.lines if ln.variant_id != changed.id}
    snapshots = variant_snapshots(others)
    wanted = [(snapshots[vid], units) for vid, units in others.items() if vid in snapshots]
    wanted.append((changed, quantity))
    demand: dict[int, int] = {}
    for variant, units in wanted:
        for stocked_id, needed in stock_movements(variant, units):
            demand[stocked_id] = demand.get(stocked_id, 0) + needed
    shelf = shelf_stock(demand)
    if any(needed > shelf.get(vid, 0) for vid, needed in demand.items()):
        available = min(
            (shelf.get(vid, 0) // units for vid, units in stock_movements(changed, 1)), default=0
        )
        title = changed.product_title
        if available <= 0:
            raise StockError(f"{title} is sold out.")
        raise StockError(f"Only {available} of {title} available; your cart already has enough.")


def add_item(
    cart: ShopperCart, variant_id: int, quantity: int, source_article_id: int | None = None
) -> ShopperCartLine:
    """Add units of a variant; the line is merged with an existing one.

    `source_article_id` credits the article whose card the shopper added from; it is
    kept only when it names a live article (anything else is ignored, never an error).
    """
    if quantity < 1:
        raise QuantityError("Quantity must be at least 1.")
    variant = _purchasable_variant(variant_id)
    line = cart.line_for(variant.id)
    new_quantity = (line.quantity if line else 0) + quantity
    _check_quantity(new_quantity)
    _check_stock(cart, variant, new_quantity)
    if line is None and len(cart.lines) >= MAX_CART_LINES:
        raise QuantityError("Your cart is full.")
    source_article_id = attribution.creditable(source_article_id, utcnow())
    if line is None:
        line = ShopperCartLine(variant.id, new_quantity, source_article_id)
        cart.lines.append(line)
    else:
        line.quantity = new_quantity
        line.source_article_id = source_article_id or line.source_article_id
    return line


def change_item(cart: ShopperCart, line_key: str, quantity: int) -> None:
    """Set a line's quantity; 0 removes it. Gift lines belong to the store."""
    if line_key.startswith(GIFT_KEY_PREFIX):
        raise QuantityError(
            "The free gift is added by the store and cannot be changed; you can decline it."
        )
    line = next((line for line in cart.lines if line.key == line_key), None)
    if line is None:
        raise UnknownVariantError("That item is not in your cart.")
    _check_quantity(quantity)
    if quantity == 0:
        cart.lines.remove(line)
        return
    if quantity > line.quantity:
        _check_stock(cart, _purchasable_variant(line.variant_id), quantity)
    line.quantity = quantity


def clear(cart: ShopperCart) -> None:
    cart.lines = []
    cart.codes = []


def estimate_shipping_to(cart: ShopperCart, country: str) -> None:
    """Remember the country the shopper wants shipping estimated to ("" forgets it);
    refuses a country the store does not sell to."""
    code = (country or "").strip().upper()
    if code and code not in shipping.selling_countries():
        raise CartError("Please choose a country from the list: those are where we ship.")
    cart.shipping_country = code or None


def shipping_estimate(pricing: CartPricing) -> shipping.ShippingQuote | None:
    """What shipping to the country the shopper picked costs this cart, if one was."""
    if pricing.cart is None or not pricing.cart.shipping_country or pricing.is_empty:
        return None
    return shipping.estimate_for_country(pricing.cart.shipping_country, pricing.parcel)


def decline_gift(cart: ShopperCart, rule_id: int) -> None:
    if rule_id not in cart.declined_gift_rule_ids:
        cart.declined_gift_rule_ids = [*cart.declined_gift_rule_ids, rule_id]


def accept_gift(cart: ShopperCart, rule_id: int) -> None:
    cart.declined_gift_rule_ids = [r for r in cart.declined_gift_rule_ids if r != rule_id]


def apply_code(cart: ShopperCart, code: str, format_money: Callable[[int], str]) -> CodeResult:
    """Try a code. It is kept only when it applies, or will once the cart qualifies."""
    typed = code.strip()
    if not typed:
        return CodeResult(code="", status=CodeStatus.UNKNOWN, message="Please enter a code.")
    if len(typed) > 40:
        return CodeResult(
            code=typed[:40], status=CodeStatus.UNKNOWN, message="That code is not recognised."
        )
    if any(normalize_code(c) == normalize_code(typed) for c in cart.codes):
        pricing = price(cart, format_money)
        return pricing.code_result(typed) or CodeResult(typed, CodeStatus.APPLIED, "")
    if len(cart.codes) >= MAX_CODES:
        return CodeResult(
            typed, CodeStatus.NOT_COMBINABLE, f"At most {MAX_CODES} codes can be used on one order."
        )
    cart.codes = [*cart.codes, typed]
    result = price(cart, format_money).code_result(typed)
    if result is None or result.status not in (CodeStatus.APPLIED, CodeStatus.CONDITIONS_NOT_MET):
        cart.codes = [c for c in cart.codes if c != typed]
    return result or CodeResult(typed, CodeStatus.UNKNOWN, "That code is not recognised.")


def remove_code(cart: ShopperCart, code: str) -> None:
    cart.codes = [c for c in cart.codes if normalize_code(c) != normalize_code(code)]


def save(cart: ShopperCart, format_money: Callable[[int], str]) -> CartPricing:
    """Re-price after a change, remember the gifts shown and store the cart; return the
    pricing. Its transaction commits without waiting for the disk on PostgreSQL
    (`commit_without_waiting`)."""
    pricing = price(cart, format_money)
    remember_gifts(pricing)
    store.save(cart)
    commit_without_waiting()
    return pricing


_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def commit_without_waiting() -> None:
    """Let this transaction's commit skip waiting for the disk, on PostgreSQL.

    A cart is the shopper's working copy, not a record of anything sold: if the
    database server crashed in the fraction of a second before the write reached
    disk, the worst outcome is a cart one click behind, and the server cannot be
    left inconsistent (PostgreSQL's asynchronous commit). Waiting for the disk was
    most of a cart write's time. Orders, payments and staff changes never use this.
    It holds for the whole unit of work: call it only in one that changes a cart and
    nothing else (the cart views' units do).
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_ASYNC_COMMIT)


def discard_changes() -> None:
    """Undo unsaved cart edits after a refused change, so nothing half-done is kept."""
    db.session.rollback()


def offer_notes(
    cart: ShopperCart | None,
    variant: Variant,
    format_money: Callable[[int], str],
    now: datetime | None = None,
) -> list[str]:
    """What adding one unit of `variant` would unlock, then how far the rest is.

    Asked of the engine with the cart as it would be, so a $199 device page says
    "Adding this unlocks the FREE device & serum" rather than "Spend $150 more".
    """
    now = now or utcnow()
    current = price(cart, format_money, now)
    lines = line_inputs(cart)
    for index, line in enumerate(lines):
        if line.variant_id == variant.id:
            lines[index] = replace(line, quantity=line.quantity + 1)
            break
    else:
        added = variant_snapshots((variant.id,))[variant.id]
        lines.append(
            CartLineInput(
                str(added.id), added.id, added.product_id, added.line_title, 1, added.price
            )
        )
    context = ShopperContext(
        entered_codes=tuple(cart.codes) if cart else (),
        declined_gift_rule_ids=frozenset(cart.declined_gift_rule_ids) if cart else frozenset(),
    )
    after = price_cart(lines, load_rules(lines), context, now, format_money)
    already = {applied.rule_id for applied in current.priced.applied}
    unlocked = [a for a in after.applied if a.rule_id not in already]
    notes = [f"Adding this unlocks: {a.label}." for a in unlocked]
    unlocked_ids = {a.rule_id for a in unlocked}
    notes += [p.message for p in current.priced.progress if p.rule_id not in unlocked_ids]
    return notes
