"""The shopper's order pages, reached only through signed links."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)

from shop.catalog.reviews import verify_buyers_with
from shop.orders import links
from shop.orders import service as orders
from shop.orders.models import Order, PaymentStatus
from shop.orders.payment_requests import payment_request_for
from shop.orders.states import PAID_STATES, OrderStatus
from shop.payments.forms import DemoPaymentForm
from shop.payments.registry import get_provider
from shop.security import mark_personal
from shop.unit_of_work import separate_transactions, unit_of_work

bp = Blueprint("orders", __name__)


@bp.record_once
def _verify_reviewers(state) -> None:
    """A review's author is a verified buyer if their e-mail paid for the product."""
    verify_buyers_with(state.app, orders.has_paid_order_with_product)


def get_order_or_404(token: str) -> Order:
    """The order a signed link names; a bad signature is a plain 404."""
    public_token = links.public_token_from(token)
    order = orders.find_by_public_token(public_token) if public_token else None
    if order is None:
        abort(404, description="We could not find that order.")
    mark_personal()
    orders.release_if_expired(order)
    return order


def _payment_state(order: Order) -> str:
    """What the shopper is told, read from the order (never from the URL)."""
    if order.status in PAID_STATES:
        return "paid"
    if order.status == OrderStatus.CANCELLED:
        return "cancelled"
    if order.payment_status == PaymentStatus.FAILED:
        return "failed"
    if order.payment_status == PaymentStatus.ERROR:
        return "error"
    if order.payment_provider == "stripe" and order.payment_id:
        return "processing"
    return "awaiting_payment"


@bp.get("/orders/<token>")
def order_page(token: str):
    order = get_order_or_404(token)
    return render_template(
        "orders/order.html", order=order, state=_payment_state(order), token=token
    )


@bp.get("/orders/<token>/status.json")
def order_status(token: str):
    order = get_order_or_404(token)
    return jsonify(
        {
            "number": order.number,
            "status": order.status,
            "payment": _payment_state(order),
            "message": order.payment_message,
        }
    )


@bp.route("/orders/<token>/pay", methods=["GET", "POST"])
def pay_page(token: str):
    order = get_order_or_404(token)
    if order.status != OrderStatus.PENDING:
        return redirect(url_for("orders.order_page", token=token))
    provider = get_provider()
    form = DemoPaymentForm()
    if provider.name == "demo" and form.validate_on_submit():
        declined = orders.pay_with_demo_card(
            order, provider, form.card_number.data, links.external_order_url(order)
        )
        if declined is None:
            flash("Thank you! Your payment went through.", "success")
            return redirect(url_for("orders.order_page", token=token))
    status = 422 if form.errors or order.payment_status == PaymentStatus.FAILED else 200
    return render_template(
        "orders/pay.html",
        order=order,
        token=token,
        form=form,
        provider=provider.name,
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY", ""),
        state=_payment_state(order),
    ), status


@bp.post("/orders/<token>/pay/retry")
@separate_transactions  # the payment provider is called between them
def retry_payment(token: str):
    with unit_of_work():
        order = get_order_or_404(token)
    orders.retry_payment(order, get_provider(), payment_request_for)
    if order.payment_status == PaymentStatus.ERROR:
        flash(order.payment_message, "error")
    return redirect(url_for("orders.pay_page", token=token))
