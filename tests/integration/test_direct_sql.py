"""Statements run straight on the driver behave as SQLAlchemy's own execution would:
same values in and out on both databases, the session's transaction, SQLAlchemy's
exception types, engine event listeners."""

from __future__ import annotations

import pytest
from sqlalchemy import Numeric, bindparam, column, event, select, text, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from shop.cart import store
from shop.cart.models import Cart, CartLine
from shop.direct_sql import DirectStatement
from shop.extensions import db
from shop.timeutil import utcnow
from tests.integration.cart_helpers import variant_id

carts = Cart.__table__

SET_CHOICES = DirectStatement(
    update(carts)
    .where(carts.c.id == bindparam("cart"))
    .values(codes=bindparam("codes"), updated_at=bindparam("now"))
)
READ_CHOICES = DirectStatement(
    select(carts.c.codes, carts.c.email, carts.c.updated_at).where(carts.c.id == bindparam("cart"))
)


def new_cart_id() -> int:
    cart = Cart(codes=[], declined_gift_rule_ids=[], gift_rule_ids=[])
    db.session.add(cart)
    db.session.commit()
    return cart.id


def test_values_go_in_and_come_out_as_the_column_types_say(app, demo_store):
    cart_id = new_cart_id()
    changed_at = utcnow()
    codes = ["WELCOME10", "ünïcode ✓"]
    connection = db.session.connection()
    assert SET_CHOICES.run(connection, {"cart": cart_id, "codes": codes, "now": changed_at}) == 1
    # JSON decoded (text on SQLite, json on PostgreSQL); the time as UTCDateTime reads it.
    read_codes, email, updated_at = READ_CHOICES.first(connection, {"cart": cart_id})
    assert read_codes == codes and email is None
    assert updated_at.replace(tzinfo=None) == changed_at.replace(tzinfo=None)
    db.session.commit()
    # What SQLAlchemy's own execution reads back is the same.
    stored = db.session.execute(select(Cart.codes).where(Cart.id == cart_id)).scalar_one()
    assert stored == codes
    assert READ_CHOICES.first(db.session.connection(), {"cart": -1}) is None
    db.session.rollback()


def serum_line() -> store.ShopperCartLine:
    return store.ShopperCartLine(variant_id("FPS-30"), 2)


def test_statements_share_the_sessions_transaction(app, demo_store):
    cart = store.create()
    db.session.commit()
    cart_id = cart.id
    store.add_line(cart, serum_line())  # the cart store's INSERT, a DirectStatement
    db.session.rollback()
    count = db.session.scalar(select(CartLine.id).where(CartLine.cart_id == cart_id))
    assert count is None  # rolled back with the session
    store.add_line(cart, serum_line())
    db.session.commit()
    rows = db.session.execute(
        select(CartLine.quantity).where(CartLine.cart_id == cart_id)
    ).scalars()
    assert list(rows) == [2]


def test_driver_errors_are_sqlalchemy_errors_and_the_session_recovers(app, demo_store):
    cart = store.create()
    db.session.commit()
    cart_id = cart.id
    store.add_line(cart, serum_line())
    with pytest.raises(IntegrityError) as raised:
        store.add_line(cart, serum_line())  # one line per variant
    assert "INSERT INTO cart_line" in str(raised.value)
    db.session.rollback()
    assert db.session.scalar(select(Cart.id).where(Cart.id == cart_id)) == cart_id


def test_engine_listeners_see_each_statement(app, demo_store):
    cart_id = new_cart_id()
    seen_before, seen_after = [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen_before.append(statement)

    def after(conn, cursor, statement, parameters, context, executemany):
        seen_after.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        READ_CHOICES.first(db.session.connection(), {"cart": cart_id})
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        db.session.rollback()
    assert len(seen_before) == 1 and seen_before == seen_after
    assert seen_before[0].startswith("SELECT cart.codes")


def test_a_statement_without_result_columns_runs(app, demo_store):
    pragma = "SELECT 1" if db.engine.dialect.name == "sqlite" else "SET LOCAL work_mem TO '8MB'"
    statement = DirectStatement(text(pragma))
    statement.run(db.session.connection(), {})
    db.session.rollback()


@pytest.mark.parametrize(
    "statement, problem",
    [
        (select(carts.c.id).where(carts.c.token == bindparam("a.b")), "cannot take parameter"),
        (
            select(carts.c.id).where(carts.c.id.in_(bindparam("ids", expanding=True))),
            "cannot take parameter",
        ),
        (select(column("price", Numeric(10, 2))), "cannot convert Numeric"),
    ],
)
def test_statements_it_cannot_run_faithfully_are_refused(db_session, statement, problem):
    with pytest.raises(InvalidRequestError, match=problem):
        DirectStatement(statement).rows(db.session.connection(), {"a.b": "x", "ids": [1]})
    db.session.rollback()


def test_a_missing_parameter_is_a_programming_error_on_both_databases(db_session):
    statement = DirectStatement(select(carts.c.id).where(carts.c.token == bindparam("token")))
    with pytest.raises(InvalidRequestError, match=r"no value for parameter.*token"):
        statement.rows(db.session.connection(), {"tok": "x"})
    db.session.rollback()
