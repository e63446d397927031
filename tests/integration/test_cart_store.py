"""The cart's row read into plain objects and written back whole, once, when changed."""

from __future__ import annotations

from sqlalchemy import select

from shop.cart import store
from shop.cart.models import Cart
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


def stored_row(cart_id: int) -> tuple:
    row = db.session.execute(
        select(Cart.lines, Cart.codes, Cart.declined_gift_rule_ids, Cart.gift_rule_ids).where(
            Cart.id == cart_id
        )
    ).one()
    return tuple(row)


def test_a_cart_is_written_only_when_it_changed(app, demo_store):
    cart = store.create()
    db.session.commit()
    assert store.save(cart) is False
    cart.codes.append("WELCOME10")
    cart.declined_gift_rule_ids.append(7)
    assert store.save(cart) is True
    assert store.save(cart) is False  # written once
    db.session.commit()
    assert stored_row(cart.id) == ([], ["WELCOME10"], [7], [])
    assert store.find(cart.token).codes == ["WELCOME10"]
    db.session.rollback()


def test_lines_are_kept_in_the_order_they_were_added(app, demo_store):
    cart = store.create()
    serum, gel = variant_id("FPS-30"), variant_id("CHG-100")
    cart.lines.append(store.ShopperCartLine(serum, 1))
    cart.lines.append(store.ShopperCartLine(gel, 2, source_article_id=None))
    assert store.save(cart) is True
    cart.line_for(serum).quantity = 3
    assert store.save(cart) is True  # a changed quantity is a change
    db.session.commit()
    read = store.find(cart.token)
    db.session.rollback()
    assert [(line.variant_id, line.quantity) for line in read.lines] == [(serum, 3), (gel, 2)]
    assert read.stored == read.as_row() and store.save(read) is False

    store.remove_lines(cart.id)
    db.session.commit()
    assert store.find(cart.token).lines == []
    db.session.rollback()


def test_a_save_is_part_of_the_request_transaction(app, demo_store):
    cart = store.create()
    db.session.commit()
    cart.lines.append(store.ShopperCartLine(variant_id("FPS-30"), 1))
    store.save(cart)
    db.session.rollback()
    assert stored_row(cart.id)[0] == []
    db.session.rollback()


def test_codes_as_typed_survive_the_json_round_trip(app, demo_store):
    cart = store.create()
    cart.codes = ["Welcome10", "ÉTÉ-2026", 'a"b']
    store.save(cart)
    db.session.commit()
    assert store.find(cart.token).codes == ["Welcome10", "ÉTÉ-2026", 'a"b']
    db.session.rollback()
