"""Loads the demo catalogue; creates what is missing and keeps what exists."""

from __future__ import annotations

from sqlalchemy import select

from shop.catalog.demo_data import DEMO_PRODUCTS
from shop.catalog.models import BundleComponent, Product, ProductImage, Variant
from shop.extensions import db


def seed_catalog() -> tuple[int, int]:
    """Returns (products created, products already there). Does not commit."""
    created = kept = 0
    for position, spec in enumerate(DEMO_PRODUCTS):
        if db.session.scalar(select(Product.id).where(Product.handle == spec["handle"])):
            kept += 1
            continue
        _create_product(spec, position)
        created += 1
    return created, kept


def _create_product(spec: dict, position: int) -> None:
    product = Product(
        handle=spec["handle"],
        title=spec["title"],
        subtitle=spec["subtitle"],
        description=spec["description"],
        product_type=spec["product_type"],
        option_name=spec["option_name"],
        is_featured=spec["is_featured"],
        position=position,
    )
    db.session.add(product)
    variants_by_sku: dict[str, Variant] = {}
    for index, variant_spec in enumerate(spec["variants"]):
        variant = Variant(
            sku=variant_spec["sku"],
            option_value=variant_spec["option_value"],
            price=variant_spec["price"],
            compare_at_price=variant_spec.get("compare_at_price"),
            stock=variant_spec.get("stock", 0),
            weight_grams=variant_spec.get("weight_grams", 0),
            position=index,
        )
        product.variants.append(variant)
        variants_by_sku[variant.sku] = variant
        for part_sku, quantity in variant_spec.get("parts", []):
            part = db.session.scalar(select(Variant).where(Variant.sku == part_sku))
            if part is None:
                raise LookupError(f"bundle {spec['handle']} names unknown part {part_sku}")
            variant.components.append(BundleComponent(component_variant=part, quantity=quantity))
    db.session.flush()
    for index, (path, alt, variant_sku) in enumerate(spec["images"]):
        variant = variants_by_sku.get(variant_sku) if variant_sku else None
        product.images.append(
            ProductImage(
                path=path, alt=alt, position=index, variant_id=variant.id if variant else None
            )
        )
