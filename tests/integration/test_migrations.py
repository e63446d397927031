"""Migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, column, inspect, select
from sqlalchemy import table as sa_table
from sqlalchemy import text as sa_text

from content.models import Article
from shop.cart.models import Cart
from shop.catalog.models import Product
from shop.extensions import db
from shop.promotions.models import Promotion, PromotionVersion
from tests.integration.cart_helpers import variant_id


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_migrated_schema_has_no_drift_from_the_models(app, db_session):
    assert schema_drift() == []


def test_migrations_go_down_to_empty_and_back_up(app, db_session):
    db_session.remove()
    downgrade(revision="base")
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert {"product", "variant", "bundle_component", "staff_user"} <= set(
        inspect(db.engine).get_table_names()
    )
    assert schema_drift() == []


def test_promotion_links_go_down_to_id_lists_and_back_up_in_order(app, db_session, demo_store):
    gift = db.session.scalars(select(Promotion).where(Promotion.reward_type == "gift")).one()
    gift_id, gifts = gift.id, list(gift.gift_variant_ids)
    serum = db.session.scalars(select(Product.id).where(Product.handle == "peptide-serum")).one()
    gift.required_product_ids = [serum]
    # Rows pointing at a promotion must come through too (a copy of the promotion
    # table, as SQLite's batch mode makes, would cascade its drop to them).
    db.session.add(PromotionVersion(promotion_id=gift_id, version=2, settings={}))
    db.session.commit()
    assert len(gifts) == 2  # the gift and its backup, in that order
    db_session.remove()

    downgrade(revision="004c4b8d016c")
    lists = sa_table(
        "promotion",
        column("id"),
        column("gift_variant_ids", JSON),
        column("required_product_ids", JSON),
        column("percent_product_ids", JSON),
    )
    with db.engine.connect() as connection:
        row = connection.execute(select(lists).where(lists.c.id == gift_id)).mappings().one()
    assert (row["gift_variant_ids"], row["required_product_ids"], row["percent_product_ids"]) == (
        gifts,
        [serum],
        [],
    )

    upgrade()
    again = db.session.get(Promotion, gift_id)
    assert (list(again.gift_variant_ids), list(again.required_product_ids)) == (gifts, [serum])
    assert db.session.scalar(select(PromotionVersion.version)) == 2
    assert schema_drift() == []


def test_cart_lines_go_down_to_rows_and_back_up_in_order(app, db_session, demo_store):
    guide = db.session.scalar(
        select(Article.id).where(Article.slug == "benefits-of-microcurrent-therapy")
    )
    gel, serum = variant_id("CHG-100"), variant_id("FPS-30")
    cart = Cart(
        lines=[
            {"variant_id": gel, "quantity": 2, "source_article_id": None},
            {"variant_id": serum, "quantity": 1, "source_article_id": guide},
            # Staff deleted this variant after it was added: rows cannot name it.
            {"variant_id": 999_999, "quantity": 1, "source_article_id": None},
        ]
    )
    db.session.add(cart)
    db.session.commit()
    cart_id = cart.id
    db_session.remove()

    downgrade(revision="0a30efe4d975")
    rows = sa_table(
        "cart_line",
        column("id"),
        column("cart_id"),
        column("variant_id"),
        column("quantity"),
        column("source_article_id"),
    )
    query = select(rows.c.variant_id, rows.c.quantity, rows.c.source_article_id)
    with db.engine.connect() as connection:
        stored = connection.execute(query.where(rows.c.cart_id == cart_id).order_by(rows.c.id))
        assert [tuple(row) for row in stored] == [(gel, 2, None), (serum, 1, guide)]
    assert "lines" not in {c["name"] for c in inspect(db.engine).get_columns("cart")}

    upgrade()
    assert db.session.get(Cart, cart_id).lines == [
        {"variant_id": gel, "quantity": 2, "source_article_id": None},
        {"variant_id": serum, "quantity": 1, "source_article_id": guide},
    ]
    assert schema_drift() == []


def test_a_store_taking_orders_keeps_its_fixed_shipping_as_a_zone(
    app, db_session, demo_store, monkeypatch
):
    """Before zones, shipping was two flat rates to six countries; a store with orders
    keeps exactly that after the migration (a new database gets no zone)."""
    from tests.integration.cart_helpers import CartClient, place_order

    shopper = CartClient(app.test_client())
    shopper.add("FPS-30")
    assert place_order(shopper).status_code == 302
    db_session.remove()
    downgrade(revision="5c2d8e41a7b3")
    monkeypatch.setenv("CHECKOUT_PHONE_REQUIRED", "1")  # how a phone was required before
    upgrade()
    phone = db.session.execute(sa_text("SELECT id, phone_required FROM shipping_settings")).all()
    assert [tuple(row) for row in phone] == [(1, True)]
    zones = db.session.execute(sa_text("SELECT id, name FROM shipping_zone")).all()
    assert [name for _, name in zones] == ["Everywhere we ship"]
    countries = db.session.scalars(
        sa_text("SELECT country_code FROM shipping_zone_country ORDER BY country_code")
    ).all()
    assert countries == ["AU", "CA", "GB", "IE", "NZ", "US"]
    methods = db.session.execute(
        sa_text(
            "SELECT name, rate_type, flat_price, free_with_promotion, min_days, max_days "
            "FROM shipping_method ORDER BY position"
        )
    ).all()
    assert [tuple(m) for m in methods] == [
        ("Standard", "flat", 800, True, 3, 5),
        ("Express", "flat", 2000, False, 1, 2),
    ]
    assert schema_drift() == []
