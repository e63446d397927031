"""Products as storefront JSON, in the shape of the common storefront AJAX API.

Money is integer minor units. Image URLs are built by a function the view passes
in, so this module needs no request.
"""

from __future__ import annotations

from collections.abc import Callable

from shop.catalog.models import Product, Variant
from shop.catalog.service import active_variants, available_quantity, is_available, price_range


def variant_to_dict(variant: Variant, product: Product) -> dict:
    available = available_quantity(variant)
    return {
        "id": variant.id,
        "product_id": product.id,
        "title": variant.title,
        "option1": variant.option_value,
        "sku": variant.sku,
        "price": variant.price,
        "compare_at_price": variant.compare_at_price,
        "available": available > 0,
        "inventory_quantity": available,
        "weight": variant.weight_grams,
        "is_bundle": bool(variant.components),
        "components": [
            {"variant_id": part.component_variant_id, "quantity": part.quantity}
            for part in variant.components
        ],
    }


def product_to_dict(product: Product, image_url: Callable[[str], str], url: str) -> dict:
    variants = active_variants(product)
    low, high = price_range(product)
    compare_prices = [v.compare_at_price for v in variants if v.compare_at_price]
    return {
        "id": product.id,
        "title": product.title,
        "handle": product.handle,
        "url": url,
        "description": product.description,
        "type": product.product_type,
        "created_at": product.created_at.isoformat(),
        "updated_at": product.updated_at.isoformat(),
        "available": is_available(product),
        "price": low,
        "price_min": low,
        "price_max": high,
        "price_varies": low != high,
        "compare_at_price": min(compare_prices) if compare_prices else None,
        "options": (
            [{"name": product.option_name, "values": [v.option_value for v in variants]}]
            if product.option_name
            else []
        ),
        "variants": [variant_to_dict(variant, product) for variant in variants],
        "images": [
            {"src": image_url(image.path), "alt": image.alt, "variant_id": image.variant_id}
            for image in product.images
        ],
    }
