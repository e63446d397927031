"""The cart as storefront JSON (`/cart.js`), in the shape of the common storefront API.

Money is integer minor units. `price`/`final_price` are per unit after promotions,
`original_price` before; `line_price` equals `final_line_price`. Invariant:
items_subtotal_price - total_discount == total_price == sum of final_line_price.
Gift lines carry `is_gift: true`, price 0 and `gift_value` (what the gift is worth);
`item_count` counts the shopper's own units, not gifts.
"""

from __future__ import annotations

from collections.abc import Callable

from shop.cart.service import CartPricing
from shop.promotions.engine import PricedCart, PricedLine


def line_to_dict(
    line: PricedLine,
    pricing: CartPricing,
    product_url: Callable[[str], str],
    image_url: Callable[[str], str],
) -> dict:
    variant = pricing.variants.get(line.variant_id)
    final_unit = (
        line.final_unit_price
        if line.final_unit_price is not None
        else line.final_line_price // line.quantity
    )
    image = variant.image_path if variant else None
    return {
        "key": line.key,
        "id": line.variant_id,
        "variant_id": line.variant_id,
        "product_id": line.product_id,
        "handle": variant.handle if variant else None,
        "title": line.title,
        "product_title": variant.product_title if variant else line.title,
        "variant_title": variant.option_value if variant else None,
        "sku": variant.sku if variant else None,
        "url": product_url(variant.handle) if variant and not line.is_gift else None,
        "image": image_url(image) if image else None,
        "quantity": line.quantity,
        "price": final_unit,
        "original_price": line.unit_price,
        "final_price": final_unit,
        "line_price": line.final_line_price,
        "original_line_price": line.line_price,
        "final_line_price": line.final_line_price,
        "total_discount": line.line_price - line.final_line_price if not line.is_gift else 0,
        "discounts": [{"label": a.label, "amount": a.amount} for a in line.adjustments],
        "is_gift": line.is_gift,
        "gift_value": line.gift_value,
        "promotion_id": line.gift_rule_id,
    }


def cart_to_dict(
    pricing: CartPricing,
    currency: str,
    product_url: Callable[[str], str],
    image_url: Callable[[str], str],
) -> dict:
    priced = pricing.priced
    return {
        "token": pricing.cart.token if pricing.cart else None,
        "item_count": pricing.item_count,
        "items": [line_to_dict(line, pricing, product_url, image_url) for line in priced.lines],
        "items_subtotal_price": priced.subtotal,
        "original_total_price": priced.subtotal,
        "total_discount": priced.total_discount,
        "total_price": priced.total,
        "currency": currency,
        "requires_shipping": bool(priced.lines),
        "free_shipping": priced.free_shipping,
        "codes": [
            {"code": r.code, "status": str(r.status), "message": r.message}
            for r in priced.code_results
        ],
        "promotions": [
            {"id": a.rule_id, "version": a.version, "label": a.label, "amount": a.amount}
            for a in priced.applied
        ],
        "notices": notices_to_list(priced),
        "progress": [
            {"promotion_id": p.rule_id, "remaining": p.remaining, "message": p.message}
            for p in priced.progress
        ],
        "declined_promotions": sorted(pricing.cart.declined_gift_rule_ids) if pricing.cart else [],
    }


def notices_to_list(priced: PricedCart) -> list[dict]:
    """What changed about the gifts and promotions ("your gift was added", ...)."""
    return [
        {"kind": str(n.kind), "promotion_id": n.rule_id, "message": n.message}
        for n in priced.notices
    ]
