"""Queries per page stay flat as the catalogue and the cart grow: no N+1."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from shop import create_app
from shop.catalog.models import Product, ProductImage, Variant
from shop.config import TestConfig
from shop.extensions import db
from tests.integration.cart_helpers import CartClient


@contextmanager
def counted(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def uncached(app, demo_store):
    """The store without the page cache, so every request does its real work."""
    store = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PAGE_CACHE_ENABLED": False,
        },
    )
    yield store
    with store.app_context():
        db.engine.dispose()


def add_products(count: int) -> None:
    for index in range(count):
        product = Product(
            handle=f"extra-{index}",
            title=f"Extra {index}",
            product_type="skincare",
            option_name="Size",
            is_featured=True,
            position=100 + index,
        )
        product.variants = [
            Variant(sku=f"EX-{index}-{size}", option_value=f"{size} ml", price=1000 + size, stock=5)
            for size in (10, 20)
        ]
        product.images = [ProductImage(path="img/products/serum-30ml.svg", alt="x")]
        db.session.add(product)
    db.session.commit()


def queries_for(store, path: str, client=None) -> int:
    client = client or store.test_client()
    with store.app_context():
        engine = db.engine
    with counted(engine) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/products",
        "/products.json",
        "/articles",
        "/guides/benefits-of-microcurrent-therapy",
        "/sitemap.xml",
    ],
)
def test_pages_do_not_query_per_product(uncached, path):
    queries_for(uncached, path)  # warm the per-process caches (promotions, generation)
    before = queries_for(uncached, path)
    add_products(6)
    after = queries_for(uncached, path)
    assert after == before, f"{path}: {before} queries with the demo, {after} with 6 more products"


def test_cart_queries_do_not_grow_with_its_lines(uncached):
    shopper = CartClient(uncached.test_client())
    shopper.add("CMD-ROSE", 1)  # earns the gift: its line is loaded too, once
    shopper.add("BND-ROSE", 1)  # a bundle: its parts are loaded too, once
    queries_for(uncached, "/cart.js", shopper.client)  # warm the per-process caches
    one_line = queries_for(uncached, "/cart.js", shopper.client)
    for sku in ("FPS-30", "CHG-100", "BND-PEARL", "FPS-50"):  # two lines become six
        shopper.add(sku, 1)
    five_lines = queries_for(uncached, "/cart.js", shopper.client)
    assert five_lines == one_line
    queries_for(uncached, "/cart", shopper.client)  # warm the shipping zones' cache
    page = queries_for(uncached, "/cart", shopper.client)
    for sku in ("CMD-PEARL",):
        shopper.add(sku, 1)
    assert queries_for(uncached, "/cart", shopper.client) == page
