"""Concurrent checkouts through several gunicorn workers on PostgreSQL: exactly as many
orders get stock as there are units, none goes negative (SQLite serialises writers, so
that race needs PostgreSQL); and one e-mail checking out in many tabs at once uses a
once-per-e-mail code once, on both databases."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order, OrderPromotion
from tests.integration.cart_helpers import ADDRESS, checkout_data
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


def shopper_checks_out(
    base_url: str,
    variant_id: int,
    barrier: threading.Barrier,
    details: dict,
    code: str | None = None,
) -> int:
    """One shopper in a browser session of their own: adds a unit (and a code, if
    given), waits for everybody, then presses "Place order"; returns the status."""
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
    if code is not None:
        applied = session.post(
            f"{base_url}/cart/code", data={"code": code, "csrf_token": token}, timeout=30
        )
        assert code in applied.text and "applied" in applied.text.lower(), applied.text[:300]
    barrier.wait(timeout=60)  # everybody presses "Place order" at once
    response = session.post(
        f"{base_url}/checkout",
        data={**details, "csrf_token": token},
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
    details = checkout_data()
    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        statuses = list(
            pool.map(
                lambda _: shopper_checks_out(store_on_gunicorn.url, gel_id, barrier, details),
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


@pytest.fixture
def store_for_any_database(app, demo_store, live_server):
    """Gunicorn workers on PostgreSQL; on SQLite the threaded live server (SQLite
    serialises writers with BEGIN IMMEDIATE, which this race must respect too)."""
    if db.engine.dialect.name != "postgresql":
        yield live_server
        return
    server = GunicornServer(app.config["SQLALCHEMY_DATABASE_URI"], workers=4).start()
    yield server
    server.stop()


def test_a_once_per_email_code_is_used_once_by_ten_simultaneous_checkouts(
    store_for_any_database,
):
    shoppers = 10
    serum_id = db.session.scalars(select(Variant.id).where(Variant.sku == "FPS-30")).one()
    barrier = threading.Barrier(shoppers)
    details = checkout_data()
    with ThreadPoolExecutor(max_workers=shoppers) as pool:
        statuses = list(
            pool.map(
                lambda _: shopper_checks_out(
                    store_for_any_database.url, serum_id, barrier, details, code="WELCOME10"
                ),
                range(shoppers),
            )
        )
    assert statuses.count(302) == 1, statuses
    assert statuses.count(422) == shoppers - 1, statuses
    db.session.rollback()
    with_code = db.session.scalar(
        select(func.count())
        .select_from(OrderPromotion)
        .join(Order, Order.id == OrderPromotion.order_id)
        .where(OrderPromotion.code == "WELCOME10", Order.email == ADDRESS["email"])
    )
    assert with_code == 1
