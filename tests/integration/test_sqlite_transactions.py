"""On SQLite a write request takes the write lock when its transaction begins, so a
second writer waits its turn instead of failing after it has read."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import make_url

from shop.catalog.models import Variant
from shop.extensions import db
from shop.unit_of_work import unit_of_work
from tests.integration.admin_helpers import isolated_client
from tests.integration.cart_helpers import CartClient, checkout_data, variant_id


@pytest.fixture
def sqlite_file(app, db_session) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is how SQLite serialises writers; PostgreSQL locks rows")
    return url.database


def write_lock_is_free(path: str) -> bool:
    """Ask for the write lock from another connection, without waiting."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()


def lock_free_at_first_statement(app, sqlite_file: str, send) -> bool:
    """Whether SQLite's write lock was free when the request `send()` makes ran its
    first statement (another connection asks for it without waiting)."""
    seen: list[bool] = []

    def probe(_conn, _cursor, statement, *_args) -> None:
        if not seen and not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(write_lock_is_free(sqlite_file))

    event.listen(db.engine, "before_cursor_execute", probe)
    try:
        send()
    finally:
        event.remove(db.engine, "before_cursor_execute", probe)
    return seen[0]


@pytest.mark.parametrize(
    ("path", "method", "takes_the_lock"),
    [
        ("/cart/add.js", "POST", True),  # reads the cart, then writes from it
        ("/checkout", "POST", True),  # looks for the order placed, then places one
        ("/cart.js", "GET", False),  # reads never wait for a writer
        ("/checkout", "GET", False),
        ("/admin/login", "POST", False),  # a password hash must not hold the lock
    ],
)
def test_marked_write_requests_take_the_write_lock_when_they_begin(
    app, sqlite_file, demo_store, path, method, takes_the_lock
):
    shopper = CartClient(isolated_client(app))
    assert shopper.add("CHG-100", 1)[0] == 200
    forms = {
        "/cart/add.js": {"json": {"id": variant_id("FPS-30"), "quantity": 1}},
        "/checkout": {"data": {**checkout_data(), "csrf_token": shopper.token}},
        "/admin/login": {"data": {"email": "nobody@example.com", "password": "x" * 12}},
    }
    options = forms[path] if method == "POST" else {}
    headers = {"X-CSRFToken": shopper.token}

    def send() -> None:
        shopper.client.open(path, method=method, headers=headers, **options)

    assert lock_free_at_first_statement(app, sqlite_file, send) is not takes_the_lock
    assert write_lock_is_free(sqlite_file)


def test_a_second_writer_waits_and_then_reads_the_first_ones_row(app, sqlite_file, demo_store):
    """Two read-then-write requests on one row: the second sees the first's write.
    With deferred transactions it would fail ("database is locked") at its UPDATE."""
    first_has_read = threading.Event()
    results: dict[str, int] = {}

    def read_then_write(name: str, pause: threading.Event | None) -> None:
        with app.app_context(), unit_of_work(read_then_write=True):  # as a marked view runs
            stock = db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-30"))
            if pause is not None:
                first_has_read.set()
                pause.wait(timeout=2)  # hold the transaction open a moment
            db.session.execute(
                update(Variant).where(Variant.sku == "FPS-30").values(stock=stock - 1)
            )
            results[name] = stock

    release = threading.Event()
    first = threading.Thread(target=read_then_write, args=("first", release))
    first.start()
    assert first_has_read.wait(timeout=5)
    second = threading.Thread(target=read_then_write, args=("second", None))
    second.start()
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert results["second"] == results["first"] - 1  # no lost update, no error
    db.session.rollback()
    final = db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-30"))
    assert final == results["first"] - 2


def test_the_payment_provider_is_called_with_no_transaction_open(
    app, sqlite_file, client, demo_store, monkeypatch
):
    """Creating the payment can take the provider's whole timeout: on SQLite an open
    write transaction would stop every other write in the store for that long."""
    from shop.payments.demo import DemoProvider
    from tests.integration.cart_helpers import CartClient, place_order

    lock_free_during_call: list[bool] = []
    create_payment = DemoProvider.create_payment

    def observed(self, request):
        lock_free_during_call.append(write_lock_is_free(sqlite_file))
        return create_payment(self, request)

    monkeypatch.setattr(DemoProvider, "create_payment", observed)
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    assert place_order(shopper).status_code == 302
    assert lock_free_during_call == [True]
