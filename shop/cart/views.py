"""Cart pages (forms and redirects, no JavaScript needed) and the JSON cart API.

The cart is found by a signed cookie holding its token; a cart row is only created
when a shopper first adds something, so browsing writes nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from shop.addresses.rules import country_name
from shop.cart import service
from shop.cart.forms import (
    AddItemForm,
    BadCartRequest,
    ChangeItemForm,
    GiftChoiceForm,
    items_to_add,
)
from shop.cart.serializers import cart_to_dict, line_to_dict, notices_to_list
from shop.cart.session import (
    cart_token,
    cookie_signer,
    current_cart,
    current_or_new_cart,
    current_pricing,
    shown_pricing,
)
from shop.errors import json_error
from shop.promotions import messages
from shop.promotions.loader import load_rules
from shop.shipping import service as shipping
from shop.templating import store_money_formatter
from shop.timeutil import utcnow
from shop.unit_of_work import reads_then_writes

bp = Blueprint("cart", __name__)

# A cart request is a few hundred bytes; anything near this is abuse.
MAX_CART_REQUEST_BYTES = 16 * 1024


@bp.before_request
def _limit_body_size() -> None:
    # The app-wide limit (uploads need more) still caps bodies sent without a length.
    if (request.content_length or 0) > MAX_CART_REQUEST_BYTES:
        abort(413, description="That request is too large for the cart.")


# ------------------------------------------------------------------ cookie and cart


@bp.before_app_request
def _forget_previous_cart() -> None:
    """`g` outlives a request when an app context was already pushed (tests, CLI);
    the cart found for one request must never serve another."""
    g.pop("cart", None)
    g.pop("cart_cookie_token", None)
    g.pop("cart_pricing", None)


@bp.after_app_request
def _keep_cart_cookie(response):
    """Persist the cart cookie when this request created or used a cart."""
    # The token as found or made, not read off the row: after a commit that would
    # reload the cart, in a new transaction, for nothing.
    token = g.get("cart_cookie_token")
    if token:
        response.set_cookie(
            current_app.config["CART_COOKIE_NAME"],
            cookie_signer().dumps(token),
            max_age=current_app.config["CART_COOKIE_MAX_AGE"],
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


@bp.app_template_global()
def offer_notes_for(variant) -> list[str]:
    """What adding `variant` to the shopper's cart would unlock, for any page that
    sells it (product pages ask; the catalogue itself knows nothing of carts)."""
    if variant is None:
        return []
    return service.offer_notes(current_cart(), variant, store_money_formatter())


@bp.app_context_processor
def _cart_context() -> dict:
    """Header count and announcement bar on every page. Both come from the one
    pricing of the cart this request makes anyway (none without a cart cookie)."""
    pricing = current_pricing() if cart_token() else None
    rules = load_rules(service.line_inputs(pricing.cart) if pricing else [])
    return {
        "cart_item_count": pricing.item_count if pricing else 0,
        "announcement": messages.announcement(
            rules, pricing.priced if pricing else None, utcnow(), store_money_formatter()
        ),
        "cart_pricing": current_pricing,
    }


# ------------------------------------------------------------------ input


def _sent_as_json() -> bool:
    """Whether the fields came as a JSON body (else as a posted form). A body that is
    not JSON, or nests too deep, is then refused by get_json itself: a 400 with the
    reason."""
    return request.is_json and bool(request.get_data(cache=True))


def _bad_request(message: str):
    return json_error(400, "Bad Request", message)


def _json_cart(pricing: service.CartPricing) -> dict:
    return cart_to_dict(
        pricing,
        current_app.config["STORE_CURRENCY"],
        lambda handle: url_for("catalog.product_page", handle=handle),
        lambda path: url_for("static", filename=path),
    )


def _json_line(pricing: service.CartPricing, key: str) -> dict:
    for line in pricing.priced.lines:
        if line.key == key:
            return line_to_dict(
                line,
                pricing,
                lambda handle: url_for("catalog.product_page", handle=handle),
                lambda path: url_for("static", filename=path),
            )
    return {}


def _safe_return_path(target: str | None, fallback: str) -> str:
    """Only same-site paths: never redirect a shopper to another host."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    return target


def _flash_outcome(pricing: service.CartPricing) -> None:
    for notice in pricing.priced.notices:
        flash(notice.message, "notice")


# ------------------------------------------------------------------ JSON API


@bp.get("/cart.js")
def cart_json():
    return jsonify(_json_cart(shown_pricing()))


@bp.post("/cart/add.js")
@reads_then_writes
def add_json():
    body = request.get_json() if _sent_as_json() else None
    try:
        forms = items_to_add(body) if _sent_as_json() else [AddItemForm()]
    except BadCartRequest as error:
        return _bad_request(str(error))
    for form in forms:
        if not form.validate():
            return _bad_request(form.first_error())
    cart = current_or_new_cart()
    try:
        for form in forms:
            service.add_item(
                cart, form.id.data, form.quantity.data, source_article_id=form.article_id
            )
    except service.CartError as error:
        service.discard_changes()
        return json_error(error.status, "Cart Error", error.message)
    pricing = service.save(cart, store_money_formatter())
    g.cart_pricing = pricing
    added = [_json_line(pricing, str(form.id.data)) for form in forms]
    answer = {"items": added} if isinstance(body, dict) and "items" in body else dict(added[0])
    answer["notices"] = notices_to_list(pricing.priced)
    return jsonify(answer)


