"""The page cache for anonymous readers: served from memory, never personal, and
fresh as soon as staff change anything."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select, text, update

from shop.cache import PAGES, caches
from shop.catalog.models import Product, Variant
from shop.catalog.service import take_stock
from shop.extensions import db
from shop.promotions.models import Promotion
from tests.integration.cart_helpers import CartClient, variant_id

PAGE = "/products/peptide-serum"


@pytest.fixture
def reader(app, demo_store):
    caches(app)[PAGES].clear()
    return app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def add_with_token(client, page_html: str) -> int:
    """Add to the cart with the CSRF token a page carried; the status code."""
    return client.post(
        "/cart/add.js",
        json={"id": variant_id("FPS-30"), "quantity": 1},
        headers={"X-CSRFToken": csrf_of(page_html)},
    ).status_code


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
    assert "PLACEHOLDER" not in html
    assert add_with_token(other, html) == 200  # the token served from cache is a real one


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


def test_a_pending_message_outlives_answers_that_do_not_show_it(app, reader):
    """Deciding whether a page may be cached reads the messages waiting to be shown;
    an answer that shows none (cart.js, a moved guide's redirect) leaves them for the
    page that does."""
    from content.models import Article
    from content.service import save_article
    from shop.unit_of_work import unit_of_work

    with unit_of_work():
        guide = db.session.scalars(
            select(Article).where(Article.slug == "benefits-of-microcurrent-therapy")
        ).one()
        guide.slug = "microcurrent-benefits"
        save_article(guide)
    old_address = "/guides/benefits-of-microcurrent-therapy"
    shopper = CartClient(app.test_client())
    shopper.form(  # refused before any cart is made: the reader stays anonymous
        "/cart/add", {"id": "one", "quantity": 1, "return_to": old_address}, follow=False
    )
    assert shopper.client.get("/cart.js").status_code == 200
    moved = shopper.client.get(old_address)
    assert moved.status_code == 301
    page = shopper.client.get(moved.headers["Location"])
    assert "Please choose an option and a quantity" in page.get_data(as_text=True)


def test_anonymous_cart_json_is_cached_and_stays_empty(reader, app):
    assert reader.get("/cart.js").get_json()["item_count"] == 0
    assert reader.get("/cart.js").headers["X-Page-Cache"] == "hit"
    variant = db.session.get(Variant, variant_id("FPS-30"))
    assert variant is not None


def test_a_hit_carries_every_security_header_and_a_new_session(reader):
    reader.get(PAGE)  # stored
    fresh = reader.application.test_client()  # no cookies at all
    hit = fresh.get(PAGE)
    assert hit.headers["X-Page-Cache"] == "hit"
    assert "frame-ancestors 'none'" in hit.headers["Content-Security-Policy"]
    assert hit.headers["X-Content-Type-Options"] == "nosniff"
    assert hit.headers["Content-Length"] == str(len(hit.get_data()))
    assert hit.headers["Vary"] == "Cookie"  # it carries this reader's own token
    (session_cookie,) = hit.headers.getlist("Set-Cookie")
    assert session_cookie.startswith("session=")
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_a_returning_reader_keeps_their_session_and_token(app, reader):
    reader.get(PAGE)
    shopper = app.test_client()
    first = shopper.get(PAGE)
    second = shopper.get(PAGE)
    assert first.headers["X-Page-Cache"] == second.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" not in second.headers  # the session it has is kept as it is
    assert add_with_token(shopper, second.get_data(as_text=True)) == 200


def test_a_forged_session_cookie_is_replaced_by_a_fresh_one(app, reader):
    reader.get(PAGE)
    visitor = app.test_client()
    visitor.set_cookie("session", "eyJjc3JmX3Rva2VuIjoiYWJjIn0.forged.signature")
    hit = visitor.get(PAGE)
    assert hit.headers["X-Page-Cache"] == "hit"
    assert hit.headers["Set-Cookie"].startswith("session=")
    assert add_with_token(visitor, hit.get_data(as_text=True)) == 200


@pytest.mark.parametrize("personal", ["_user_id", "_flashes"])
def test_a_personal_session_is_answered_by_flask(app, reader, personal):
    reader.get(PAGE)
    visitor = app.test_client()
    visitor.get(PAGE)
    with visitor.session_transaction() as session:
        session[personal] = "1" if personal == "_user_id" else [("notice", "Hello, Ana")]
    response = visitor.get(PAGE)
    assert response.headers.get("X-Page-Cache") != "hit"
    for _ in range(2):  # nor is what Flask rendered for them kept for anyone else
        other = app.test_client().get(PAGE)
        assert "Hello, Ana" not in other.get_data(as_text=True)
    assert other.headers["X-Page-Cache"] == "hit"


def test_only_gets_are_answered_from_the_cache(reader):
    reader.get(PAGE)
    assert "X-Page-Cache" not in reader.head(PAGE).headers
    assert reader.post(PAGE, data={}).headers.get("X-Page-Cache") != "hit"
