"""Order placement.

Placing an order re-prices the cart on the server (with the shopper's e-mail, for
first-order and per-e-mail rules), re-checks every code and the gift, freezes the
result into a pending order, and reserves stock and promotion usage in the same
transaction: either the whole order is reserved, or nothing is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from shop.addresses.rules import PostalAddress
from shop.cart import attribution
from shop.cart import service as cart_service
from shop.cart import store as cart_store
from shop.cart.store import ShopperCart
from shop.catalog.models import Variant
from shop.catalog.service import OutOfStockError, stock_movements, take_stock
from shop.catalog.snapshot import recheck_catalogue
from shop.extensions import db
from shop.orders import service as orders
from shop.orders.models import Order, OrderLine, OrderPromotion, PaymentStatus
from shop.orders.states import OrderStatus
from shop.promotions.engine import CodeStatus
from shop.promotions.models import Promotion, PromotionEmailClaim
from shop.shipping import service as shipping
from shop.shipping.rates import Destination, ShippingOption
from shop.timeutil import utcnow

ORDER_NUMBER_OFFSET = 10000


class CheckoutError(Exception):
    """The order cannot be placed as it is; the message tells the shopper why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CartCorrected(CheckoutError):
    """The order was refused after the cart was corrected (a code that no longer
    applies removed, a gift that is gone forgotten): the correction is kept, so the
    shopper reviews the cart as it now is."""


@dataclass(frozen=True)
class CheckoutDetails:
    email: str
    name: str
    line1: str  # the street as typed; `address` holds it with the rest, normalised
    line2: str
    address: PostalAddress
    phone: str  # E.164, or empty
    shipping_method: str  # the id of the method chosen, as the form sends it


@dataclass(frozen=True)
class Quote:
    """The cart priced for checkout, plus the shipping methods offered to the address
    and the one chosen (or, while the page is being filled in, the cheapest)."""

    pricing: cart_service.CartPricing
    shipping_quote: shipping.ShippingQuote
    option: ShippingOption | None

    @property
    def shipping(self) -> int:
        return self.option.price if self.option else 0

    @property
    def total(self) -> int:
        return self.pricing.priced.total + self.shipping


CHANGED_METHOD_MESSAGE = (
    "The shipping methods for this address have changed. Please choose one of those shown."
)


def quote(
    cart: ShopperCart | None,
    email: str | None,
    destination: Destination,
    method_id: str | None,
    fmt: Callable[[int], str],
    now: datetime | None = None,
    *,
    to_place: bool = False,
) -> Quote:
    """Price the cart and its shipping to `destination`. With the e-mail known,
    first-order and per-e-mail promotion rules are decided too.

    `to_place`: the order is being placed, so an address the store does not ship to
    or a method not offered there is refused (`CheckoutError`); otherwise the
    cheapest method stands in for one not offered."""
    pricing = cart_service.price(
        cart,
        fmt,
        now,
        is_first_order=(not orders.has_paid_order(email)) if email else None,
        usage_by_email=orders.promotion_usage_by_email(email) if email else None,
    )
    offered = shipping.quote_for(destination, pricing.parcel)
    option = offered.option(method_id)
    if to_place:
        if offered.problem:
            raise CheckoutError(offered.problem, field="shipping_method")
        if option is None:
            raise CheckoutError(CHANGED_METHOD_MESSAGE, field="shipping_method")
    return Quote(pricing, offered, option or offered.cheapest)


def _fingerprint(quote_: Quote, details: CheckoutDetails) -> str:
    priced = quote_.pricing.priced
    content = {
        "lines": [(ln.key, ln.quantity, ln.final_line_price, ln.is_gift) for ln in priced.lines],
        "codes": sorted(c.code.casefold() for c in priced.code_results),
        "details": asdict(details),
        "total": quote_.total,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _open_order_for_cart(cart: ShopperCart) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.cart_id == cart.id, Order.status == OrderStatus.PENDING)
        .order_by(Order.id.desc())
        .limit(1)
    )


