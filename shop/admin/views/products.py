"""Products, variants, bundle parts, pictures and stock (merchandisers and the owner)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from shop.admin import catalog_service as catalog
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.forms import (
    ActionForm,
    ComponentForm,
    ImageForm,
    NewProductForm,
    NewVariantForm,
    ProductForm,
    StockForm,
    VariantForm,
    options,
)
from shop.admin.views.blueprint import apply_errors, bp, saved_values, upload_folder
from shop.catalog.models import Product, ProductType, Variant
from shop.input_rules import parse_whole_number

catalog_staff = staff_required(*Area.CATALOG)


def _product_or_404(product_id: int) -> Product:
    product = catalog.get_product(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    return product


def _variant_or_404(variant_id: int) -> Variant:
    variant = catalog.get_variant(variant_id)
    if variant is None:
        abort(404, description="There is no such variant.")
    return variant


def _product_data(form: ProductForm) -> catalog.ProductData:
    return catalog.ProductData(
        handle=form.handle.data.strip(),
        title=form.title.data.strip(),
        subtitle=(form.subtitle.data or "").strip(),
        description=form.description.data or "",
        product_type=form.product_type.data,
        option_name=(form.option_name.data or "").strip() or None,
        is_active=bool(form.is_active.data),
        is_featured=bool(form.is_featured.data),
        position=form.position.data,
    )


def _variant_data(form, prefix: str = "") -> catalog.VariantData:
    def value(name):
        return form[prefix + name].data

    return catalog.VariantData(
        sku=value("sku").strip(),
        option_value=(value("option_value") or "").strip() or None,
        price=value("price"),
        compare_at_price=value("compare_at_price"),
        weight_grams=value("weight_grams"),
        # A product's first variant takes the defaults; the variant form sets them.
        position=0 if prefix else form.position.data,
        is_active=True if prefix else bool(form.is_active.data),
    )


def _variant_options(product: Product):
    return options(
        [("", "All variants")] + [(str(v.id), f"{v.sku} ({v.title})") for v in product.variants]
    )


# ------------------------------------------------------------------------ list


@bp.get("/products")
@catalog_staff
def products():
    filters = catalog.ProductFilters(
        query=request.args.get("q", "")[:100],
        product_type=request.args.get("type", ""),
        status=request.args.get("status", ""),
        stock=request.args.get("stock", ""),
    )
    threshold = current_app.config["ADMIN_LOW_STOCK_THRESHOLD"]
    return render_template(
        "admin/products/list.html",
        products=catalog.search_products(filters, threshold),
        filters=filters,
        product_types=tuple(ProductType),
        low_stock_threshold=threshold,
    )


# ------------------------------------------------------------------------ product


@bp.route("/products/new", methods=["GET", "POST"])
@catalog_staff
def product_new():
    form = NewProductForm()
    if form.validate_on_submit():
        try:
            product = catalog.create_product(
                _product_data(form),
                _variant_data(form, prefix="variant_"),
                form.stock.data,
                signed_in_staff(),
            )
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Created {product.title}.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id))
    status = 422 if form.errors else 200
    return render_template("admin/products/new.html", form=form), status


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@catalog_staff
def product_edit(product_id: int):
    product = _product_or_404(product_id)
    form = ProductForm(obj=product)
    stale = None
    if form.validate_on_submit():
        try:
            catalog.update_product(
                product.id, form.version.data, _product_data(form), signed_in_staff()
            )
        except StaleEditError as error:
            apply_errors(form, error)
            form.version.data = error.version  # saving again overwrites, knowingly
            stale = saved_values(form, error, only_changed=True)
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash("Product saved.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id))
    return _product_page(product, form=form, stale=stale)


def _product_page(
    product: Product,
    *,
    form: ProductForm | None = None,
    stale: dict | None = None,
    image_form: ImageForm | None = None,
    stock_forms: dict[int, StockForm] | None = None,
):
    if form is None:
        form = ProductForm(obj=product, formdata=None)
    image_form = image_form or ImageForm(formdata=None)
    image_form.variant.choices = _variant_options(product)
    if image_form.version.data is None:
        image_form.version.data = product.version
    stock_forms = dict(stock_forms or {})
    for variant in product.variants:
        if variant.id not in stock_forms:
            stock_forms[variant.id] = StockForm(prefix=f"stock-{variant.id}", formdata=None)
    has_errors = (
        form.errors or image_form.errors or any(f.errors for f in stock_forms.values()) or stale
    )
    return render_template(
        "admin/products/edit.html",
        product=product,
        form=form,
        stale=stale,
        image_form=image_form,
        stock_forms=stock_forms,
        action_form=ActionForm(formdata=None, version=product.version),
        history=catalog.stock_history(product),
        variants_by_id={v.id: v for v in product.variants},
    ), (409 if stale else 422 if has_errors else 200)


# ------------------------------------------------------------------------ variants


@bp.route("/products/<int:product_id>/variants/new", methods=["GET", "POST"])
@catalog_staff
def variant_new(product_id: int):
    product = _product_or_404(product_id)
    form = NewVariantForm()
    if request.method == "GET":
        form.version.data = product.version
    stale = None
    if form.validate_on_submit():
        try:
            catalog.add_variant(
                product.id,
                form.version.data,
                _variant_data(form),
                form.stock.data,
                signed_in_staff(),
            )
        except StaleEditError as error:
            apply_errors(form, error)
            form.version.data = error.version
            stale = {}
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash("Variant added.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id))
    status = 409 if stale is not None else 422 if form.errors else 200
    return render_template(
        "admin/products/variant_new.html", product=product, form=form, stale=stale
    ), status


@bp.route("/variants/<int:variant_id>", methods=["GET", "POST"])
@catalog_staff
def variant_edit(variant_id: int):
    variant = _variant_or_404(variant_id)
    form = VariantForm(obj=variant)
    if request.method == "GET":
        form.version.data = variant.product.version
    stale = None
    if form.validate_on_submit():
        try:
            catalog.update_variant(
                variant.id, form.version.data, _variant_data(form), signed_in_staff()
            )
        except StaleEditError as error:
            apply_errors(form, error)
            form.version.data = error.version
            stale = {}
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash("Variant saved.", "success")
            return redirect(url_for("admin.variant_edit", variant_id=variant.id))
    return _variant_page(variant, form=form, stale=stale)


def _variant_page(
    variant: Variant,
    *,
    form: VariantForm | None = None,
    component_form: ComponentForm | None = None,
    stale: dict | None = None,
):
    product = variant.product
    if form is None:
        form = VariantForm(obj=variant, formdata=None)
        form.version.data = product.version
    component_form = component_form or ComponentForm(formdata=None)
    component_form.component.choices = options(
        [("", "Choose a variant")]
        + [
            (str(v.id), f"{v.product.title} - {v.title} ({v.sku})")
            for v in catalog.component_choices()
        ]
    )
    if component_form.version.data is None:
        component_form.version.data = product.version
    has_errors = form.errors or component_form.errors
    status = 409 if stale is not None else 422 if has_errors else 200
    return render_template(
        "admin/products/variant_edit.html",
        variant=variant,
        product=product,
        form=form,
        component_form=component_form,
        action_form=ActionForm(formdata=None, version=product.version),
        stale=stale,
    ), status


@bp.post("/variants/<int:variant_id>/parts")
@catalog_staff
def component_add(variant_id: int):
    variant = _variant_or_404(variant_id)
    form = ComponentForm()
    if form.validate_on_submit():
        try:
            catalog.add_component(
                variant.id,
                form.version.data,
                form.component.data,
                form.quantity.data,
                signed_in_staff(),
            )
        except StaleEditError as error:
            flash(error.message, "error")
            return redirect(url_for("admin.variant_edit", variant_id=variant.id))
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash("Part added to the bundle.", "success")
            return redirect(url_for("admin.variant_edit", variant_id=variant.id))
    return _variant_page(variant, component_form=form)


@bp.post("/parts/<int:component_id>/remove")
@catalog_staff
def component_remove(component_id: int):
    form = ActionForm()
    variant_id = request.args.get("variant", type=parse_whole_number)
    if form.validate_on_submit():
        try:
            catalog.remove_component(component_id, form.version.data, signed_in_staff())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash("Part removed from the bundle.", "success")
    else:
        flash("The form expired; please try again.", "error")
    if variant_id:
        return redirect(url_for("admin.variant_edit", variant_id=variant_id))
    return redirect(url_for("admin.products"))


# ------------------------------------------------------------------------ pictures


@bp.post("/products/<int:product_id>/images")
@catalog_staff
def image_add(product_id: int):
    product = _product_or_404(product_id)
    form = ImageForm()
    form.variant.choices = _variant_options(product)
    if form.validate_on_submit():
        config = current_app.config
        try:
            catalog.add_image(
                product.id,
                form.version.data,
                form.image.data.read(config["UPLOAD_MAX_BYTES"] + 1),
                form.alt.data,
                form.variant.data,
                signed_in_staff(),
                upload_folder(),
                catalog.ImageLimits(
                    max_bytes=config["UPLOAD_MAX_BYTES"],
                    max_dimension=config["UPLOAD_MAX_DIMENSION"],
                    min_dimension=config["UPLOAD_MIN_DIMENSION"],
                ),
            )
        except AdminActionError as error:
            apply_errors(form, error)
            if isinstance(error, StaleEditError):
                form.version.data = error.version
        else:
            flash("Picture added.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id) + "#pictures")
    return _product_page(product, image_form=form)


@bp.post("/images/<int:image_id>/remove")
@catalog_staff
def image_remove(image_id: int):
    form = ActionForm()
    product_id = request.args.get("product", type=parse_whole_number)
    if form.validate_on_submit():
        try:
            catalog.remove_image(image_id, form.version.data, signed_in_staff(), upload_folder())
        except AdminActionError as error:
            flash(error.message, "error")
        else:
            flash("Picture removed.", "success")
    else:
        flash("The form expired; please try again.", "error")
    if product_id:
        return redirect(url_for("admin.product_edit", product_id=product_id) + "#pictures")
    return redirect(url_for("admin.products"))


# ------------------------------------------------------------------------ stock


@bp.post("/variants/<int:variant_id>/stock")
@catalog_staff
def stock_adjust(variant_id: int):
    variant = _variant_or_404(variant_id)
    form = StockForm(prefix=f"stock-{variant.id}")
    if form.validate_on_submit():
        label = catalog.STOCK_REASONS.get(form.reason.data, "Other")
        note = (form.note.data or "").strip()
        reason = f"{label}: {note}" if note and form.reason.data != "other" else note or label
        try:
            catalog.adjust_stock(variant.id, form.delta.data, reason, signed_in_staff())
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Stock of {variant.sku} adjusted.", "success")
            return redirect(url_for("admin.product_edit", product_id=variant.product_id) + "#stock")
    product = _product_or_404(variant.product_id)
    return _product_page(product, stock_forms={variant.id: form})
