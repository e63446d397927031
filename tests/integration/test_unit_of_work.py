"""One unit of work per request: a view's changes land together or not at all,
pages only read, and work that must follow a commit waits for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import abort
from sqlalchemy import event, select

from shop import create_app
from shop.cache import CacheGeneration
from shop.extensions import db
from shop.promotions.models import Promotion
from shop.timeutil import utcnow
from shop.unit_of_work import UnitOfWorkError, after_commit, unit_of_work
from tests.integration.admin_helpers import isolated_client
from tests.integration.cart_helpers import CartClient, gift_lines


def stored(name: str) -> int | None:
    db.session.rollback()  # read what is committed, not what this session holds
    return db.session.scalar(select(CacheGeneration.generation).where(CacheGeneration.name == name))


def test_a_unit_commits_when_it_ends(db_session):
    with unit_of_work():
        db.session.add(CacheGeneration(name="kept", generation=1))
    assert stored("kept") == 1


def test_a_unit_that_raises_leaves_nothing(db_session):
    with pytest.raises(LookupError), unit_of_work():
        db.session.add(CacheGeneration(name="undone", generation=1))
        db.session.flush()
        raise LookupError("refused after a write")
    assert stored("undone") is None


class Corrected(Exception):
    pass


def test_commit_despite_keeps_the_changes_and_still_raises(db_session):
    with pytest.raises(Corrected), unit_of_work(commit_despite=(Corrected,)):
        db.session.add(CacheGeneration(name="corrected", generation=2))
        raise Corrected
    assert stored("corrected") == 2


def test_units_do_not_nest(db_session):
    with unit_of_work(), pytest.raises(UnitOfWorkError), unit_of_work():
        pass  # pragma: no cover - never entered


def test_after_commit_waits_for_the_commit_and_never_follows_a_rollback(db_session):
    seen: list[int | None] = []

    def look() -> None:
        seen.append(stored("announced"))

    with unit_of_work():
        db.session.add(CacheGeneration(name="announced", generation=3))
        after_commit(look)
        assert seen == []  # not yet: the row is not committed
    assert seen == [3]

    with pytest.raises(LookupError), unit_of_work():
        after_commit(look)
        raise LookupError
    assert seen == [3]


@pytest.fixture
def probe_app(database_url, tmp_path) -> Iterator:
    """A second app on the test database with views that write and then fail."""
    from tests.conftest import TestConfig

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})

    @app.post("/probe/<name>/<outcome>")
    def write_then(name: str, outcome: str):
        db.session.add(CacheGeneration(name=name, generation=7))
        db.session.flush()
        if outcome == "abort":
            abort(409, description="refused after a write")
        if outcome == "raise":
            raise RuntimeError("failed after a write")
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_view_is_one_unit_of_work(probe_app, db_session):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = probe_app.test_client()
    assert client.post("/probe/returned/ok").status_code == 200
    assert client.post("/probe/aborted/abort").status_code == 409
    assert client.post("/probe/failed/raise").status_code == 500
    assert stored("returned") == 7
    assert stored("aborted") is None
    assert stored("failed") is None


@pytest.fixture
def writes(app) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the app's engine runs during the test."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_pages_only_read_and_the_cart_remembers_what_it_showed(app, demo_store, writes):
    """The gift's promotion ends under a shopper's cart: product pages (whose header
    and bar price the cart) write nothing; the cart, when shown, says the gift went,
    once, and remembers that it did."""
    shopper = CartClient(isolated_client(app))
    shopper.add("CMD-ROSE", 1)
    with unit_of_work():
        gift = db.session.scalars(select(Promotion).where(Promotion.reward_type == "gift")).one()
        gift.starts_at = utcnow() - timedelta(days=10)
        gift.ends_at = utcnow() - timedelta(seconds=1)

    writes.clear()
    for path in ("/", "/products/microcurrent-device", "/guides/benefits-of-microcurrent-therapy"):
        assert shopper.client.get(path).status_code == 200
    assert writes == []

    cart = shopper.cart()
    assert gift_lines(cart) == []
    assert [n["kind"] for n in cart["notices"]] == ["gift_removed"]
    assert [w for w in writes if w.lstrip().upper().startswith("UPDATE CART ")]
    assert shopper.cart()["notices"] == []  # told once
