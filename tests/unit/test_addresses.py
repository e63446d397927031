"""Each country's address rules, from Google's i18n address data: the form's fields and
their names, what is required, postcodes in the country's shape and written form,
subdivisions by code or name, and the label's lines in the country's order."""

from __future__ import annotations

import pytest

from shop.addresses.rules import (
    AddressError,
    country_form,
    country_name,
    normalise,
    normalise_phone,
)

# country: (field names in the order the form asks, {field: label}, required fields)
FORMS = {
    "US": (
        ["street_address", "city", "country_area", "postal_code"],
        {"country_area": "State", "postal_code": "ZIP code"},
        {"street_address", "city", "country_area", "postal_code"},
    ),
    "CA": (
        ["street_address", "city", "country_area", "postal_code"],
        {"country_area": "Province", "postal_code": "Postal code"},
        {"street_address", "city", "country_area", "postal_code"},
    ),
    "GB": (
        ["street_address", "city", "postal_code"],
        {"city": "Post town", "postal_code": "Postcode"},
        {"street_address", "city", "postal_code"},
    ),
    "IE": (
        ["street_address", "city_area", "city", "country_area", "postal_code"],
        {"country_area": "County", "postal_code": "Eircode"},
        {"street_address", "city"},
    ),
    "AU": (
        ["street_address", "city", "country_area", "postal_code"],
        {"city": "Suburb", "country_area": "State", "postal_code": "Postcode"},
        {"street_address", "city", "country_area", "postal_code"},
    ),
    "NZ": (
        ["street_address", "city_area", "city", "postal_code"],
        {"city_area": "Suburb", "postal_code": "Postcode"},
        {"street_address", "city", "postal_code"},
    ),
    "DE": (
        ["street_address", "postal_code", "city"],
        {"postal_code": "Postcode"},
        {"street_address", "city", "postal_code"},
    ),
    "JP": (
        ["street_address", "country_area", "postal_code"],
        {"country_area": "Prefecture"},
        {"street_address", "country_area", "postal_code"},
    ),
}


@pytest.mark.parametrize("code", sorted(FORMS))
def test_each_country_asks_for_its_own_fields_by_its_own_names(code):
    order, labels, required = FORMS[code]
    form = country_form(code)
    assert [field.name for field in form.fields] == order
    assert {name: form.field(name).label for name in labels} == labels
    assert {field.name for field in form.fields if field.required} == required


def test_subdivisions_are_offered_by_code_and_name():
    states = dict(country_form("US").field("country_area").choices)
    assert states["IL"] == "Illinois" and states["CA"] == "California"
    provinces = dict(country_form("CA").field("country_area").choices)
    assert provinces["QC"] == "Quebec" and len(provinces) == 13
    assert "Co. Cork" in dict(country_form("IE").field("country_area").choices)
    prefectures = country_form("JP").field("country_area").choices
    assert len(prefectures) == 47 and ("東京都", "Tokyo") in prefectures  # Latin names


# (what was typed, what is stored, the label's lines for "Ana Ruiz")
VALID = [
    (
        {
            "country_code": "us",
            "street_address": " 1  Main St ",
            "city": "Springfield",
            "country_area": "illinois",
            "postal_code": "62704",
        },
        {
            "country_code": "US",
            "country_area_code": "IL",
            "country_area_name": "Illinois",
            "postal_code": "62704",
            "street_address": "1 Main St",
            "city": "Springfield",
        },
        ["Ana Ruiz", "1 Main St", "Springfield, IL 62704", "United States"],
    ),
    (
        {
            "country_code": "US",
            "street_address": "1 Main St",
            "city": "Springfield",
            "country_area": "IL",
            "postal_code": "627041234",
        },
        {"postal_code": "62704-1234", "country_area_code": "IL"},
        ["Ana Ruiz", "1 Main St", "Springfield, IL 62704-1234", "United States"],
    ),
    (
        {
            "country_code": "CA",
            "street_address": "80 Wellington St",
            "city": "Ottawa",
            "country_area": "on",
            "postal_code": "k1a0b1",
        },
        {"country_area_code": "ON", "country_area_name": "Ontario", "postal_code": "K1A 0B1"},
        ["Ana Ruiz", "80 Wellington St", "Ottawa ON K1A 0B1", "Canada"],
    ),
    (
        {
            "country_code": "GB",
            "street_address": "1 Old St",
            "city": "London",
            "postal_code": "ec1y8sy",
        },
        {"postal_code": "EC1Y 8SY", "country_area_code": ""},
        ["Ana Ruiz", "1 Old St", "London", "EC1Y 8SY", "United Kingdom"],
    ),
    (
        {
            "country_code": "IE",
            "street_address": "1 Grafton St",
            "city": "Dublin",
            "country_area": "co. dublin",
            "postal_code": "d02x285",
        },
        {"postal_code": "D02 X285", "country_area_code": "Co. Dublin"},
        ["Ana Ruiz", "1 Grafton St", "Dublin", "Co. Dublin", "D02 X285", "Ireland"],
    ),
    (
        {"country_code": "IE", "street_address": "Main Street", "city": "Dingle"},
        {"postal_code": "", "country_area_code": ""},  # Eircode and county are optional
        ["Ana Ruiz", "Main Street", "Dingle", "Ireland"],
    ),
    (
        {
            "country_code": "AU",
            "street_address": "1 George St",
            "city": "Sydney",
            "country_area": "New South Wales",
            "postal_code": "2000",
        },
        {"country_area_code": "NSW", "postal_code": "2000"},
        ["Ana Ruiz", "1 George St", "Sydney NSW 2000", "Australia"],
    ),
    (
        {
            "country_code": "NZ",
            "street_address": "1 Lambton Quay",
            "city": "Wellington",
            "postal_code": "6011",
        },
        {"postal_code": "6011"},
        ["Ana Ruiz", "1 Lambton Quay", "Wellington 6011", "New Zealand"],
    ),
    (
        {
            "country_code": "DE",
            "street_address": "Invalidenstr. 1",
            "city": "Berlin",
            "postal_code": "10115",
        },
        {"postal_code": "10115", "city": "Berlin"},
        ["Ana Ruiz", "Invalidenstr. 1", "10115 Berlin", "Germany"],
    ),
    (
        {
            "country_code": "JP",
            "street_address": "1-2-3 Sangenjaya",
            "country_area": "tokyo",
            "postal_code": "1540023",
        },
        {"country_area_code": "東京都", "country_area_name": "Tokyo", "postal_code": "154-0023"},
        ["Ana Ruiz", "1-2-3 Sangenjaya, Tokyo", "154-0023", "Japan"],
    ),
]


