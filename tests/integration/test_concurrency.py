"""Concurrent checkouts for the last units, through several gunicorn workers on
PostgreSQL: exactly as many orders get stock as there are units, none goes negative.
(SQLite serialises writers, so the race this guards against needs PostgreSQL.)"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order
from tests.integration.cart_helpers import ADDRESS
from tests.support.gunicorn import GunicornServer

SHOPPERS = 40
UNITS = 10


@pytest.fixture
def store_on_gunicorn(app, demo_store):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the stock race needs concurrent writers: PostgreSQL only")
    server = GunicornServer(app.config["SQLALCHEMY_DATABASE_URI"], workers=4).start()
    yield server
    server.stop()


def shopper_checks_out(base_url: str, variant_id: int, barrier: threading.Barrier) -> int:
    session = requests.Session()
    page = session.get(f"{base_url}/products", timeout=30).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    added = session.post(
        f"{base_url}/cart/add.js",
        json={"id": variant_id, "quantity": 1},
        headers={"X-CSRFToken": token},
        timeout=30,
    )
    assert added.status_code == 200, added.text
    barrier.wait(timeout=60)  # everybody presses "Place order" at once
    response = session.post(
        f"{base_url}/checkout",
        data={**ADDRESS, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    return response.status_code


def test_forty_shoppers_for_the_last_ten_units(store_on_gunicorn):
    gel = db.session.scalars(select(Variant).where(Variant.sku == "CHG-100")).one()
    gel.stock = UNITS
    gel_id = gel.id
    db.session.commit()
    barrier = threading.Barrier(SHOPPERS)
    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        statuses = list(
            pool.map(
                lambda _: shopper_checks_out(store_on_gunicorn.url, gel_id, barrier),
                range(SHOPPERS),
            )
        )
    assert statuses.count(302) == UNITS, statuses
    assert statuses.count(422) == SHOPPERS - UNITS, statuses
    db.session.rollback()
    assert db.session.scalar(select(Variant.stock).where(Variant.id == gel_id)) == 0
    assert (
        db.session.scalar(select(func.count()).select_from(Order).where(Order.status == "pending"))
        == UNITS
    )