def _check_codes_and_gift(cart: ShopperCart, quote_: Quote) -> None:
    for result in quote_.pricing.priced.code_results:
        if result.status != CodeStatus.APPLIED:
            cart_service.remove_code(cart, result.code)
            cart_service.remember_gifts(quote_.pricing)
            cart_store.save(cart)
            raise CartCorrected(
                f"{result.message}. We removed the code {result.code}; please review "
                "your order and place it again.",
                field="code",
            )
    shown = set(cart.gift_rule_ids or [])
    now_given = {ln.gift_rule_id for ln in quote_.pricing.priced.lines if ln.is_gift}
    if shown - now_given:
        reasons = [n.message for n in quote_.pricing.priced.notices]
        cart_service.remember_gifts(quote_.pricing)
        cart_store.save(cart)
        raise CartCorrected(
            "Your free gift is no longer available for this order"
            + (f" ({'; '.join(reasons)})" if reasons else "")
            + ". Please review your order and place it again."
        )


def place_order(
    cart: ShopperCart | None,
    details: CheckoutDetails,
    payment_provider: str,
    fmt: Callable[[int], str],
    reservation_minutes: int,
    currency: str,
    now: datetime | None = None,
) -> Order:
    """Freeze the cart into a pending order with its stock reserved.

    Run it in the read-then-write unit of work the cart was read in (locked), one that
    commits `CartCorrected` (see `checkout.views`). A second submit of an unchanged
    cart waits for the first and returns the order it placed.
    """
    now = now or utcnow()
    if cart is None or not cart.lines:
        raise CheckoutError("Your cart is empty.")
    orders.release_expired(now)
    recheck_catalogue()
    quote_ = quote(
        cart,
        details.email,
        shipping.destination_of(details.address),
        details.shipping_method,
        fmt,
        now,
        to_place=True,
    )
    _check_codes_and_gift(cart, quote_)
    fingerprint = _fingerprint(quote_, details)

    previous = _open_order_for_cart(cart)
    if previous is not None:
        if previous.cart_fingerprint == fingerprint and not orders.is_expired(previous, now):
            return previous
        if previous.payment_status == PaymentStatus.PROCESSING:
            raise CheckoutError(
                "A payment for this cart is still being processed. Please wait a moment."
            )
        orders.release_reservation(previous, "shopper", "Replaced by a newer checkout.")

    order = _freeze(quote_, details, cart, payment_provider, currency, fingerprint, now)
    order.reservation_expires_at = now + timedelta(minutes=reservation_minutes)
    db.session.add(order)
    db.session.flush()
    order.number = ORDER_NUMBER_OFFSET + order.id
    _reserve_usage(order)
    _reserve_stock(order, quote_)
    orders.record_event(order, "shopper", "placed", to_status=OrderStatus.PENDING)
    db.session.flush()
    return order


def _freeze(
    quote_: Quote,
    details: CheckoutDetails,
    cart: ShopperCart,
    provider: str,
    currency: str,
    fingerprint: str,
    now: datetime,
) -> Order:
    priced = quote_.pricing.priced
    order = Order(
        email=details.email,
        cart_id=cart.id,
        cart_fingerprint=fingerprint,
        shipping_name=details.name,
        shipping_line1=details.line1,
        shipping_line2=details.line2,
        shipping_city_area=details.address.city_area,
        shipping_city=details.address.city,
        shipping_country_area_code=details.address.country_area_code,
        shipping_country_area_name=details.address.country_area_name,
        shipping_postal_code=details.address.postal_code,
        shipping_country=details.address.country_code,
        shipping_phone=details.phone,
        shipping_address_lines=details.address.lines(name=details.name),
        shipping_method=quote_.option.method.name,
        shipping_method_label=f"{quote_.option.method.name}, {quote_.option.estimate}",
        currency=currency,
        subtotal=priced.subtotal,
        discount_total=priced.total_discount,
        shipping_total=quote_.shipping,
        total=quote_.total,
        gift_value_total=sum(ln.gift_value for ln in priced.lines if ln.is_gift),
        payment_provider=provider,
        status=OrderStatus.PENDING,
    )
    # Priced lines are keyed like cart lines (str(variant_id)); gift lines have no article.
    # An article unpublished or deleted since the line was added is no longer credited.
    source_articles = {
        cart_line.key: attribution.creditable(cart_line.source_article_id, now)
        for cart_line in cart.lines
    }
    for line in priced.lines:
        variant = quote_.pricing.variants.get(line.variant_id)
        order.lines.append(
            OrderLine(
                variant_id=line.variant_id,
                product_id=line.product_id,
                line_key=line.key,
                title=line.title,
                sku=variant.sku if variant else "",
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_price=line.line_price,
                discount=0 if line.is_gift else line.line_price - line.final_line_price,
                final_line_price=line.final_line_price,
                is_gift=line.is_gift,
                gift_value=line.gift_value,
                gift_promotion_id=line.gift_rule_id,
                source_article_id=None if line.is_gift else source_articles.get(line.key),
            )
        )
    for applied in priced.applied:
        promotion = db.session.get(Promotion, applied.rule_id)
        order.promotions.append(
            OrderPromotion(
                promotion_id=applied.rule_id,
                promotion_version=applied.version,
                label=applied.label,
                amount=applied.amount,
                code=promotion.code if promotion and promotion.code else None,
                qualifying_line_keys=list(applied.qualifying_line_keys),
            )
        )
    return order


