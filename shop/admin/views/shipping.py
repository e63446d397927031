"""Shipping, for merchandisers and the owner: where the store sells, zones and their
methods, the checkout's shipping settings, and a tester for any address and cart."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from shop.addresses.rules import country_name
from shop.admin import shipping_service as shipping_admin
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.forms import ActionForm, split_skus
from shop.admin.shipping_forms import (
    BAND_ROWS,
    MethodForm,
    SellingCountryForm,
    ShippingSettingsForm,
    ShippingTestForm,
    ZoneForm,
)
from shop.admin.shipping_service import MAX_BANDS
from shop.admin.views.blueprint import apply_errors, bp, saved_values
from shop.money import to_decimal
from shop.shipping.models import ShippingMethod, ShippingZone
from shop.shipping.rates import Destination
from shop.templating import store_money_formatter

shipping_staff = staff_required(*Area.SHIPPING)


def _zone_or_404(zone_id: int) -> ShippingZone:
    zone = shipping_admin.get_zone(zone_id)
    if zone is None:
        abort(404, description="There is no such shipping zone.")
    return zone


def _method_or_404(method_id: int) -> ShippingMethod:
    method = shipping_admin.get_method(method_id)
    if method is None:
        abort(404, description="There is no such shipping method.")
    return method


# ------------------------------------------------------------------------ overview


@bp.get("/shipping")
@shipping_staff
def shipping():
    settings = shipping_admin.settings()
    return render_template(
        "admin/shipping/overview.html",
        countries=shipping_admin.selling_countries(),
        uncovered=shipping_admin.uncovered_countries(),
        zones=shipping_admin.list_zones(),
        country_form=SellingCountryForm(formdata=None),
        settings_form=ShippingSettingsForm(formdata=None, obj=settings),
        remove_form=ActionForm(formdata=None),
    )


@bp.post("/shipping/countries")
@shipping_staff
def shipping_country_add():
    form = SellingCountryForm()
    if form.validate_on_submit():
        try:
            code = shipping_admin.add_selling_country(form.country.data, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash(f"The store now sells to {country_name(code)}. Add it to a zone.", "success")
    else:
        flash("Choose a country from the list.", "error")
    return redirect(url_for("admin.shipping"))


@bp.post("/shipping/countries/<code>/remove")
@shipping_staff
def shipping_country_remove(code: str):
    if ActionForm().validate_on_submit():
        try:
            code = shipping_admin.remove_selling_country(code, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash(f"The store no longer sells to {country_name(code)}.", "success")
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("admin.shipping"))


@bp.post("/shipping/settings")
@shipping_staff
def shipping_settings():
    form = ShippingSettingsForm()
    if form.validate_on_submit():
        try:
            shipping_admin.save_settings(
                bool(form.phone_required.data), form.version.data, signed_in_staff()
            )
        except StaleEditError:
            flash(
                "Someone else changed the shipping settings meanwhile. Nothing was saved; "
                "check them below and save again.",
                "error",
            )
        else:
            flash("Saved the shipping settings.", "success")
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("admin.shipping"))


# ------------------------------------------------------------------------ zones


def _zone_data(form: ZoneForm) -> shipping_admin.ZoneData:
    return shipping_admin.ZoneData(
        name=form.name.data or "",
        position=form.position.data or 0,
        countries=tuple(form.countries.data or ()),
        areas=form.areas.data or "",
        postcodes=form.postcodes.data or "",
    )


@bp.route("/shipping/zones/new", methods=["GET", "POST"])
@shipping_staff
def shipping_zone_new():
    form = ZoneForm(selling=shipping_admin.selling_countries())
    if form.validate_on_submit():
        try:
            zone = shipping_admin.create_zone(_zone_data(form), signed_in_staff())
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Created the zone {zone.name}. Now add its shipping methods.", "success")
            return redirect(url_for("admin.shipping_zone_edit", zone_id=zone.id))
    return render_template(
        "admin/shipping/zone.html", form=form, zone=None
    ), 422 if form.errors else 200


@bp.route("/shipping/zones/<int:zone_id>", methods=["GET", "POST"])
@shipping_staff
def shipping_zone_edit(zone_id: int):
    zone = _zone_or_404(zone_id)
    saved = shipping_admin.zone_snapshot(zone)
    form = ZoneForm(
        selling=shipping_admin.selling_countries(),
        obj=zone,
        countries=saved["countries"],
        areas=" ".join(saved["areas"]),
        postcodes="\n".join(saved["postcodes"]),
    )
    stale = None
    if form.validate_on_submit():
        try:
            shipping_admin.update_zone(
                zone.id, form.version.data, _zone_data(form), signed_in_staff()
            )
        except StaleEditError as error:
            apply_errors(form, error)
            form.version.data = error.version
            stale = saved_values(form, error)
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Saved the zone {zone.name}.", "success")
            return redirect(url_for("admin.shipping_zone_edit", zone_id=zone.id))
    return render_template(
        "admin/shipping/zone.html",
        form=form,
        zone=zone,
        stale=stale,
        action_form=ActionForm(formdata=None, version=zone.version),
        method_action=lambda method: ActionForm(formdata=None, version=method.version),
    ), 409 if stale else 422 if form.errors else 200


@bp.post("/shipping/zones/<int:zone_id>/delete")
@shipping_staff
def shipping_zone_delete(zone_id: int):
    zone = _zone_or_404(zone_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            name = shipping_admin.delete_zone(zone.id, form.version.data, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash(f"Deleted the zone {name} and its methods.", "success")
            return redirect(url_for("admin.shipping"))
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("admin.shipping_zone_edit", zone_id=zone_id))


# ------------------------------------------------------------------------ methods


def _method_data(form: MethodForm) -> shipping_admin.MethodData:
    return shipping_admin.MethodData(
        name=form.name.data or "",
        rate_type=form.rate_type.data or "",
        flat_price=form.flat_price.data,
        bands=form.band_data,
        free_with_promotion=bool(form.free_with_promotion.data),
        min_days=form.min_days.data or 0,
        max_days=form.max_days.data or 0,
        position=form.position.data or 0,
    )


def _apply_method_errors(form: MethodForm, error: AdminActionError) -> None:
    """Band errors go next to their row's start field; the rest as usual."""
    rows = {f"bands-{index}": row.start for index, row in enumerate(form.bands)}
    others = {}
    for name, message in error.field_errors.items():
        if name in rows:
            rows[name].errors = [*rows[name].errors, message]
        else:
            others[name] = message
    if others or not error.field_errors:
        apply_errors(form, AdminActionError(error.message, others))


