"""The checkout page: details form, order summary, placing the order."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from shop.cart.session import current_cart, forget_cart, shown_pricing
from shop.checkout import service
from shop.checkout.forms import CheckoutForm
from shop.checkout.shipping import SHIPPING_METHODS
from shop.orders import links
from shop.orders import service as orders
from shop.orders.payment_requests import payment_request_for
from shop.payments.registry import get_provider
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


def _checkout_form(**kwargs) -> CheckoutForm:
    return CheckoutForm(phone_required=current_app.config["CHECKOUT_PHONE_REQUIRED"], **kwargs)


@bp.get("/checkout/address-fields")
def address_fields():
    """The address fields for the country in `?country=`: the checkout page's script
    swaps them in when the shopper picks another country (without JavaScript, the
    page's "Update" button posts the form and the page comes back for it)."""
    form = _checkout_form(formdata=request.args)
    return render_template("checkout/_address_fields.html", form=form)


@bp.route("/checkout", methods=["GET", "POST"])
@separate_transactions  # the payment provider is called between them
def checkout_page():
    form = _checkout_form()
    fmt = store_money_formatter()
    error = None
    changing_country = request.method == "POST" and "update_country" in request.form
    if not changing_country and form.validate_on_submit():
        try:
            # Read-then-write, from the cart's first read: a double submit waits for
            # the first and finds its order. Corrections to the cart are kept.
            with unit_of_work(read_then_write=True, commit_despite=(service.CartCorrected,)):
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
        else:
            # Its own units of work, none open while the provider answers.
            orders.start_payment(order, get_provider(), payment_request_for)
            return redirect(url_for("orders.pay_page", token=links.order_token(order)))
    forget_cart()  # a refused order's unit read it; it may have changed since
    with unit_of_work(of_a_read=True):  # shows the cart; remembers only what it showed
        cart = current_cart()
        if cart is None or not cart.lines:
            flash("Your cart is empty. Add something before checking out.", "error")
            return redirect(url_for("cart.cart_page"))
        shown_pricing()  # the summary below shows this cart's gifts
        method_code = form.shipping_method.data or "standard"
        try:
            quote = service.quote(cart, None, method_code, fmt)
        except service.CheckoutError:
            quote = service.quote(cart, None, "standard", fmt)
    status = 422 if (error or form.errors) else 200
    return render_template(
        "checkout/checkout.html",
        form=form,
        quote=quote,
        error=error,
        shipping_methods=SHIPPING_METHODS,
    ), status
