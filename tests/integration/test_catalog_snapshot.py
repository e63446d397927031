"""Carts read the catalogue from a per-process snapshot: few queries per cart request,
and a staff change still reaches every cart (at once here; at checkout for sure)."""

from __future__ import annotations

from sqlalchemy import select, update

from shop.cache import CacheGeneration, caches
from shop.catalog.models import Variant
from shop.catalog.snapshot import CATALOGUE, variant_snapshot
from shop.extensions import db
from shop.orders.models import Order
from tests.integration.cart_helpers import CartClient, place_order, variant_id
from tests.integration.test_query_counts import counted


def _statements(app, client_call) -> list[str]:
    with app.app_context():
        engine = db.engine
    with counted(engine) as statements:
        status = client_call()
    assert status == 200
    return statements


def _line(cart: dict, sku_variant_id: int) -> dict:
    return next(item for item in cart["items"] if item["id"] == sku_variant_id)


def test_a_cart_write_reads_the_cart_and_the_shelf_then_writes(app, client, demo_store):
    shopper = CartClient(client)
    shopper.add("CMD-ROSE", 1)  # earns the gift, so pricing needs the gift's details too
    shopper.add("FPS-30", 1)  # warms this process's snapshot and promotion caches
    serum = variant_id("FPS-30")
    statements = _statements(
        app, lambda: shopper.post_json("/cart/add.js", {"id": serum, "quantity": 1})[0]
    )
    # Transaction control, not work: BEGIN IMMEDIATE on SQLite (see shop/db_setup.py);
    # on PostgreSQL a cart change commits without waiting for the disk (orders never).
    control = [s for s in statements if s.lstrip().upper().startswith(("BEGIN", "SET LOCAL"))]
    if db.engine.dialect.name == "postgresql":
        assert control == ["SET LOCAL synchronous_commit TO OFF"]
    statements = [s for s in statements if s not in control]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    # The cart row with its lines (locked for the request), the stock on the shelves;
    # no catalogue rows, no gift rows: those come from the snapshot.
    assert len(reads) == 2, reads
    assert "FROM cart " in reads[0] and "stock" in reads[1]
    assert len(writes) == 1 and writes[0].lstrip().startswith("UPDATE cart ")
    statements = _statements(app, lambda: shopper.client.get("/cart.js").status_code)
    assert len(statements) == 1, statements  # the cart and its lines, in one query


def test_a_staff_price_change_reaches_carts_at_once(client, demo_store):
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    serum = variant_id("FPS-30")
    assert _line(shopper.cart(), serum)["original_price"] == 5800
    db.session.get(Variant, serum).price = 6100  # what the back office's product form does
    db.session.commit()
    assert _line(shopper.cart(), serum)["original_price"] == 6100


def test_a_product_taken_off_sale_cannot_be_added_any_more(client, demo_store):
    shopper = CartClient(client)
    assert shopper.add("FPS-30", 1)[0] == 200
    db.session.get(Variant, variant_id("FPS-30")).is_active = False
    db.session.commit()
    status, body = shopper.add("FPS-30", 1)
    assert status == 404 and "not available" in body["description"]


def test_checkout_uses_a_price_changed_on_another_server_a_moment_ago(app, client, demo_store):
    shopper = CartClient(client)
    shopper.add("FPS-30", 1)
    serum = variant_id("FPS-30")
    assert variant_snapshot(serum).price == 5800  # this process has it cached
    # Another app server's staff edit: its own connection, so none of this process's
    # session events run; it bumps the shared generation as every server's flush does.
    with db.engine.begin() as other_server:
        other_server.execute(update(Variant).where(Variant.id == serum).values(price=6100))
        other_server.execute(
            update(CacheGeneration).values(generation=CacheGeneration.generation + 1)
        )
    response = place_order(shopper)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert [line.unit_price for line in order.lines] == [6100]


def test_a_read_overtaken_by_a_catalogue_change_is_not_kept(app, demo_store, monkeypatch):
    """Threaded servers: rows read just before a staff change must not be cached
    under the new generation (they would stay until the next change)."""
    from shop.catalog import snapshot

    serum = variant_id("FPS-30")
    real_read = snapshot._read

    def read_while_staff_change_lands(ids):
        rows = real_read(ids)
        caches(app)[CATALOGUE].clear()  # what a staff change does
        return rows

    monkeypatch.setattr(snapshot, "_read", read_while_staff_change_lands)
    assert snapshot.variant_snapshots([serum])[serum].price == 5800  # answered...
    assert serum not in caches(app)[CATALOGUE]  # ...not kept


def test_copies_cached_between_a_change_and_its_commit_are_dropped(app, demo_store):
    serum = variant_id("FPS-30")
    old = variant_snapshot(serum)
    db.session.get(Variant, serum).price = 6100
    db.session.flush()  # drops this process's copies
    cache = caches(app)[CATALOGUE]
    # Meanwhile another thread reads the row still committed and caches it again.
    cache.put(serum, old, read_in_epoch=cache.epoch)
    db.session.commit()
    assert serum not in cache
    assert variant_snapshot(serum).price == 6100
