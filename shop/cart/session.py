"""The shopper's cart for this request: found by its signed cookie, once per request.

Cart pages, product pages and checkout all need the same cart, priced once; this
module is what they share (the cart views register the hooks that keep the cookie
and empty `g` between requests).
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from shop.cart import service
from shop.cart.store import ShopperCart
from shop.security import mark_personal
from shop.templating import store_money_formatter
from shop.unit_of_work import is_read_then_write


@lru_cache(maxsize=4)
def _cookie_serializer(secret_key: str | bytes, fallbacks: tuple) -> URLSafeSerializer:
    # The last key signs; the old ones (`SECRET_KEY_FALLBACKS`) still verify after a
    # rotation, as with Flask's session cookie.
    return URLSafeSerializer([*fallbacks, secret_key], salt="cart-token")


def cookie_signer() -> URLSafeSerializer:
    fallbacks = tuple(current_app.config.get("SECRET_KEY_FALLBACKS") or ())
    return _cookie_serializer(current_app.secret_key, fallbacks)


def cart_token() -> str | None:
    """The token from the signed cookie; a forged or garbled cookie counts as none."""
    raw = request.cookies.get(current_app.config["CART_COOKIE_NAME"])
    if not raw:
        return None
    try:
        token = cookie_signer().loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def current_cart() -> ShopperCart | None:
    """The shopper's cart, once per request (`forget_cart` reads it again); read locked
    when the unit of work reading it is a read-then-write."""
    if "cart" not in g:
        token = cart_token()
        g.cart = service.find_cart(token, for_update=is_read_then_write())
        g.cart_cookie_token = token if g.cart is not None else None
        if g.cart is not None:
            mark_personal()
    return g.cart


def forget_cart() -> None:
    """Read the cart afresh when next asked: what a unit of work that has ended read
    may be stale by now (another tab changed it), and must not be written back."""
    g.pop("cart", None)
    g.pop("cart_pricing", None)


def current_or_new_cart() -> ShopperCart:
    cart = current_cart()
    if cart is None:
        cart = g.cart = service.new_cart()
        g.cart_cookie_token = cart.token
        mark_personal()
    return cart


def current_pricing() -> service.CartPricing:
    """The shopper's priced cart, computed once per request; only reads, so any page
    (a context processor, a template) may ask."""
    if "cart_pricing" not in g:
        g.cart_pricing = service.price(current_cart(), store_money_formatter())
    return g.cart_pricing


def shown_pricing() -> service.CartPricing:
    """The priced cart a view is about to show the shopper (the cart page, cart.js,
    the checkout summary): the gifts it shows are remembered, so a gift that has since
    gone (a promotion ended, stock ran out) is explained once and checkout does not
    refuse an order the shopper already saw without it. Writes: call it from a view."""
    pricing = current_pricing()
    service.remember_shown(pricing)
    return pricing
