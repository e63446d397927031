"""Orders, for fulfilment staff and the owner: find, pack, ship, refund, cancel."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from shop.admin import order_service
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.errors import AdminActionError
from shop.admin.forms import (
    ActionForm,
    CancelForm,
    OrderFilterForm,
    RefundForm,
    ShipForm,
    options,
)
from shop.admin.views.blueprint import apply_errors, bp
from shop.input_rules import parse_whole_number
from shop.orders.links import external_order_url
from shop.orders.models import Order
from shop.orders.states import PAID_STATES, OrderStatus
from shop.payments.registry import get_provider
from shop.templating import store_money_formatter

fulfilment_staff = staff_required(*Area.ORDERS)


def _article_choices() -> list[tuple[str, str]]:
    """Articles to filter by, when the content feature records where a sale came from."""
    if not order_service.source_article_supported():
        return []
    return [(str(article_id), title) for article_id, title in order_service.article_titles()]


@bp.get("/orders")
@fulfilment_staff
def orders():
    form = OrderFilterForm(formdata=request.args)
    articles = _article_choices()
    form.article.choices = options([("", "Any article"), *articles])
    form.validate()
    gift = {"yes": True, "no": False}.get(form.has_gift.data or "")
    filters = order_service.OrderFilters(
        status=form.status.data or None,
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None,
        email=(form.email.data or "").strip() or None,
        has_gift=gift,
        article_id=form.article.data if articles and not form.article.errors else None,
    )
    page = order_service.search_orders(
        filters, request.args.get("page", 1, type=parse_whole_number)
    )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "admin/orders/list.html", form=form, page=page, args=args, show_articles=bool(articles)
    )


def _order_or_404(number: int) -> Order:
    order = order_service.get_order(number)
    if order is None:
        abort(404, description="There is no order with that number.")
    return order


def _detail(order: Order, *, ship_form=None, refund_form=None, cancel_form=None, status=200):
    ship_form = ship_form or ShipForm(formdata=None)
    refund_form = refund_form or RefundForm(formdata=None)
    cancel_form = cancel_form or CancelForm(formdata=None)
    return render_template(
        "admin/orders/detail.html",
        order=order,
        versions=order_service.promotion_versions(order),
        action_form=ActionForm(formdata=None),
        ship_form=ship_form,
        refund_form=refund_form,
        cancel_form=cancel_form,
        can_fulfil=order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED),
        can_ship=order.status in (OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED),
        can_refund=order.status in PAID_STATES
        and order.status != OrderStatus.REFUNDED
        and order.refundable_amount > 0,
        can_cancel=order.status in (OrderStatus.PENDING, OrderStatus.PAID),
    ), status


@bp.get("/orders/<int:number>")
@fulfilment_staff
def order_detail(number: int):
    return _detail(_order_or_404(number))


@bp.get("/orders/<int:number>/packing-slip")
@fulfilment_staff
def order_packing_slip(number: int):
    """A page to print and put in the parcel: the address as its country prints it,
    and what to pack (no prices)."""
    return render_template("admin/orders/packing_slip.html", order=_order_or_404(number))


@bp.post("/orders/<int:number>/fulfil")
@fulfilment_staff
def order_fulfil(number: int):
    order = _order_or_404(number)
    if ActionForm().validate_on_submit():
        try:
            order_service.fulfil(order.number, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash(f"Order {order.number} is packed.", "success")
    return redirect(url_for("admin.order_detail", number=order.number))


@bp.post("/orders/<int:number>/ship")
@fulfilment_staff
def order_ship(number: int):
    order = _order_or_404(number)
    form = ShipForm()
    if form.validate_on_submit():
        try:
            order_service.ship(
                order.number,
                signed_in_staff(),
                form.carrier.data,
                form.tracking_number.data,
                external_order_url,
            )
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Order {order.number} is shipped; the shopper is e-mailed.", "success")
            return redirect(url_for("admin.order_detail", number=order.number))
    return _detail(_order_or_404(number), ship_form=form, status=422)


@bp.post("/orders/<int:number>/refund")
@fulfilment_staff
def order_refund(number: int):
    order = _order_or_404(number)
    form = RefundForm()
    if form.validate_on_submit():
        try:
            record = order_service.refund(
                order.number,
                signed_in_staff(),
                form.amount.data,
                get_provider(),
                gift_returned=bool(form.gift_returned.data),
                reason=form.reason.data or "",
            )
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            message = f"Refunded {store_money_formatter()(record.amount)} on order {order.number}."
            if record.gift_deduction:
                message += " The free gift's value was kept, as the gift was not returned."
            flash(message, "success")
            return redirect(url_for("admin.order_detail", number=order.number))
    return _detail(_order_or_404(number), refund_form=form, status=422)


@bp.post("/orders/<int:number>/cancel")
@fulfilment_staff
def order_cancel(number: int):
    order = _order_or_404(number)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            order_service.cancel(order.number, signed_in_staff(), form.reason.data or "")
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Order {order.number} is cancelled; its stock is back on the shelf.", "success")
            return redirect(url_for("admin.order_detail", number=order.number))
    return _detail(_order_or_404(number), cancel_form=form, status=422)