@pytest.mark.parametrize(("typed", "stored", "lines"), VALID)
def test_a_valid_address_is_stored_normalised_and_printed_in_its_countrys_order(
    typed, stored, lines
):
    address = normalise(typed)
    assert {name: getattr(address, name) for name in stored} == stored
    assert address.lines(name="Ana Ruiz") == lines


# (what was typed, {field: message})
INVALID = [
    (
        {
            "country_code": "US",
            "street_address": "1 Main St",
            "city": "Springfield",
            "postal_code": "62704",
        },
        {"country_area": "Choose the state."},
    ),
    (
        {
            "country_code": "US",
            "street_address": "1 Main St",
            "city": "Springfield",
            "country_area": "IL",
            "postal_code": "6270",
        },
        {"postal_code": "Enter a valid ZIP code, such as 95014."},
    ),
    (
        {
            "country_code": "CA",
            "street_address": "1 Rue",
            "city": "Montréal",
            "country_area": "Narnia",
            "postal_code": "12345",
        },
        {
            "country_area": "Choose a province of Canada from the list.",
            "postal_code": "Enter a valid postal code, such as H3Z 2Y7.",
        },
    ),
    (
        {
            "country_code": "GB",
            "street_address": "1 Old St",
            "city": "London",
            "postal_code": "12345",
        },
        {"postal_code": "Enter a valid postcode, such as EC1Y 8SY."},
    ),
    (
        {
            "country_code": "IE",
            "street_address": "1 Grafton St",
            "city": "Dublin",
            "postal_code": "D02",
        },
        {"postal_code": "Enter a valid Eircode, such as A65 F4E2."},
    ),
    (
        {
            "country_code": "AU",
            "street_address": "1 George St",
            "country_area": "NSW",
            "postal_code": "2000",
        },
        {"city": "Enter the suburb."},
    ),
    (
        {
            "country_code": "NZ",
            "street_address": "1 Lambton Quay",
            "city": "Wellington",
            "postal_code": "60111",
        },
        {"postal_code": "Enter a valid postcode, such as 6001."},
    ),
    (
        {"country_code": "DE", "street_address": "Invalidenstr. 1", "city": "Berlin"},
        {"postal_code": "Enter the postcode."},
    ),
    (
        {"country_code": "JP", "street_address": "1-2-3", "postal_code": "154-0023"},
        {"country_area": "Choose the prefecture."},
    ),
    (
        {"country_code": "ZZ", "street_address": "1 Nowhere"},
        {"country_code": "Choose a country from the list."},
    ),
    ({"street_address": "1 Nowhere"}, {"country_code": "Choose a country."}),
]


@pytest.mark.parametrize(("typed", "errors"), INVALID)
def test_an_invalid_address_is_refused_field_by_field_with_its_countrys_words(typed, errors):
    with pytest.raises(AddressError) as refused:
        normalise(typed)
    assert refused.value.errors == errors


def test_a_street_of_two_lines_prints_on_two():
    address = normalise(
        {
            "country_code": "GB",
            "street_address": "Flat 2\n 1 Old St ",
            "city": "London",
            "postal_code": "EC1Y 8SY",
        }
    )
    assert address.street_address == "Flat 2\n1 Old St"
    assert address.lines() == ["Flat 2", "1 Old St", "London", "EC1Y 8SY", "United Kingdom"]


def test_hostile_text_is_refused_or_kept_as_text_never_an_error():
    for junk in ("\x00", "'; DROP TABLE order; --", "<script>", "9" * 5000, "\u202e"):
        typed = {
            "country_code": "US",
            "street_address": junk,
            "city": junk,
            "country_area": junk,
            "postal_code": junk,
        }
        with pytest.raises(AddressError):
            normalise(typed)
        with pytest.raises(AddressError):
            normalise({"country_code": junk})


def test_country_names_come_from_babel():
    assert country_name("us") == "United States"
    assert country_name("IE") == "Ireland"


@pytest.mark.parametrize(
    ("typed", "country", "stored"),
    [
        ("(312) 555-0123", "US", "+13125550123"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("613-555-0199", "CA", "+16135550199"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed, country, stored):
    assert normalise_phone(typed, country) == stored


@pytest.mark.parametrize("typed", ["12", "phone", "+1 555", "\u202e123"])
def test_a_number_that_is_not_a_phone_is_refused_with_a_sentence(typed):
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(typed, "US")
