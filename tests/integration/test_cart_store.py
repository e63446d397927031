"""The cart's rows read into plain objects and written back statement by statement."""

from __future__ import annotations

from sqlalchemy import select

from shop.cart import store
from shop.cart.models import Cart, CartLine
from shop.extensions import db
from tests.integration.cart_helpers import CartClient, variant_id


def cart_token(shopper: CartClient) -> str:
    return shopper.cart()["token"]


def test_a_cart_reads_the_same_locked_or_not(app, demo_store):
    shopper = CartClient(app.test_client())
    shopper.add("FPS-30", 2)
    shopper.add("CHG-100", 1, source_article=0)
    token = cart_token(shopper)
    plain, locked = store.find(token), store.find_locked(token)
    db.session.rollback()
    assert plain == locked
    assert [(line.variant_id, line.quantity) for line in plain.lines] == [
        (variant_id("FPS-30"), 2),
        (variant_id("CHG-100"), 1),
    ]
    assert store.find("no-such-token") is None and store.find_locked("no-such-token") is None


def test_relock_brings_the_cart_up_to_date(app, demo_store):
    shopper = CartClient(app.test_client())
    shopper.add("FPS-30", 1)
    cart = store.find_locked(cart_token(shopper))
    db.session.commit()  # as checkout does between its two locks
    shopper.add("CHG-100", 2)  # another tab, in that moment
    store.relock(cart)
    db.session.rollback()
    assert {(line.key, line.quantity) for line in cart.lines} == {
        (str(variant_id("FPS-30")), 1),
        (str(variant_id("CHG-100")), 2),
    }


def test_lines_are_written_as_they_change(app, demo_store):
    cart = store.create()
    serum = store.ShopperCartLine(variant_id("FPS-30"), 1)
    store.add_line(cart, serum)
    serum.quantity = 3
    store.update_line(cart, serum)
    store.add_line(cart, store.ShopperCartLine(variant_id("CHG-100"), 1))
    store.remove_line(cart, cart.line_for(variant_id("CHG-100")))
    db.session.commit()
    rows = db.session.execute(
        select(CartLine.variant_id, CartLine.quantity).where(CartLine.cart_id == cart.id)
    ).all()
    assert [tuple(row) for row in rows] == [(variant_id("FPS-30"), 3)]
    store.remove_lines(cart)
    db.session.commit()
    assert cart.lines == []
    assert db.session.scalars(select(CartLine).where(CartLine.cart_id == cart.id)).all() == []


def test_choices_are_written_only_when_they_change(app, demo_store):
    cart = store.create()
    db.session.commit()
    assert store.save_choices(cart) is False
    cart.codes.append("WELCOME10")
    cart.declined_gift_rule_ids.append(7)
    assert store.save_choices(cart) is True
    assert store.save_choices(cart) is False  # written once
    db.session.commit()
    row = db.session.scalars(select(Cart).where(Cart.id == cart.id)).one()
    assert (row.codes, row.declined_gift_rule_ids, row.gift_rule_ids) == (["WELCOME10"], [7], [])
    assert store.find(cart.token).codes == ["WELCOME10"]
    db.session.rollback()
