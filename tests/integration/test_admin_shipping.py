"""Shipping in the back office: the countries the store sells to, zones and methods
with field errors, versions and the audit log, the checkout setting and the tester.
Every change reaches the checkout at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.admin.models import AuditEntry, Role
from shop.extensions import db
from shop.shipping.models import SellingCountry, ShippingMethod, ShippingZone
from tests.integration.admin_helpers import StaffClient, hidden_value, isolated_client, make_staff
from tests.integration.cart_helpers import CartClient


@pytest.fixture
def merchandiser(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.MERCHANDISER))


def zone_named(name: str) -> ShippingZone | None:
    db.session.rollback()
    return db.session.scalar(select(ShippingZone).where(ShippingZone.name == name))


def audit_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def zone_form(**changes) -> dict:
    return {"name": "Mainland Europe", "position": "10", "countries": ["DE"], **changes}


def method_form(**changes) -> dict:
    return {
        "name": "Standard",
        "rate_type": "flat",
        "flat_price": "14.00",
        "min_days": "4",
        "max_days": "7",
        "position": "0",
        **changes,
    }


def checkout_labels(app, **address) -> list[str]:
    shopper = CartClient(isolated_client(app))
    shopper.add("FPS-30")
    query = "&".join(f"{key}={value}" for key, value in address.items())
    html = shopper.client.get(f"/checkout/shipping-options?{query}").get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", label)).strip()
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ] or [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'id="shipping-problem">(.*?)</p>', html)]


def test_the_overview_lists_zones_in_order_with_their_methods(merchandiser):
    html = merchandiser.html("/admin/shipping")
    names = re.findall(r'/admin/shipping/zones/\d+">([^<]+)</a>', html)
    assert names == [
        "Alaska and Hawaii",
        "United States",
        "Canada",
        "United Kingdom and Ireland",
        "Australia and New Zealand",
    ]
    assert "Flat $8.00" in html and "3 to 5 business days" in html
    assert "By subtotal: from $150.00, free" in html
    assert "By weight: from 0 g, $15.00; from 1,000 g, $22.00; from 5,000 g, $35.00" in html


def test_a_new_country_a_zone_and_a_method_reach_the_checkout(app, merchandiser):
    added = merchandiser.post("/admin/shipping/countries", {"country": "DE"}, follow=True)
    assert "The store now sells to Germany. Add it to a zone." in added.get_data(as_text=True)
    assert "No zone covers Germany" in added.get_data(as_text=True)

    created = merchandiser.post("/admin/shipping/zones/new", zone_form())
    assert created.status_code == 302
    zone = zone_named("Mainland Europe")
    assert [c.country_code for c in zone.countries] == ["DE"]

    method = merchandiser.post(f"/admin/shipping/zones/{zone.id}/methods/new", method_form())
    assert method.status_code == 302
    assert checkout_labels(app, country="DE", postal_code="10117") == [
        "Standard, arrives in 4 to 7 business days: $14.00"
    ]
    assert audit_actions()[-3:] == [
        "shipping.country_added",
        "shipping.zone_created",
        "shipping.method_created",
    ]


def test_a_zone_narrowed_by_postcode_goes_first_and_wins(app, merchandiser):
    created = merchandiser.post(
        "/admin/shipping/zones/new",
        zone_form(
            name="Los Angeles", position="0", countries=["US"], postcodes="900*\n90100...90199"
        ),
    )
    assert created.status_code == 302
    zone = zone_named("Los Angeles")
    merchandiser.post(
        f"/admin/shipping/zones/{zone.id}/methods/new",
        method_form(name="Same-day courier", flat_price="25.00", min_days="0", max_days="1"),
    )
    assert checkout_labels(app, country="US", country_area="CA", postal_code="90012") == [
        "Same-day courier, arrives in 0 to 1 business days: $25.00"
    ]
    assert checkout_labels(app, country="US", country_area="CA", postal_code="94103")[0] == (
        "Standard, arrives in 3 to 5 business days: $8.00"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "Canada"}, "name", "Another zone is called Canada."),
        ({"countries": []}, "countries", "Choose at least one country."),
        ({"countries": ["FR"]}, "countries", "Choose countries the store sells to."),
        (
            {"countries": ["US"], "areas": "US-ZZ"},
            "areas",
            "US-ZZ is not a subdivision of United States.",
        ),
        (
            {"countries": ["US", "CA"], "areas": "IL"},
            "areas",
            "Write IL with its country, like US-IL.",
        ),
        ({"countries": ["US"], "areas": "CA-ON"}, "areas", "CA-ON: Canada is not one of this zone"),
        ({"countries": ["US"], "postcodes": "9*0"}, "postcodes", "a * may only end a prefix"),
        (
            {"countries": ["US"], "postcodes": "H9Z-H0H"},
            "postcodes",
            "the range starts after it ends",
        ),
        ({"position": "-1"}, "position", "Use a position from 0 to 10000."),
        ({"position": "abc"}, "position", ""),
    ],
)
def test_zone_errors_name_the_field_and_keep_what_was_typed(merchandiser, changes, field, message):
    data = zone_form(name="Typed name", countries=["US"], areas="", postcodes="")
    data.update(changes)
    response = merchandiser.post("/admin/shipping/zones/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html or f'id="{field}"' in html
    assert message.replace("'", "&#39;") in html
    if data["name"]:
        assert f'value="{data["name"]}"' in html
    assert zone_named("Typed name") is None


def test_a_zone_saved_meanwhile_by_someone_else_is_not_overwritten(app, merchandiser):
    zone = zone_named("Canada")
    page = merchandiser.html(f"/admin/shipping/zones/{zone.id}")
    version = hidden_value(page, "version")
    other = StaffClient(app.test_client(), make_staff(Role.OWNER, "owner@example.com"))
    first = other.post(
        f"/admin/shipping/zones/{zone.id}",
        zone_form(name="Canada (all)", countries=["CA"], version=version),
    )
    assert first.status_code == 302
    second = merchandiser.post(
        f"/admin/shipping/zones/{zone.id}",
        zone_form(name="Canada and more", countries=["CA"], position="2", version=version),
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "changed by someone else" in html and "Canada (all)" in html
    assert 'value="Canada and more"' in html
    assert zone_named("Canada (all)") is not None


def test_methods_by_weight_and_subtotal_with_band_errors_in_place(app, merchandiser):
    zone = zone_named("Canada")
    url = f"/admin/shipping/zones/{zone.id}/methods/new"
    refused = merchandiser.post(
        url,
        method_form(
            name="Economy",
            rate_type="weight",
            **{"bands-0-start": "0", "bands-0-price": "9.00", "bands-1-start": "2kg"},
        ),
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Enter a weight in grams, such as 1000." in html
    assert 'value="2kg"' in html and 'value="9.00"' in html

    refused = merchandiser.post(url, method_form(name="Economy", rate_type="subtotal"))
    assert "Enter at least one band" in refused.get_data(as_text=True)
    refused = merchandiser.post(
        url, method_form(name="Economy", min_days="6", max_days="2", flat_price="")
    )
    text = refused.get_data(as_text=True)
    assert "The latest day cannot come before the earliest." in text and "Enter the price." in text

    saved = merchandiser.post(
        url,
        method_form(
            name="Economy",
            rate_type="subtotal",
            **{
                "bands-0-start": "0",
                "bands-0-price": "11.00",
                "bands-1-start": "50.00",
                "bands-1-price": "4.00",
            },
        ),
    )
    assert saved.status_code == 302
    economy = db.session.scalar(select(ShippingMethod).where(ShippingMethod.name == "Economy"))
    assert [(b.start, b.price) for b in economy.bands] == [(0, 1100), (5000, 400)]
    labels = checkout_labels(app, country="CA", country_area="ON", postal_code="K1A0A9")
    assert "Economy, arrives in 4 to 7 business days: $4.00" in labels  # $58 is over $50


def test_editing_and_deleting_a_method_is_versioned_and_audited(app, merchandiser):
    method = db.session.scalar(
        select(ShippingMethod)
        .join(ShippingZone)
        .where(ShippingZone.name == "United States", ShippingMethod.name == "Express")
    )
    page = merchandiser.html(f"/admin/shipping/methods/{method.id}")
    version = hidden_value(page, "version")
    assert 'value="20.00"' in page
    saved = merchandiser.post(
        f"/admin/shipping/methods/{method.id}",
        method_form(
            name="Express", flat_price="22.50", min_days="1", max_days="2", version=version
        ),
    )
    assert saved.status_code == 302
    assert "Express, arrives in 1 to 2 business days: $22.50" in checkout_labels(
        app, country="US", country_area="IL"
    )
    stale = merchandiser.post(
        f"/admin/shipping/methods/{method.id}/delete", {"version": version}, follow=True
    )
    assert "changed by someone else" in stale.get_data(as_text=True)
    deleted = merchandiser.post(
        f"/admin/shipping/methods/{method.id}/delete", {"version": str(int(version) + 1)}
    )
    assert deleted.status_code == 302
    assert not any("Express" in label for label in checkout_labels(app, country="US"))
    db.session.rollback()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "shipping_method")
    ).all()
    assert [e.action for e in entries] == ["shipping.method_updated", "shipping.method_deleted"]
    assert entries[0].before["flat_price"] == 2000 and entries[0].after["flat_price"] == 2250


def test_a_country_still_in_a_zone_cannot_be_dropped(merchandiser):
    refused = merchandiser.post("/admin/shipping/countries/CA/remove", {}, follow=True)
    assert "Canada is still in the zone Canada. Take it out of those zones first." in (
        refused.get_data(as_text=True)
    )
    assert db.session.get(SellingCountry, "CA") is not None
    merchandiser.post("/admin/shipping/countries", {"country": "DE"})
    dropped = merchandiser.post("/admin/shipping/countries/DE/remove", {}, follow=True)
    assert "The store no longer sells to Germany." in dropped.get_data(as_text=True)


def test_deleting_a_zone_takes_its_methods_and_checkout_then_says_where_we_ship(app, merchandiser):
    zone_id = zone_named("Australia and New Zealand").id
    page = merchandiser.html(f"/admin/shipping/zones/{zone_id}")
    deleted = merchandiser.post(
        f"/admin/shipping/zones/{zone_id}/delete", {"version": hidden_value(page, "version")}
    )
    assert deleted.status_code == 302
    db.session.rollback()
    assert (
        db.session.scalars(select(ShippingMethod).where(ShippingMethod.zone_id == zone_id)).all()
        == []
    )
    problem = checkout_labels(app, country="AU", country_area="NSW", postal_code="2000")
    assert problem == [
        "We do not ship to this address. We ship to Canada, Ireland, United Kingdom and "
        "United States."
    ]


def test_the_tester_explains_zone_band_and_promotion(merchandiser):
    page = merchandiser.post(
        "/admin/shipping/tester",
        {
            "country": "CA",
            "country_area": "ON",
            "postal_code": "K1A 0A9",
            "sample_cart": "CHG-100 9",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zone: <strong>Canada</strong>" in html
    # 9 x 120 g of gel, and the 300 g gift set its $216.00 earns: the gift ships too.
    assert "1,380 g" in html and "a promotion gives free shipping" in html
    assert "band from 1,000 g; free by promotion (was $22.00)" in html
    unknown = merchandiser.post(
        "/admin/shipping/tester", {"country": "US", "sample_cart": "NOPE-1 2"}
    )
    assert unknown.status_code == 422
    assert "No variant has the SKU NOPE-1." in unknown.get_data(as_text=True)


def test_only_merchandisers_and_the_owner_manage_shipping(app, demo_store):
    for role in (Role.FULFILMENT, Role.EDITOR):
        staff = StaffClient(app.test_client(), make_staff(role))
        assert staff.get("/admin/shipping").status_code == 403
        assert staff.post("/admin/shipping/countries", {"country": "DE"}).status_code == 403
    assert db.session.get(SellingCountry, "DE") is None


def test_nasty_values_in_every_shipping_form_never_cause_a_500(app, merchandiser):
    from tests.integration.test_hostile_input import NASTY_TEXT

    zone = zone_named("Canada")
    method_id = zone.methods[0].id
    paths = [
        "/admin/shipping/countries",
        "/admin/shipping/countries/CA/remove",
        "/admin/shipping/countries/%3Cscript%3E/remove",
        "/admin/shipping/settings",
        "/admin/shipping/zones/new",
        f"/admin/shipping/zones/{zone.id}",
        f"/admin/shipping/zones/{zone.id}/methods/new",
        f"/admin/shipping/methods/{method_id}",
        "/admin/shipping/tester",
        f"/admin/shipping/methods/{method_id}/delete",
        f"/admin/shipping/zones/{zone.id}/delete",
    ]
    fields = (
        "country",
        "name",
        "position",
        "countries",
        "areas",
        "postcodes",
        "rate_type",
        "flat_price",
        "bands-0-start",
        "bands-0-price",
        "bands-1-start",
        "free_with_promotion",
        "min_days",
        "max_days",
        "version",
        "phone_required",
        "country_area",
        "postal_code",
        "sample_cart",
        "sample_codes",
    )
    for value in NASTY_TEXT:
        for path in paths:
            response = merchandiser.post(path, dict.fromkeys(fields, value))
            assert response.status_code < 500, (path, value[:20], response.status_code)
    assert zone_named("Canada") is not None  # no nasty version matched: nothing deleted


def test_a_method_with_many_bands_keeps_every_band_when_edited(merchandiser):
    zone = zone_named("Canada")
    bands = {}
    for index in range(10):  # as many as a method may have
        bands[f"bands-{index}-start"] = str(index * 500)
        bands[f"bands-{index}-price"] = f"{10 + index}.00"
    url = f"/admin/shipping/zones/{zone.id}/methods/new"
    assert (
        merchandiser.post(url, method_form(name="Bulky", rate_type="weight", **bands)).status_code
        == 302
    )
    method = db.session.scalar(select(ShippingMethod).where(ShippingMethod.name == "Bulky"))
    page = merchandiser.get(f"/admin/shipping/methods/{method.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="4500"' in html and 'value="19.00"' in html  # the tenth band is shown
    form = dict(re.findall(r'name="(bands-\d+-(?:start|price))"[^>]*value="([^"]*)"', html))
    saved = merchandiser.post(
        f"/admin/shipping/methods/{method.id}",
        method_form(
            name="Bulky parcel",
            rate_type="weight",
            version=hidden_value(html, "version"),
            **form,
        ),
    )
    assert saved.status_code == 302
    db.session.rollback()
    method = db.session.get(ShippingMethod, method.id)
    assert len(method.bands) == 10 and method.bands[-1].start == 4500


def test_a_zone_narrowed_to_a_subdivision_with_a_mixed_case_code_is_quoted_as_placed(
    app, merchandiser
):
    merchandiser.post("/admin/shipping/countries", {"country": "MX"})
    created = merchandiser.post(
        "/admin/shipping/zones/new",
        zone_form(name="Aguascalientes", position="0", countries=["MX"], areas="ags."),
    )
    assert created.status_code == 302
    zone = zone_named("Aguascalientes")
    assert [a.area_code for a in zone.areas] == ["Ags."]
    merchandiser.post(f"/admin/shipping/zones/{zone.id}/methods/new", method_form(name="Local"))
    assert checkout_labels(app, country="MX", country_area="Ags.", postal_code="20000") == [
        "Local, arrives in 4 to 7 business days: $14.00"
    ]


def test_a_bad_band_price_is_named_by_its_field_not_printed_as_data(merchandiser):
    zone = zone_named("Canada")
    response = merchandiser.post(
        f"/admin/shipping/zones/{zone.id}/methods/new",
        method_form(rate_type="weight", **{"bands-0-start": "0", "bands-0-price": "lots"}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter an amount such as 19.99 for Price." in html
    assert "{&#39;price&#39;" not in html and "{'price'" not in html
    too_much = merchandiser.post(
        f"/admin/shipping/zones/{zone.id}/methods/new",
        method_form(rate_type="subtotal", **{"bands-0-start": "9" * 30, "bands-0-price": "1.00"}),
    )
    assert too_much.status_code == 422
    assert "Enter an amount such as 150.00." in too_much.get_data(as_text=True)
