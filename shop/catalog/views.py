"""Storefront pages and product JSON: home, listing, product page."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from shop.catalog import service
from shop.catalog.models import Product, Variant
from shop.catalog.serializers import product_to_dict

bp = Blueprint("catalog", __name__)

PRODUCTS_JSON_MAX_LIMIT = 250


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
    wanted = request.args.get("variant", type=int)
    for variant in variants:
        if variant.id == wanted:
            return variant
    in_stock = [v for v in variants if service.available_quantity(v) > 0]
    return (in_stock or variants or [None])[0]


@bp.get("/")
def home():
    return render_template("catalog/home.html", products=service.list_featured_products())


@bp.get("/products")
def product_list():
    return render_template("catalog/list.html", products=service.list_storefront_products())


@bp.get("/products/<handle>")
def product_page(handle: str):
    product = get_product_or_404(handle)
    return render_template(
        "catalog/product.html",
        product=product,
        selected=_selected_variant(product),
        available_quantity=service.available_quantity,
    )


@bp.get("/products.json")
def products_json():
    limit = min(request.args.get("limit", 30, type=int) or 30, PRODUCTS_JSON_MAX_LIMIT)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
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
