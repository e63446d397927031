"""The checkout page: details form, order summary, placing the order."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from shop.cart.session import current_cart, forget_cart, shown_pricing
from shop.checkout import service
from shop.checkout.forms import CheckoutForm
from shop.orders import links
from shop.orders import service as orders
from shop.orders.payment_requests import payment_request_for
from shop.payments.registry import get_provider
from shop.shipping import service as shipping
from shop.shipping.rates import Destination
from shop.templating import store_money_formatter
from shop.unit_of_work import separate_transactions, unit_of_work

bp = Blueprint("checkout", __name__)


def _details(form: CheckoutForm) -> service.CheckoutDetails:
    return service.CheckoutDetails(
        email=form.email.data.strip().lower(),
        name=form.name.data.strip(),
        line1=form.line1.data.strip(),
        line2=(form.line2.data or "").strip(),
        address=form.address,
        phone=form.phone.data,
        shipping_method=form.shipping_method.data,
    )


def _checkout_form(settings: shipping.ShippingSnapshot, **kwargs) -> CheckoutForm:
    return CheckoutForm(
        countries=settings.countries, phone_required=settings.phone_required, **kwargs
    )


def _shown_quote(cart, form: CheckoutForm, fmt) -> service.Quote:
    """The cart and the shipping methods offered to the address typed so far, with the
    method chosen (or the cheapest one, while none offered there is chosen)."""
    return service.quote(
        cart, None, Destination(*form.typed_destination), form.shipping_method.data, fmt
    )


@bp.get("/checkout/address-fields")
def address_fields():
    """The address fields for the country in `?country=`: the checkout page's script
    swaps them in when the shopper picks another country (without JavaScript, the
    page's "Update" button posts the form and the page comes back for it)."""
    form = _checkout_form(shipping.snapshot(), formdata=request.args)
    return render_template("checkout/_address_fields.html", form=form)


@bp.get("/checkout/shipping-options")
def shipping_options():
    """The shipping methods offered to the address in the query, and the order's
    totals with the one chosen: the checkout page's script swaps them in as the
    address changes (without JavaScript, "Update shipping options" posts the form)."""
    form = _checkout_form(shipping.snapshot(), formdata=request.args)
    cart = current_cart()
    if cart is None or not cart.lines:
        return "", 204
    quote = _shown_quote(cart, form, store_money_formatter())
    return render_template("checkout/_shipping_update.html", form=form, quote=quote)


@bp.route("/checkout", methods=["GET", "POST"])
@separate_transactions  # the payment provider is called between them
def checkout_page():
    fmt = store_money_formatter()
    error = None
    form = None
    updating = request.method == "POST" and (
        "update_country" in request.form or "update_shipping" in request.form
    )
    if request.method == "POST" and not updating:
        try:
            # Read-then-write, from the first read (the countries the form offers, then
            # the cart): a double submit waits for the first and finds its order.
            # Corrections to the cart are kept.
            with unit_of_work(read_then_write=True, commit_despite=(service.CartCorrected,)):
                form = _checkout_form(shipping.snapshot())
                order = None
                if form.validate_on_submit():
                    order = service.place_order(
                        current_cart(),
                        _details(form),
                        get_provider().name,
                        fmt,
                        current_app.config["RESERVATION_MINUTES"],
                        current_app.config["STORE_CURRENCY"],
                    )
        except service.CheckoutError as problem:
            error = problem.message
            if problem.field == "shipping_method":
                form.shipping_method.errors = [*form.shipping_method.errors, problem.message]
        else:
            if order is not None:
                # Its own units of work, none open while the provider answers.
                orders.start_payment(order, get_provider(), payment_request_for)
                return redirect(url_for("orders.pay_page", token=links.order_token(order)))
    forget_cart()  # a refused order's unit read it; it may have changed since
    with unit_of_work(of_a_read=True):  # shows the cart; remembers only what it showed
        cart = current_cart()
        if cart is None or not cart.lines:
            flash("Your cart is empty. Add something before checking out.", "error")
            return redirect(url_for("cart.cart_page"))
        if form is None:
            settings = shipping.snapshot()
            # A new visit starts with the country the cart estimated shipping to.
            start = cart.shipping_country if request.method == "GET" else None
            form = _checkout_form(settings, **({"country": start} if start else {}))
        shown_pricing()  # the summary below shows this cart's gifts
        quote = _shown_quote(cart, form, fmt)
    status = 422 if (error or form.errors) else 200
    return render_template("checkout/checkout.html", form=form, quote=quote, error=error), status
