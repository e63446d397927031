"""The page cache for anonymous readers: served from memory, never personal, and
fresh as soon as staff change anything."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select, text, update

from shop.catalog.models import Product, Variant
from shop.catalog.service import take_stock
from shop.extensions import db
from shop.promotions.models import Promotion
from tests.integration.cart_helpers import CartClient, variant_id

PAGE = "/products/peptide-serum"


@pytest.fixture
def reader(app, demo_store):
    app.extensions["page_cache"].clear()
    return app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_the_second_anonymous_read_comes_from_memory(reader):
    first = reader.get(PAGE)
    second = reader.get(PAGE)
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"
    assert second.get_data(as_text=True).count("Firming Peptide Serum") == first.get_data(
        as_text=True
    ).count("Firming Peptide Serum")


def test_every_reader_gets_their_own_working_csrf_token(app, reader):
    reader.get(PAGE)
    other = app.test_client()
    html = other.get(PAGE).get_data(as_text=True)
    token = csrf_of(html)
    assert "PLACEHOLDER" not in html
    response = other.post(
        "/cart/add.js",
        json={"id": variant_id("FPS-30"), "quantity": 1},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200  # the token served from cache is a real one


def test_a_shopper_with_a_cart_is_never_served_from_the_cache(app, reader):
    reader.get(PAGE)
    shopper = CartClient(app.test_client())
    shopper.add("CMD-ROSE", 1)
    response = shopper.client.get(PAGE)
    assert "X-Page-Cache" not in response.headers
    assert re.search(r"data-cart-count>1<", response.get_data(as_text=True))
    anonymous = app.test_client().get(PAGE).get_data(as_text=True)
    assert re.search(r"data-cart-count>0<", anonymous)  # never someone else's cart


def test_a_staff_change_is_visible_at_once(reader):
    reader.get(PAGE)
    serum = db.session.scalars(select(Product).where(Product.handle == "peptide-serum")).one()
    serum.title = "Firming Peptide Serum, Reformulated"
    db.session.commit()
    response = reader.get(PAGE)
    assert response.headers["X-Page-Cache"] == "miss"
    assert "Reformulated" in response.get_data(as_text=True)


def test_a_bulk_promotion_change_is_visible_at_once(reader):
    assert "Unlock a FREE" in reader.get("/").get_data(as_text=True)
    assert reader.get("/").headers["X-Page-Cache"] == "hit"
    db.session.execute(update(Promotion).values(status="paused"))
    db.session.commit()
    assert "Unlock a FREE" not in reader.get("/").get_data(as_text=True)


def test_another_server_bumping_the_generation_empties_this_cache(app, reader):
    reader.get(PAGE)
    with db.engine.begin() as other_server:  # as another process would, bypassing ORM hooks
        other_server.execute(text("UPDATE cache_generation SET generation = generation + 1"))
    time.sleep(1.1)  # the generation is re-read at most once a second
    assert reader.get(PAGE).headers["X-Page-Cache"] == "miss"


def test_checkout_stock_moves_do_not_empty_the_cache(reader):
    reader.get(PAGE)
    take_stock(db.session, [(variant_id("CHG-100"), 1)])
    db.session.commit()
    assert reader.get(PAGE).headers["X-Page-Cache"] == "hit"


def test_pages_with_a_pending_message_and_writes_are_not_cached(app, reader):
    shopper = CartClient(app.test_client())
    shopper.form("/cart/add", {"id": 999_999, "quantity": 1, "return_to": PAGE}, follow=False)
    response = shopper.client.get(PAGE)  # carries the flash "not available"
    assert "X-Page-Cache" not in response.headers
    assert "That product is not available." in response.get_data(as_text=True)


def test_anonymous_cart_json_is_cached_and_stays_empty(reader, app):
    assert reader.get("/cart.js").get_json()["item_count"] == 0
    assert reader.get("/cart.js").headers["X-Page-Cache"] == "hit"
    variant = db.session.get(Variant, variant_id("FPS-30"))
    assert variant is not None
