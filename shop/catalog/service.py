"""Catalogue queries and stock movements.

Pages and JSON read products through these functions so the eager-loading is decided
in one place (one query per relationship, never one per product).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from shop.cache import CACHES_STAY_FRESH
from shop.catalog.models import BundleComponent, Product, ProductType, Variant
from shop.extensions import db


class OutOfStockError(Exception):
    """Not enough units of a variant (or of a bundle's part) to take."""

    def __init__(self, variant_id: int, requested: int) -> None:
        super().__init__(f"variant {variant_id}: fewer than {requested} units in stock")
        self.variant_id = variant_id
        self.requested = requested


def _with_details():
    """Loader options for everything a product page or card shows."""
    return (
        selectinload(Product.images),
        selectinload(Product.variants)
        .selectinload(Variant.components)
        .selectinload(BundleComponent.component_variant),
    )


def list_storefront_products(limit: int | None = None, offset: int = 0) -> Sequence[Product]:
    """Active products a shopper can buy, in merchandising order (gift-only ones excluded)."""
    query = (
        select(Product)
        .where(Product.is_active.is_(True), Product.product_type != ProductType.GIFT)
        .order_by(Product.position, Product.id)
        .options(*_with_details())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return db.session.scalars(query).all()


def list_featured_products(limit: int = 4) -> Sequence[Product]:
    query = (
        select(Product)
        .where(
            Product.is_active.is_(True),
            Product.is_featured.is_(True),
            Product.product_type != ProductType.GIFT,
        )
        .order_by(Product.position, Product.id)
        .limit(limit)
        .options(*_with_details())
    )
    return db.session.scalars(query).all()


def get_storefront_product(handle: str) -> Product | None:
    """The product behind a shopper-facing URL, or None when unknown, inactive or gift-only."""
    product = db.session.scalar(
        select(Product).where(Product.handle == handle).options(*_with_details())
    )
    if product is None or not product.is_purchasable:
        return None
    return product


def available_quantity(variant: Variant) -> int:
    """Units a shopper can buy now: a bundle is limited by its scarcest part."""
    if not variant.is_active:
        return 0
    if not variant.components:
        return variant.stock
    return min(part.component_variant.stock // part.quantity for part in variant.components)


def active_variants(product: Product) -> list[Variant]:
    return [variant for variant in product.variants if variant.is_active]


def price_range(product: Product) -> tuple[int, int]:
    prices = [variant.price for variant in active_variants(product)] or [0]
    return min(prices), max(prices)


def is_available(product: Product) -> bool:
    return any(available_quantity(variant) > 0 for variant in active_variants(product))


class _Part(Protocol):
    @property
    def component_variant_id(self) -> int: ...

    @property
    def quantity(self) -> int: ...


class SellableVariant(Protocol):
    """A `Variant` row or its cached `VariantSnapshot`: what stock movements need."""

    @property
    def id(self) -> int: ...

    @property
    def components(self) -> Sequence[_Part]: ...


def stock_movements(variant: SellableVariant, quantity: int) -> list[tuple[int, int]]:
    """(variant id, units) that selling `quantity` of `variant` takes from the shelf."""
    if variant.components:
        return [
            (part.component_variant_id, part.quantity * quantity) for part in variant.components
        ]
    return [(variant.id, quantity)]


def take_stock(session: Session, movements: Iterable[tuple[int, int]]) -> None:
    """Take units off the shelf atomically, or take nothing and raise OutOfStockError.

    Each row is decremented by a conditional UPDATE (`stock >= n`), so two checkouts
    racing for the last unit cannot both succeed, on SQLite or PostgreSQL. Rows are
    touched in id order so concurrent transactions lock them in the same order and
    cannot deadlock. A savepoint undoes the rows already taken when a later one fails.
    """
    totals: dict[int, int] = {}
    for variant_id, units in movements:
        totals[variant_id] = totals.get(variant_id, 0) + units
    with session.begin_nested():
        for variant_id in sorted(totals):
            units = totals[variant_id]
            result = session.execute(
                update(Variant)
                .where(Variant.id == variant_id, Variant.stock >= units)
                .values(stock=Variant.stock - units)
                .execution_options(synchronize_session=False, **CACHES_STAY_FRESH)
            )
            if result.rowcount != 1:
                raise OutOfStockError(variant_id, units)  # leaving the block rolls back
    _forget_loaded_stock(session)


def return_stock(session: Session, movements: Iterable[tuple[int, int]]) -> None:
    """Put units back on the shelf (a cancelled order, an expired reservation)."""
    for variant_id, units in sorted(movements):
        session.execute(
            update(Variant)
            .where(Variant.id == variant_id)
            .values(stock=Variant.stock + units)
            .execution_options(synchronize_session=False, **CACHES_STAY_FRESH)
        )
    _forget_loaded_stock(session)


def _forget_loaded_stock(session: Session) -> None:
    """The UPDATEs bypassed the ORM: reload `stock` on next access, and only that, so
    other pending changes in the session are kept."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Variant):
            session.expire(instance, ["stock"])