def _reserve_usage(order: Order) -> None:
    """Count each limited promotion against its limits now, atomically, so two
    shoppers cannot both use the last redemption, and one e-mail checking out in two
    tabs at once cannot use a once-per-e-mail promotion twice."""
    # In promotion order, so concurrent checkouts take the e-mail locks in one order.
    for used in sorted(order.promotions, key=lambda used: used.promotion_id or 0):
        promotion = db.session.get(Promotion, used.promotion_id)
        if promotion is None:
            continue
        if promotion.usage_limit_per_email is not None:
            _check_email_usage(order, promotion)
        if promotion.usage_limit_total is None:
            continue
        result = db.session.execute(
            update(Promotion)
            .where(Promotion.id == promotion.id, Promotion.times_used < Promotion.usage_limit_total)
            .values(times_used=Promotion.times_used + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise CheckoutError(f"{promotion.label} has just been used up.", field="code")
        used.usage_reserved = True


def _check_email_usage(order: Order, promotion: Promotion) -> None:
    """Refuse the order if its e-mail has used `promotion` up, counting orders that
    other checkouts with the same e-mail have just placed.

    The e-mail's claim row is locked first (made if it is the e-mail's first use): a
    concurrent checkout with the same e-mail waits here until this one commits or
    rolls back, then counts again and sees this order.
    """
    claim = (
        select(PromotionEmailClaim)
        .where(
            PromotionEmailClaim.promotion_id == promotion.id,
            PromotionEmailClaim.email == order.email,
        )
        .with_for_update()
    )
    if db.session.scalar(claim) is None:
        try:
            with db.session.begin_nested():
                db.session.add(PromotionEmailClaim(promotion_id=promotion.id, email=order.email))
        except IntegrityError:  # another checkout claimed it first: wait for its turn
            db.session.scalar(claim)
    uses = orders.promotion_usage_by_email(order.email).get(promotion.id, 0)  # this order too
    if uses > (promotion.usage_limit_per_email or 0):
        raise CheckoutError(
            f"You have already used {promotion.label} with {order.email}.", field="code"
        )


def _reserve_stock(order: Order, quote_: Quote) -> None:
    movements: list[tuple[int, int]] = []
    for line in quote_.pricing.priced.lines:
        variant = quote_.pricing.variants.get(line.variant_id)
        if variant is None:
            raise CheckoutError(f"{line.title} is no longer available.")
        movements.extend(stock_movements(variant, line.quantity))
    try:
        take_stock(db.session, movements)
    except OutOfStockError as error:
        variant = db.session.get(Variant, error.variant_id)
        title = variant.product.title if variant else "An item"
        raise CheckoutError(
            f"Sorry, {title} sold out while you were checking out. "
            "Your cart is unchanged; please adjust it and try again."
        ) from None
    order.stock_movements = [[vid, units] for vid, units in movements]
