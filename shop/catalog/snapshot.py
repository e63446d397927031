"""What a cart needs to know about a variant, cached in each app process.

Pricing a cart, listing its lines and checking a new line is for sale need a
variant's price, titles, picture and bundle parts on every cart request, and those
change only when staff edit the catalogue. Reading them through the ORM on every
request (variant, product, images, bundle parts: four rounds) was most of what a
cart write cost. So each process keeps plain frozen copies in the "catalogue" cache
(`shop.cache`), filled on first use and emptied when a catalogue row changes: a
staff edit on any server reaches every process within `GENERATION_CHECK_SECONDS`,
and at once in the process that made it.

Stock is deliberately not here: it moves with every order, so stock checks read it
live (`shelf_stock`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, has_app_context
from sqlalchemy import bindparam, select

from shop.cache import PAGES, ContentCache, caches
from shop.catalog.models import BundleComponent, Product, ProductImage, ProductType, Variant
from shop.catalog.reviews import ProductReview
from shop.extensions import db

CATALOGUE = "catalogue"
# A store's catalogue is small; this only bounds memory if one is not.
MAX_CACHED_VARIANTS = 20_000
# The shared generations keep the copies fresh; the time limit only lets copies of
# variants nobody asks about any more go.
KEEP_SECONDS = 3600.0


@dataclass(frozen=True)
class BundlePart:
    component_variant_id: int
    quantity: int


@dataclass(frozen=True)
class VariantSnapshot:
    id: int
    product_id: int
    handle: str
    product_title: str
    option_value: str | None
    sku: str
    price: int
    weight_grams: int
    # The variant and its product are on sale, and the product is not a gift-only item.
    is_purchasable: bool
    image_path: str | None
    components: tuple[BundlePart, ...]

    @property
    def line_title(self) -> str:
        """The title a cart or order line shows: "Device - Rose Gold"."""
        if self.option_value:
            return f"{self.product_title} - {self.option_value}"
        return self.product_title


def _read(variant_ids: list[int]) -> dict[int, VariantSnapshot]:
    rows = db.session.execute(
        select(
            Variant.id,
            Variant.product_id,
            Variant.sku,
            Variant.option_value,
            Variant.price,
            Variant.weight_grams,
            Variant.is_active,
            Product.handle,
            Product.title,
            Product.is_active.label("product_is_active"),
            Product.product_type,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(variant_ids))
    ).all()
    if not rows:
        return {}
    product_ids = {row.product_id for row in rows}
    first_image: dict[int, str] = {}
    for product_id, path in db.session.execute(
        select(ProductImage.product_id, ProductImage.path)
        .where(ProductImage.product_id.in_(product_ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ):
        first_image.setdefault(product_id, path)
    parts: dict[int, list[BundlePart]] = {}
    for bundle_id, component_id, quantity in db.session.execute(
        select(
            BundleComponent.bundle_variant_id,
            BundleComponent.component_variant_id,
            BundleComponent.quantity,
        )
        .where(BundleComponent.bundle_variant_id.in_(variant_ids))
        .order_by(BundleComponent.id)
    ):
        parts.setdefault(bundle_id, []).append(BundlePart(component_id, quantity))
    return {
        row.id: VariantSnapshot(
            id=row.id,
            product_id=row.product_id,
            handle=row.handle,
            product_title=row.title,
            option_value=row.option_value,
            sku=row.sku,
            price=row.price,
            weight_grams=row.weight_grams,
            is_purchasable=bool(
                row.is_active and row.product_is_active and row.product_type != ProductType.GIFT
            ),
            image_path=first_image.get(row.product_id),
            components=tuple(parts.get(row.id, ())),
        )
        for row in rows
    }


def init_app(app: Flask) -> None:
    """The per-process catalogue cache, and the model classes whose rows it copies."""
    registry = caches(app)
    registry.add(
        ContentCache(CATALOGUE, maxsize=MAX_CACHED_VARIANTS, ttl=KEEP_SECONDS),
        watches=(Product, Variant, ProductImage, BundleComponent),
    )
    # Product pages and listings show these rows (and reviews) too.
    registry.watch(PAGES, Product, Variant, ProductImage, BundleComponent, ProductReview)


def recheck_catalogue() -> None:
    """Make the next snapshot read check the shared generations now rather than within
    the usual second: checkout calls this so an order never uses a price staff changed
    on another server a moment ago."""
    if has_app_context():
        caches().check_generations_now()


def variant_snapshots(variant_ids: Iterable[int]) -> dict[int, VariantSnapshot]:
    """Snapshots of these variants (ids that name no variant are left out); reads the
    database only for ids this process has not seen since the catalogue last changed."""
    wanted = set(variant_ids)
    if not wanted:
        return {}
    if not has_app_context():
        return _read(sorted(wanted))
    cache = caches().fresh(CATALOGUE)
    epoch = cache.epoch
    found = cache.get_many(wanted)
    if len(found) == len(wanted):
        return found
    fresh = _read(sorted(wanted - found.keys()))
    cache.put_many(fresh, read_in_epoch=epoch)
    return {**found, **fresh}


def variant_snapshot(variant_id: int) -> VariantSnapshot | None:
    return variant_snapshots((variant_id,)).get(variant_id)


_variants = Variant.__table__
_SHELF_STOCK = select(_variants.c.id, _variants.c.stock).where(
    _variants.c.id.in_(bindparam("ids", expanding=True))
)


def shelf_stock(variant_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf now, per stocked variant id, in one query (a Core statement
    on the session's connection: cart writes run this on every added unit)."""
    wanted = sorted(set(variant_ids))
    if not wanted:
        return {}
    return dict(db.session.connection().execute(_SHELF_STOCK, {"ids": wanted}).all())
