"""Promotions, for merchandisers and the owner: create, edit, simulate, publish, pause."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from shop.admin import promotion_service as promotions_admin
from shop.admin import simulator
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.forms import ActionForm, PromotionForm, SimulationForm, options, split_skus
from shop.admin.views.blueprint import apply_errors, bp, saved_values
from shop.promotions.models import Promotion, PromotionStatus
from shop.templating import store_money_formatter

promotion_staff = staff_required(*Area.PROMOTIONS)


def _promotion_or_404(promotion_id: int) -> Promotion:
    promotion = promotions_admin.get_promotion(promotion_id)
    if promotion is None:
        abort(404, description="There is no such promotion.")
    return promotion


def _with_choices(form: PromotionForm) -> PromotionForm:
    products = promotions_admin.product_choices()
    product_options = [(p.id, f"{p.title} ({p.handle})") for p in products]
    form.required_products.choices = options(product_options)
    form.percent_products.choices = options(product_options)
    form.required_variants.choices = options(
        (v.id, f"{v.product.title} - {v.title} ({v.sku})")
        for v in promotions_admin.variant_choices()
    )
    return form


def _form_for(promotion: Promotion) -> PromotionForm:
    """The edit form, filled from the saved promotion (or from what was posted)."""
    return _with_choices(
        PromotionForm(
            obj=promotion,
            gift_skus=" ".join(promotions_admin.skus_for(promotion.gift_variant_ids or [])),
            required_products=list(promotion.required_product_ids or []),
            required_variants=list(promotion.required_variant_ids or []),
            percent_products=list(promotion.percent_product_ids or []),
        )
    )


def _data(form: PromotionForm) -> promotions_admin.PromotionData:
    return promotions_admin.PromotionData(
        name=form.name.data or "",
        label=form.label.data or "",
        reward_type=form.reward_type.data or "",
        priority=form.priority.data or 0,
        combinable=bool(form.combinable.data),
        code=(form.code.data or "").strip() or None,
        min_subtotal=form.min_subtotal.data,
        required_product_ids=tuple(form.required_products.data or ()),
        required_variant_ids=tuple(form.required_variants.data or ()),
        required_min_quantity=form.required_min_quantity.data or 1,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        first_order_only=bool(form.first_order_only.data),
        percent_off=form.percent_off.data,
        percent_product_ids=tuple(form.percent_products.data or ()),
        amount_off=form.amount_off.data,
        gift_skus=tuple(split_skus(form.gift_skus.data)),
        gift_per_units=form.gift_per_units.data,
        gift_max_quantity=form.gift_max_quantity.data or 1,
        usage_limit_total=form.usage_limit_total.data,
        usage_limit_per_email=form.usage_limit_per_email.data,
    )


def _run_simulation(draft: Promotion, form) -> simulator.Simulation | None:
    """Simulate `draft` with the sample carts the form asks for; None (and an error on
    the form) when the typed cart names an unknown SKU."""
    codes = tuple(split_skus(form.sample_codes.data)) or ((draft.code,) if draft.code else ())
    first = {"yes": True, "no": False}.get(form.sample_first_order.data or "")
    samples = simulator.default_sample_carts(codes, first)
    try:
        typed = simulator.parse_sample_cart(form.sample_cart.data or "", codes, first)
    except simulator.SampleCartError as error:
        form.sample_cart.errors = [*form.sample_cart.errors, str(error)]
        return None
    if typed is not None:
        samples.insert(0, typed)
    return simulator.simulate(draft, samples, store_money_formatter())


# ------------------------------------------------------------------------ list


@bp.get("/promotions")
@promotion_staff
def promotions():
    status = request.args.get("status", "")
    rows = promotions_admin.list_promotions(status or None)
    return render_template(
        "admin/promotions/list.html",
        promotions=rows,
        status=status,
        statuses=tuple(PromotionStatus),
        state_of=promotions_admin.schedule_state,
    )


# ------------------------------------------------------------------------ create, edit


@bp.route("/promotions/new", methods=["GET", "POST"])
@promotion_staff
def promotion_new():
    form = _with_choices(PromotionForm())
    simulation = None
    if form.validate_on_submit():
        data = _data(form)
        try:
            if form.simulate.data:
                simulation = _run_simulation(promotions_admin.build_draft(data), form)
            else:
                promotion = promotions_admin.create_promotion(data, signed_in_staff())
                flash(
                    f"Saved “{promotion.name}” as a draft. Simulate it, then publish it.",
                    "success",
                )
                return redirect(url_for("admin.promotion_simulate", promotion_id=promotion.id))
        except AdminActionError as error:
            apply_errors(form, error)
    status = 422 if form.errors else 200
    return render_template(
        "admin/promotions/form.html", form=form, promotion=None, simulation=simulation
    ), status


@bp.route("/promotions/<int:promotion_id>", methods=["GET", "POST"])
@promotion_staff
def promotion_edit(promotion_id: int):
    promotion = _promotion_or_404(promotion_id)
    form = _form_for(promotion)
    simulation = None
    stale = None
    if form.validate_on_submit():
        data = _data(form)
        try:
            if form.simulate.data:
                simulation = _run_simulation(promotions_admin.build_draft(data, promotion), form)
            else:
                promotions_admin.update_promotion(
                    promotion.id, form.version.data, data, signed_in_staff()
                )
                flash(f"Saved “{promotion.name}”, now version {promotion.version}.", "success")
                return redirect(url_for("admin.promotion_edit", promotion_id=promotion.id))
        except StaleEditError as error:
            apply_errors(form, error)
            form.version.data = error.version
            stale = saved_values(form, error)
        except AdminActionError as error:
            apply_errors(form, error)
    status = 409 if stale else 422 if form.errors else 200
    return render_template(
        "admin/promotions/form.html",
        form=form,
        promotion=promotion,
        simulation=simulation,
        stale=stale,
        state=promotions_admin.schedule_state(promotion),
        usage=promotions_admin.orders_by_version(promotion.id),
        action_form=ActionForm(formdata=None, version=promotion.version),
    ), status


# ------------------------------------------------------------------------ simulate


@bp.route("/promotions/<int:promotion_id>/simulate", methods=["GET", "POST"])
@promotion_staff
def promotion_simulate(promotion_id: int):
    """Simulate the saved settings as if published; publish from here."""
    promotion = _promotion_or_404(promotion_id)
    form = SimulationForm()
    simulation = None
    if request.method == "GET" or form.validate_on_submit():
        simulation = _run_simulation(promotions_admin.as_published(promotion), form)
    return render_template(
        "admin/promotions/simulate.html",
        promotion=promotion,
        form=form,
        simulation=simulation,
        action_form=ActionForm(formdata=None, version=promotion.version),
        state=promotions_admin.schedule_state(promotion),
    ), 422 if form.errors else 200


# ------------------------------------------------------------------------ status


def _status_change(promotion_id: int, action: str):
    promotion = _promotion_or_404(promotion_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            promotions_admin.change_status(
                promotion.id, form.version.data, action, signed_in_staff()
            )
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            verb = promotions_admin.STATUS_CHANGES[action][2]
            flash(f"{verb} “{promotion.name}” (version {promotion.version}).", "success")
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("admin.promotion_edit", promotion_id=promotion.id))


@bp.post("/promotions/<int:promotion_id>/publish")
@promotion_staff
def promotion_publish(promotion_id: int):
    return _status_change(promotion_id, "publish")


@bp.post("/promotions/<int:promotion_id>/pause")
@promotion_staff
def promotion_pause(promotion_id: int):
    return _status_change(promotion_id, "pause")


@bp.post("/promotions/<int:promotion_id>/resume")
@promotion_staff
def promotion_resume(promotion_id: int):
    return _status_change(promotion_id, "resume")


@bp.get("/promotions/<int:promotion_id>/versions")
@promotion_staff
def promotion_versions(promotion_id: int):
    promotion = _promotion_or_404(promotion_id)
    return render_template(
        "admin/promotions/versions.html",
        promotion=promotion,
        versions=promotions_admin.versions(promotion.id),
        usage=promotions_admin.orders_by_version(promotion.id),
        skus_for=promotions_admin.skus_for,
    )
