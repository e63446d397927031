"""The catalogue: seed, stock rules of bundles, pages and product JSON."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.catalog.models import Product, Variant
from shop.catalog.service import (
    OutOfStockError,
    available_quantity,
    stock_movements,
    take_stock,
)
from shop.demo import seed_demo
from shop.extensions import db
from tests.support.digits import written_in


def variant_by_sku(sku: str) -> Variant:
    return db.session.scalars(select(Variant).where(Variant.sku == sku)).one()


def test_seed_demo_loads_the_catalogue_once(demo_store):
    handles = set(db.session.scalars(select(Product.handle)))
    assert handles == {
        "microcurrent-device",
        "peptide-serum",
        "conductive-gel",
        "device-serum-bundle",
        "gift-set",
    }
    counts_before = db.session.scalar(select(func.count()).select_from(Variant))
    report = seed_demo()
    assert "0 products created, 5 already present" in report[0]
    assert db.session.scalar(select(func.count()).select_from(Variant)) == counts_before


def test_seed_keeps_what_staff_changed(demo_store):
    gel = variant_by_sku("CHG-100")
    gel.stock = 3
    db.session.commit()
    seed_demo()
    assert variant_by_sku("CHG-100").stock == 3


def test_gift_set_has_the_reference_price_of_the_brief(demo_store):
    assert variant_by_sku("GIFT-SET").price == 24500


def test_bundle_availability_is_the_minimum_its_parts_allow(demo_store):
    bundle = variant_by_sku("BND-PEARL")
    assert available_quantity(bundle) == min(
        variant_by_sku("CMD-PEARL").stock, variant_by_sku("FPS-30").stock
    )
    variant_by_sku("CMD-PEARL").stock = 0
    db.session.commit()
    assert available_quantity(variant_by_sku("BND-PEARL")) == 0


def test_selling_a_bundle_takes_stock_from_its_parts(demo_store):
    device_before = variant_by_sku("CMD-ROSE").stock
    serum_before = variant_by_sku("FPS-30").stock
    take_stock(db.session, stock_movements(variant_by_sku("BND-ROSE"), 2))
    db.session.commit()
    assert variant_by_sku("CMD-ROSE").stock == device_before - 2
    assert variant_by_sku("FPS-30").stock == serum_before - 2
    assert variant_by_sku("BND-ROSE").stock == 0


def test_taking_more_than_exists_takes_nothing(demo_store):
    variant_by_sku("FPS-30").stock = 1
    db.session.commit()
    device_before = variant_by_sku("CMD-ROSE").stock
    with pytest.raises(OutOfStockError):
        take_stock(db.session, stock_movements(variant_by_sku("BND-ROSE"), 2))
    db.session.commit()
    assert variant_by_sku("CMD-ROSE").stock == device_before
    assert variant_by_sku("FPS-30").stock == 1


def test_stock_can_never_go_negative_in_the_database(demo_store):
    from sqlalchemy.exc import IntegrityError

    variant_by_sku("CHG-100").stock = -1
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_home_shows_the_tagline_and_featured_products(client, demo_store):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Independent skincare reviews" in html
    assert "Contour Microcurrent Toning Device" in html
    assert "Device + Serum Bundle" in html
    assert "Gift Set" not in html


def test_listing_shows_purchasable_products_with_prices(client, demo_store):
    html = client.get("/products").get_data(as_text=True)
    assert "Firming Peptide Serum" in html
    assert "From" in html and "$58.00" in html
    assert "$257.00" in html  # the bundle's compare-at price
    assert "Gift Set" not in html


def test_product_page_has_picker_prices_stock_and_form(client, demo_store):
    html = client.get("/products/microcurrent-device").get_data(as_text=True)
    assert "<h1" in html and "Contour Microcurrent Toning Device" in html
    assert 'name="id"' in html and "Rose Gold" in html and "Pearl White" in html
    assert "$199.00" in html
    assert "In stock" in html
    assert 'name="csrf_token"' in html
    assert 'action="/cart/add"' in html


def test_variant_in_the_query_string_is_preselected(client, demo_store):
    pearl = variant_by_sku("CMD-PEARL")
    html = client.get(f"/products/microcurrent-device?variant={pearl.id}").get_data(as_text=True)
    checked = html.split(f'value="{pearl.id}"')[1].split(">")[0]
    assert "checked" in checked


def test_low_and_sold_out_states(client, demo_store):
    variant_by_sku("CMD-ROSE").stock = 0
    variant_by_sku("CMD-PEARL").stock = 3
    db.session.commit()
    html = client.get("/products/microcurrent-device").get_data(as_text=True)
    assert "Sold out" in html
    assert "Only 3 left" in html


@pytest.mark.parametrize("path", ["/products/no-such-thing", "/products/gift-set"])
def test_unknown_and_gift_only_products_are_404(client, demo_store, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "could not find" in response.get_data(as_text=True)


def test_inactive_product_is_404_to_shoppers(client, demo_store):
    gel = db.session.scalars(select(Product).where(Product.handle == "conductive-gel")).one()
    gel.is_active = False
    db.session.commit()
    assert client.get("/products/conductive-gel").status_code == 404
    assert client.get("/products/conductive-gel.js").status_code == 404
    assert "Conductive" not in client.get("/products").get_data(as_text=True)


def test_products_json_shape(client, demo_store):
    body = client.get("/products.json").get_json()
    handles = [p["handle"] for p in body["products"]]
    assert handles == [
        "microcurrent-device",
        "peptide-serum",
        "conductive-gel",
        "device-serum-bundle",
    ]
    serum = body["products"][1]
    assert serum["price_min"] == 5800 and serum["price_max"] == 8600
    assert serum["options"] == [{"name": "Size", "values": ["30 ml", "50 ml"]}]
    fifty = serum["variants"][1]
    assert fifty["price"] == 8600 and fifty["compare_at_price"] == 9800
    assert isinstance(fifty["id"], int) and fifty["available"] is True
    assert serum["images"][0]["src"].startswith("/static/img/products/")


def test_products_json_paginates(client, demo_store):
    first = client.get("/products.json?limit=2&page=1").get_json()["products"]
    second = client.get("/products.json?limit=2&page=2").get_json()["products"]
    assert [p["handle"] for p in first + second] == [
        "microcurrent-device",
        "peptide-serum",
        "conductive-gel",
        "device-serum-bundle",
    ]
    assert client.get("/products.json?limit=abc").status_code == 200


def test_query_string_numbers_take_the_digits_0_to_9_only(client, demo_store):
    everything = client.get("/products.json").get_json()["products"]
    # "2" in Arabic-Indic digits is no number: the defaults apply, as for "abc".
    other_script = client.get(f"/products.json?limit={written_in('2')}").get_json()["products"]
    assert other_script == everything and len(everything) > 2
    page = client.get(f"/products.json?limit=2&page={written_in('2')}").get_json()["products"]
    assert page == everything[:2]


def test_product_js_shape_and_bundle_parts(client, demo_store):
    bundle = client.get("/products/device-serum-bundle.js").get_json()
    assert bundle["handle"] == "device-serum-bundle"
    assert bundle["compare_at_price"] == 25700
    rose = bundle["variants"][0]
    assert rose["is_bundle"] is True
    assert len(rose["components"]) == 2
    assert rose["inventory_quantity"] == min(
        variant_by_sku("CMD-ROSE").stock, variant_by_sku("FPS-30").stock
    )


def test_unknown_product_js_is_a_json_404(client, demo_store):
    response = client.get("/products/nothing.js")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_server_error_page_is_friendly(app, demo_store):
    from shop import create_app
    from shop.config import TestConfig

    fresh = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PROPAGATE_TEST_ERRORS": False,
        },
    )

    @fresh.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    response = fresh.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)
