"""Faults: the database drops connections, the payment provider hangs. Requests fail
cleanly, the next one works, and nothing is half-written or charged twice."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, event, func, select, text

from shop import create_app
from shop.catalog.models import Variant
from shop.config import TestConfig
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from tests.integration.cart_helpers import CartClient, place_order
from tests.support.gunicorn import GunicornServer


def needs_postgres() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("dropping live server connections is a PostgreSQL scenario")


def terminate_other_connections(database_url: str) -> int:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    return killed


def test_dropped_connections_between_requests_are_replaced(app, demo_store):
    needs_postgres()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = GunicornServer(url, workers=2).start()
    try:
        for _ in range(6):  # every worker holds a pooled connection now
            assert requests.get(f"{server.url}/products/peptide-serum", timeout=10).ok
        db.session.remove()
        assert terminate_other_connections(url) >= 1
        statuses = [
            requests.get(f"{server.url}/products/peptide-serum", timeout=10).status_code
            for _ in range(6)
        ]
        assert statuses == [200] * 6  # the checkout socket check noticed and reconnected
    finally:
        server.stop()


@contextmanager
def connection_dropped_at(store, statement_start: str):
    """Terminate the server side of the store's connection just before the first
    statement that starts with `statement_start` (upper case) runs; yields a dict
    whose "dropped" says whether it happened.

    "ROLLBACK" and "COMMIT" name the end of a transaction (the driver's, which is no
    cursor statement): a database restart between a request's last statement and
    the commit of its unit of work or the rollback in an error handler."""
    url = store.config["SQLALCHEMY_DATABASE_URI"]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    state = {"dropped": False}

    def drop(conn) -> None:
        if not state["dropped"] and not conn.invalidated:
            state["dropped"] = True
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    def drop_before_statement(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(statement_start):
            drop(conn)

    name, listener = (
        (statement_start.lower(), drop)
        if statement_start in ("ROLLBACK", "COMMIT")
        else ("before_cursor_execute", drop_before_statement)
    )
    with store.app_context():
        event.listen(db.engine, name, listener)
    try:
        yield state
    finally:
        with store.app_context():
            event.remove(db.engine, name, listener)
            db.engine.dispose()
        admin.dispose()


@contextmanager
def statement_canceled_at(store, statement_start: str):
    """Make the server cancel the first statement that starts with `statement_start`,
    as a statement timeout would: a database error on a connection that stays up, so
    the error handler's rollback really goes to the server."""
    state = {"canceled": False}

    def cancel(conn, cursor, statement, parameters, context, executemany):
        if not state["canceled"] and statement.lstrip().upper().startswith(statement_start):
            state["canceled"] = True
            return "SELECT pg_cancel_backend(pg_backend_pid()), pg_sleep(5)", {}
        return statement, parameters

    with store.app_context():
        event.listen(db.engine, "before_cursor_execute", cancel, retval=True)
    try:
        yield state
    finally:
        with store.app_context():
            event.remove(db.engine, "before_cursor_execute", cancel)


def store_reporting_errors(app, **settings):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return create_app(
        TestConfig, {"SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_TEST_ERRORS": False, **settings}
    )


def test_connection_dropped_mid_checkout_fails_cleanly_and_writes_nothing(app, demo_store):
    needs_postgres()
    store = store_reporting_errors(app)
    shopper = CartClient(store.test_client())
    shopper.add("FPS-30", 2)
    stock_before = db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-30"))

    with connection_dropped_at(store, "INSERT INTO ORDER_LINE") as drop:
        response = place_order(shopper)
        assert drop["dropped"] and response.status_code == 503
        assert "Nothing was saved" in response.get_data(as_text=True)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.count()).select_from(OrderLine)) == 0
        assert (
            db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-30")) == stock_before
        )
        # The next attempt works on a fresh connection, and the cart was kept.
        retry = place_order(shopper)
        assert retry.status_code == 302
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1