def _band_rows(form: MethodForm, method: ShippingMethod | None) -> None:
    """Fill the band rows from the saved method on first show (blank rows after)."""
    if method is None or form.is_submitted():
        return
    # Rows for every saved band and one blank one, as far as the form allows.
    while len(form.bands) < min(MAX_BANDS, max(BAND_ROWS, len(method.bands) + 1)):
        form.bands.append_entry()
    for row, band in zip(form.bands, method.bands, strict=False):
        row.start.data = (
            str(band.start)
            if method.rate_type == "weight"
            else str(to_decimal(band.start, current_app.config["STORE_CURRENCY"]))
        )
        row.price.data = band.price


def _method_page(form, zone, method, stale=None):
    return render_template(
        "admin/shipping/method.html",
        form=form,
        zone=zone,
        method=method,
        stale=stale,
        action_form=ActionForm(formdata=None, version=method.version) if method else None,
    ), 409 if stale else 422 if form.errors else 200


@bp.route("/shipping/zones/<int:zone_id>/methods/new", methods=["GET", "POST"])
@shipping_staff
def shipping_method_new(zone_id: int):
    zone = _zone_or_404(zone_id)
    form = MethodForm()
    if form.validate_on_submit():
        try:
            method = shipping_admin.create_method(zone.id, _method_data(form), signed_in_staff())
        except AdminActionError as error:
            _apply_method_errors(form, error)
        else:
            flash(f"Added {method.name} to {zone.name}.", "success")
            return redirect(url_for("admin.shipping_zone_edit", zone_id=zone.id))
    return _method_page(form, zone, None)


@bp.route("/shipping/methods/<int:method_id>", methods=["GET", "POST"])
@shipping_staff
def shipping_method_edit(method_id: int):
    method = _method_or_404(method_id)
    form = MethodForm(obj=method, bands=[])
    _band_rows(form, method)
    stale = None
    if form.validate_on_submit():
        try:
            shipping_admin.update_method(
                method.id, form.version.data, _method_data(form), signed_in_staff()
            )
        except StaleEditError as error:
            _apply_method_errors(form, error)
            form.version.data = error.version
            stale = saved_values(form, error, skip=("bands",))
        except AdminActionError as error:
            _apply_method_errors(form, error)
        else:
            flash(f"Saved {method.name} of {method.zone.name}.", "success")
            return redirect(url_for("admin.shipping_zone_edit", zone_id=method.zone_id))
    return _method_page(form, method.zone, method, stale)


@bp.post("/shipping/methods/<int:method_id>/delete")
@shipping_staff
def shipping_method_delete(method_id: int):
    method = _method_or_404(method_id)
    zone_id, name = method.zone_id, method.name
    form = ActionForm()
    if form.validate_on_submit():
        try:
            shipping_admin.delete_method(method.id, form.version.data, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.shipping_method_edit", method_id=method_id))
        flash(f"Deleted the method {name}.", "success")
    else:
        flash("The form expired; please try again.", "error")
    return redirect(url_for("admin.shipping_zone_edit", zone_id=zone_id))


# ------------------------------------------------------------------------ tester


@bp.route("/shipping/tester", methods=["GET", "POST"])
@shipping_staff
def shipping_tester():
    """Which zone, methods and prices for an address and a cart, as a shopper would
    be offered them now."""
    form = ShippingTestForm(selling=shipping_admin.selling_countries())
    result = None
    if request.method == "GET" and not form.sample_cart.data:
        form.sample_cart.data = "CMD-ROSE 1"
    if form.validate_on_submit():
        destination = Destination(
            form.country.data,
            (form.country_area.data or "").strip().upper(),
            (form.postal_code.data or "").strip(),
        )
        try:
            result = shipping_admin.try_address(
                destination,
                form.sample_cart.data or "",
                tuple(split_skus(form.sample_codes.data)),
                store_money_formatter(),
            )
        except AdminActionError as error:
            apply_errors(form, error)
    return render_template(
        "admin/shipping/tester.html", form=form, result=result
    ), 422 if form.errors else 200
