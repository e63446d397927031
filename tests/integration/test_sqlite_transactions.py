"""On SQLite a write request takes the write lock when its transaction begins, so a
second writer waits its turn instead of failing after it has read."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from shop.catalog.models import Variant
from shop.extensions import db


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


@pytest.mark.parametrize(("method", "takes_the_lock"), [("POST", True), ("GET", False)])
def test_write_requests_take_the_write_lock_when_they_begin(
    app, sqlite_file, method, takes_the_lock
):
    with app.test_request_context("/cart/add.js", method=method):
        db.session.execute(text("SELECT 1"))  # begins the transaction; reads only
        assert write_lock_is_free(sqlite_file) is not takes_the_lock
        db.session.rollback()
    assert write_lock_is_free(sqlite_file)


def test_a_second_writer_waits_and_then_reads_the_first_ones_row(app, sqlite_file, demo_store):
    """Two read-then-write requests on one row: the second sees the first's write.
    With deferred transactions it would fail ("database is locked") at its UPDATE."""
    first_has_read = threading.Event()
    results: dict[str, int] = {}

    def read_then_write(name: str, pause: threading.Event | None) -> None:
        with app.app_context(), app.test_request_context("/cart/add.js", method="POST"):
            stock = db.session.scalar(select(Variant.stock).where(Variant.sku == "FPS-30"))
            if pause is not None:
                first_has_read.set()
                pause.wait(timeout=2)  # hold the transaction open a moment
            db.session.execute(
                update(Variant).where(Variant.sku == "FPS-30").values(stock=stock - 1)
            )
            db.session.commit()
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