@bp.post("/cart/change.js")
@reads_then_writes
def change_json():
    try:
        form = ChangeItemForm.of_json(request.get_json()) if _sent_as_json() else ChangeItemForm()
    except BadCartRequest as error:
        return _bad_request(str(error))
    if not form.validate():
        return _bad_request(form.first_error())
    cart = current_cart()
    if form.line.data is not None:
        lines = current_pricing().priced.lines
        if not 1 <= form.line.data <= len(lines):
            return json_error(404, "Not Found", "There is no such line in your cart.")
        key = lines[form.line.data - 1].key
    else:
        key = form.line_key
    if cart is None:
        return json_error(404, "Not Found", "That item is not in your cart.")
    try:
        service.change_item(cart, key, form.quantity.data)
    except service.CartError as error:
        service.discard_changes()
        return json_error(error.status, "Cart Error", error.message)
    g.cart_pricing = service.save(cart, store_money_formatter())
    return jsonify(_json_cart(g.cart_pricing))


@bp.post("/cart/clear.js")
@reads_then_writes
def clear_json():
    # Nothing to read, but a malformed body is refused as on every write.
    if _sent_as_json() and not isinstance(request.get_json(), dict):
        return _bad_request("The request body must be a JSON object.")
    cart = current_cart()
    if cart is not None:
        service.clear(cart)
        g.cart_pricing = service.save(cart, store_money_formatter())
    return jsonify(_json_cart(current_pricing()))


# ------------------------------------------------------------------ pages and forms


@bp.get("/cart")
def cart_page():
    pricing = shown_pricing()
    return render_template(
        "cart/cart.html",
        pricing=pricing,
        estimate=service.shipping_estimate(pricing),
        shipping_countries=shipping.selling_countries(),
    )


@bp.post("/cart/shipping-country")
@reads_then_writes
def shipping_country_form():
    """The country the cart estimates shipping to (and checkout starts with)."""
    cart = current_cart()
    if cart is None:
        flash("Your cart is empty.", "error")
        return redirect(url_for("cart.cart_page"))
    try:
        service.estimate_shipping_to(cart, request.form.get("country") or "")
    except service.CartError as error:
        flash(error.message, "error")
        return redirect(url_for("cart.cart_page"))
    service.save(cart, store_money_formatter())
    if cart.shipping_country:
        flash(f"Shipping estimated to {country_name(cart.shipping_country)}.", "success")
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/add")
@reads_then_writes
def add_form():
    back = _safe_return_path(request.form.get("return_to"), url_for("cart.cart_page"))
    form = AddItemForm()
    if not form.validate():
        flash("Please choose an option and a quantity: a whole number in the digits 0-9.", "error")
        return redirect(back)
    cart = current_or_new_cart()
    try:
        line = service.add_item(
            cart, form.id.data, form.quantity.data, source_article_id=form.article_id
        )
    except service.CartError as error:
        service.discard_changes()
        flash(error.message, "error")
        return redirect(back)
    pricing = service.save(cart, store_money_formatter())
    flash(f"Added {pricing.variants[line.variant_id].product_title} to your cart.", "success")
    _flash_outcome(pricing)
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/change")
@reads_then_writes
def change_form():
    cart = current_cart()
    form = ChangeItemForm()
    if not form.validate():
        flash("Please enter a whole number of items, in the digits 0-9.", "error")
        return redirect(url_for("cart.cart_page"))
    quantity = form.quantity.data
    if cart is None:
        flash("Your cart is empty.", "error")
        return redirect(url_for("cart.cart_page"))
    try:
        service.change_item(cart, form.line_key, quantity)
    except service.CartError as error:
        service.discard_changes()
        flash(error.message, "error")
        return redirect(url_for("cart.cart_page"))
    pricing = service.save(cart, store_money_formatter())
    flash("Removed from your cart." if quantity == 0 else "Cart updated.", "success")
    _flash_outcome(pricing)
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/clear")
@reads_then_writes
def clear_form():
    cart = current_cart()
    if cart is not None:
        service.clear(cart)
        service.save(cart, store_money_formatter())
    flash("Your cart is now empty.", "success")
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/code")
@reads_then_writes
def apply_code_form():
    code = (request.form.get("code") or "")[:80]
    cart = current_or_new_cart()
    result = service.apply_code(cart, code, store_money_formatter())
    service.save(cart, store_money_formatter())
    applied = str(result.status) == "applied"
    flash(result.message, "success" if applied else "error")
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/code/remove")
@reads_then_writes
def remove_code_form():
    cart = current_cart()
    if cart is not None:
        service.remove_code(cart, request.form.get("code") or "")
        service.save(cart, store_money_formatter())
        flash("Code removed.", "success")
    return redirect(url_for("cart.cart_page"))


@bp.post("/cart/gift/<action>")
@reads_then_writes
def gift_choice_form(action: str):
    cart = current_cart()
    form = GiftChoiceForm()
    if not form.validate():
        flash("Please try again.", "error")
        return redirect(url_for("cart.cart_page"))
    promotion_id = form.promotion_id.data
    if cart is None or action not in ("decline", "accept"):
        return redirect(url_for("cart.cart_page"))
    if action == "decline":
        service.decline_gift(cart, promotion_id)
        message = "No problem: the free gift will not be added to this order."
    else:
        service.accept_gift(cart, promotion_id)
        message = "The free gift is back in your cart."
    service.save(cart, store_money_formatter())
    flash(message, "success")
    return redirect(url_for("cart.cart_page"))
