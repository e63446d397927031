"""Two app servers (separate gunicorn processes on two ports) on one PostgreSQL,
with Redis for shared rate limits: a shopper bouncing between them sees one
consistent cart, gift, checkout and payment; the stock race holds across both."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from sqlalchemy import func, select

from content.models import Article
from shop.admin.models import Role
from shop.cache import GENERATION_CHECK_SECONDS
from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.orders.models import Order
from shop.promotions.models import Promotion
from tests.integration.admin_helpers import PASSWORD, make_staff, product_form
from tests.integration.cart_helpers import checkout_data
from tests.support.gunicorn import GunicornServer

REDIS_URL = "redis://127.0.0.1:6379/15"
GUIDE_SLUG = "benefits-of-microcurrent-therapy"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_servers(app, demo_store):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several app servers share one PostgreSQL database")
    if not redis_available():
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # Database 15 is the tests' own: start every run with no rate-limit counts left over.
    redis.Redis.from_url(REDIS_URL).flushdb()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {"REDIS_URL": REDIS_URL}
    servers = [GunicornServer(url, workers=2, extra_env=env).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_shopper_alternating_between_servers_stays_consistent(two_servers):
    a, b = (server.url for server in two_servers)
    shopper = requests.Session()  # cookies are per host, so both servers see them
    token = csrf_from(shopper.get(f"{a}/products", timeout=10).text)
    device = db.session.scalar(select(Variant.id).where(Variant.sku == "CMD-ROSE"))
    added = shopper.post(
        f"{b}/cart/add.js",
        json={"id": device, "quantity": 1},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert added.status_code == 200
    cart = shopper.get(f"{a}/cart.js", timeout=10).json()
    assert cart["item_count"] == 1
    assert [i["sku"] for i in cart["items"] if i["is_gift"]] == ["GIFT-SET"]
    changed = shopper.post(
        f"{a}/cart/change.js",
        json={"id": str(device), "quantity": 2},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert changed.json()["item_count"] == 2
    assert shopper.get(f"{b}/cart.js", timeout=10).json()["total_price"] == 2 * 19900

    placed = shopper.post(
        f"{b}/checkout",
        data={**checkout_data(), "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert placed.status_code == 302
    pay_path = placed.headers["Location"]
    assert "Demo mode" in shopper.get(f"{a}{pay_path}", timeout=10).text
    paid = shopper.post(
        f"{a}{pay_path}",
        data={
            "csrf_token": token,
            "card_number": "4242424242424242",
            "expiry": "12/30",
            "cvc": "123",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert paid.status_code == 302
    order_page = shopper.get(f"{b}{paid.headers['Location']}", timeout=10).text
    assert "Paid." in order_page and "$245.00 value" in order_page
    assert shopper.get(f"{b}/cart.js", timeout=10).json()["item_count"] == 0
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.status == "paid" and order.total == 2 * 19900


def test_forty_shoppers_for_ten_units_across_both_servers(two_servers):
    gel = db.session.scalars(select(Variant).where(Variant.sku == "CHG-100")).one()
    gel.stock = 10
    gel_id = gel.id
    db.session.commit()
    barrier = threading.Barrier(40)
    details = checkout_data()

    def shopper(index: int) -> int:
        home, other = two_servers[index % 2].url, two_servers[(index + 1) % 2].url
        session = requests.Session()
        token = csrf_from(session.get(f"{home}/products", timeout=30).text)
        session.post(
            f"{other}/cart/add.js",
            json={"id": gel_id, "quantity": 1},
            headers={"X-CSRFToken": token},
            timeout=30,
        ).raise_for_status()
        barrier.wait(timeout=60)
        return session.post(
            f"{home}/checkout",
            data={**details, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(shopper, range(40)))
    assert statuses.count(302) == 10 and statuses.count(422) == 30, statuses
    db.session.rollback()
    assert db.session.scalar(select(Variant.stock).where(Variant.id == gel_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 10


def test_failed_sign_ins_are_counted_across_both_servers(two_servers):
    """Each worker of each server keeps no count of its own: four workers with
    in-memory counters would allow 5 failures each; Redis allows 5 in all."""
    a, b = (server.url for server in two_servers)
    visitor = requests.Session()
    token = csrf_from(visitor.get(f"{a}/admin/login", timeout=10).text)
    attempt = {"email": "owner@example.com", "password": "not-the-password", "csrf_token": token}
    statuses = [
        visitor.post(f"{(a, b)[i % 2]}/admin/login", data=attempt, timeout=10).status_code
        for i in range(5)
    ]
    assert statuses == [401] * 5
    for server in (a, b):
        blocked = visitor.post(f"{server}/admin/login", data=attempt, timeout=10)
        assert blocked.status_code == 429
        assert "Too many failed sign-in attempts" in blocked.text


def answers_from_every_worker(url: str, tries: int = 8) -> list[requests.Response]:
    """Each server runs two workers, each with caches of its own: ask several times."""
    return [requests.get(url, timeout=10) for _ in range(tries)]


def test_a_change_on_one_server_reaches_the_caches_of_the_other(two_servers):
    a, b = (server.url for server in two_servers)
    product_page, guide = f"{b}/products/peptide-serum", f"{b}/guides/{GUIDE_SLUG}"
    for url in (product_page, guide):
        answers = answers_from_every_worker(url)
        assert any(r.headers.get("X-Page-Cache") == "hit" for r in answers)  # cached on b
    shopper = requests.Session()
    token = csrf_from(shopper.get(f"{b}/products", timeout=10).text)
    serum_id = db.session.scalar(select(Variant.id).where(Variant.sku == "FPS-30"))
    added = shopper.post(
        f"{b}/cart/add.js",
        json={"id": serum_id, "quantity": 1},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert added.status_code == 200 and added.json()["original_price"] == 5800

    # A merchandiser renames the serum on server a, through its back office.
    staff = make_staff(Role.MERCHANDISER)
    merchandiser = requests.Session()
    token = csrf_from(merchandiser.get(f"{a}/admin/login", timeout=10).text)
    signed_in = merchandiser.post(
        f"{a}/admin/login",
        data={"email": staff.email, "password": PASSWORD, "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    edit_page = merchandiser.get(f"{a}/admin/products/{serum.id}", timeout=10).text
    saved = merchandiser.post(
        f"{a}/admin/products/{serum.id}",
        data={
            **product_form(serum, title="Firming Peptide Serum Plus"),
            "csrf_token": csrf_from(edit_page),
        },
        timeout=10,
        allow_redirects=False,
    )
    assert saved.status_code == 302
    # A third process (this test's app) changes a price, an article and the gift's label.
    db.session.rollback()
    db.session.get(Variant, serum_id).price = 6100
    db.session.scalar(select(Article).where(Article.slug == GUIDE_SLUG)).title = "Renamed guide"
    gift = db.session.scalars(select(Promotion).where(Promotion.reward_type == "gift")).one()
    gift.label = "A FREE set, on the house"
    db.session.commit()

    time.sleep(GENERATION_CHECK_SECONDS + 0.2)
    for answer in answers_from_every_worker(product_page):
        assert "Firming Peptide Serum Plus" in answer.text
        assert "A FREE set, on the house" in answer.text
    for answer in answers_from_every_worker(guide):
        assert "Renamed guide" in answer.text
    for _ in range(4):  # the cart prices from each worker's catalogue cache
        cart = shopper.get(f"{b}/cart.js", timeout=10).json()
        assert [item["original_price"] for item in cart["items"] if not item["is_gift"]] == [6100]