def test_connection_dropped_mid_cart_change_fails_cleanly_and_the_next_one_works(app, demo_store):
    """A dropped connection while the cart's row is written is a clean 503, nothing
    is half-saved, and the pool replaces the connection."""
    needs_postgres()
    store = store_reporting_errors(app)
    shopper = CartClient(store.test_client())
    assert shopper.add("FPS-30", 1)[0] == 200

    with connection_dropped_at(store, "UPDATE CART ") as drop:
        status, body = shopper.add("CHG-100", 1)
        assert drop["dropped"] and status == 503 and "Nothing was saved" in body["description"]
        assert [line["sku"] for line in shopper.cart()["items"]] == ["FPS-30"]
        status, _ = shopper.add("CHG-100", 1)
        assert status == 200
        assert sorted(line["sku"] for line in shopper.cart()["items"]) == ["CHG-100", "FPS-30"]


def test_connection_dropped_before_a_pages_closing_commit_keeps_the_response(
    app, demo_store, caplog
):
    """A page's unit of work ends after the page is made; when the server is gone by
    then, the page is still sent (the failure once escaped the app, and gunicorn
    answered its own 500), the error is logged, and the next request works."""
    needs_postgres()
    # The page cache looks up its generation in a transaction of its own before the
    # request; off, so the rollback dropped is the one that ends the request's.
    store = store_reporting_errors(app, PAGE_CACHE_ENABLED=False)
    shopper = CartClient(store.test_client())
    shopper.add("FPS-30", 1)

    with connection_dropped_at(store, "COMMIT") as drop:
        page = shopper.client.get("/cart")
        assert drop["dropped"] and page.status_code == 200
        assert "Firming Peptide Serum" in page.get_data(as_text=True)
        assert "could not end the request's database transaction" in caplog.text
        with store.app_context():  # the dead connection went back to the pool, discarded
            assert db.engine.pool.checkedout() == 0
        assert [line["sku"] for line in shopper.cart()["items"]] == ["FPS-30"]
        assert shopper.add("CHG-100", 1)[0] == 200


def test_connection_dropped_before_the_error_handlers_rollback_still_answers_503(app, demo_store):
    """A statement fails on a live connection (canceled, as by a statement timeout)
    and the connection dies before the error handler's rollback: still the 503 the
    README promises, nothing written, and the retry works."""
    needs_postgres()
    store = store_reporting_errors(app)
    shopper = CartClient(store.test_client())
    shopper.add("FPS-30", 2)

    with (
        statement_canceled_at(store, "SELECT ORDER_PROMOTION") as cancel,
        connection_dropped_at(store, "ROLLBACK") as drop,
    ):
        response = place_order(shopper)
        assert cancel["canceled"] and drop["dropped"]
        assert response.status_code == 503
        assert "Nothing was saved" in response.get_data(as_text=True)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert place_order(shopper).status_code == 302


class BlackHole:
    """A TCP server that accepts connections and never answers: a hung provider."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._socket.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
                self._held.append(connection)
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        for connection in self._held:
            connection.close()
        self._socket.close()


def test_payment_provider_timeout_keeps_order_and_cart_and_retry_pays_once(
    app, demo_store, localstripe
):
    hole = BlackHole()
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "STRIPE_SECRET_KEY": "sk_test_local",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "STRIPE_TIMEOUT_SECONDS": 1,
    }
    hung = create_app(TestConfig, {**settings, "STRIPE_API_BASE": hole.url})
    try:
        shopper = CartClient(hung.test_client())
        shopper.add("FPS-30", 1)
        pay_path = place_order(shopper).headers["Location"]
        page = shopper.client.get(pay_path).get_data(as_text=True)
        assert "could not reach the payment service" in page
        db.session.rollback()
        order = db.session.scalars(select(Order)).one()
        assert order.status == "pending" and order.payment_id is None
        assert order.stock_state == "reserved"
        assert shopper.cart()["item_count"] == 1
    finally:
        hole.close()
    healthy = create_app(TestConfig, {**settings, "STRIPE_API_BASE": localstripe.url})
    retrying = CartClient(healthy.test_client())
    retrying.client.set_cookie("session", shopper.client.get_cookie("session").value)
    retrying.token = shopper.token
    for _ in range(2):  # the shopper clicks "try again" twice
        retrying.form(pay_path.replace("/pay", "/pay/retry"), {})
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.payment_id and order.payment_id.startswith("pi_")
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
