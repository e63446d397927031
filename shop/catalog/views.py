"""Storefront pages and product JSON: home, listing, product page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from shop.catalog import reviews, service
from shop.catalog.forms import ReviewForm
from shop.catalog.models import Product, Variant
from shop.catalog.serializers import product_to_dict
from shop.extensions import limiter
from shop.input_rules import parse_whole_number

bp = Blueprint("catalog", __name__)

PRODUCTS_JSON_MAX_LIMIT = 250
# Shopper reviews per address; generous for a person, tight for a script.
REVIEW_RATE_LIMIT = "5 per hour"
REVIEW_RATE_LIMIT_MESSAGE = (
    "Thank you for all your reviews! You have sent several in a short time, "
    "so please wait an hour before sending another."
)


def get_product_or_404(handle: str) -> Product:
    """The shopper-visible product, or a 404 (unknown, inactive and gift-only alike)."""
    product = service.get_storefront_product(handle)
    if product is None:
        abort(404, description="We could not find that product.")
    return product


def _image_url(path: str) -> str:
    return url_for("static", filename=path)


def _selected_variant(product: Product) -> Variant | None:
    """The variant named by ?variant=, else the first one in stock, else the first."""
    variants = service.active_variants(product)
    wanted = request.args.get("variant", type=parse_whole_number)
    for variant in variants:
        if variant.id == wanted:
            return variant
    in_stock = [v for v in variants if service.available_quantity(v) > 0]
    return (in_stock or variants or [None])[0]


@bp.get("/")
def home():
    products = service.list_featured_products()
    return render_template(
        "catalog/home.html",
        products=products,
        ratings=reviews.rating_summaries(p.id for p in products),
    )


@bp.get("/products")
def product_list():
    products = service.list_storefront_products()
    return render_template(
        "catalog/list.html",
        products=products,
        ratings=reviews.rating_summaries(p.id for p in products),
    )


@bp.route("/products/<handle>", methods=["GET", "POST"])
@limiter.limit(REVIEW_RATE_LIMIT, methods=["POST"], error_message=REVIEW_RATE_LIMIT_MESSAGE)
def product_page(handle: str):
    """The product, its approved shopper reviews, and (POST) a new review to moderate."""
    product = get_product_or_404(handle)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            reviews.submit_review(
                product,
                form.stars,
                form.title.data,
                form.body.data,
                form.author_name.data,
                form.email.data,
            )
        except reviews.ReviewError as problem:
            form.form_errors.append(str(problem))
        else:
            flash("Thank you! Your review will appear once our editors have read it.", "success")
            return redirect(url_for("catalog.product_page", handle=handle, _anchor="reviews"))
    rating = reviews.rating_summary(product.id)
    approved = reviews.approved_reviews(product.id)
    selected = _selected_variant(product)
    return render_template(
        "catalog/product.html",
        product=product,
        selected=selected,
        available_quantity=service.available_quantity,
        review_form=form,
        rating=rating,
        reviews=approved,
    ), (422 if request.method == "POST" else 200)


@bp.get("/products.json")
def products_json():
    limit = min(
        request.args.get("limit", 30, type=parse_whole_number) or 30, PRODUCTS_JSON_MAX_LIMIT
    )
    page = max(request.args.get("page", 1, type=parse_whole_number) or 1, 1)
    products = service.list_storefront_products(limit=max(limit, 1), offset=(page - 1) * limit)
    return jsonify(
        {
            "products": [
                product_to_dict(p, _image_url, url_for("catalog.product_page", handle=p.handle))
                for p in products
            ]
        }
    )


@bp.get("/products/<handle>.js")
def product_js(handle: str):
    product = get_product_or_404(handle)
    return jsonify(
        product_to_dict(product, _image_url, url_for("catalog.product_page", handle=handle))
    )
