"""The shipping rate engine: postcode patterns, which zone covers an address, and the
price of each method for a parcel, at the edges of its bands."""

from __future__ import annotations

import re

import pytest

from shop.shipping.rates import (
    Band,
    Destination,
    MethodTerms,
    Parcel,
    PostcodePattern,
    PostcodePatternError,
    RateType,
    ZoneTerms,
    delivery_estimate,
    options_for,
    price_option,
    zone_for,
    zone_for_country,
)


def method(
    name="Standard",
    rate=RateType.FLAT,
    flat=800,
    bands=(),
    free_with_promotion=False,
    days=(3, 5),
    method_id=1,
) -> MethodTerms:
    return MethodTerms(
        method_id, name, rate, flat, tuple(Band(*b) for b in bands), free_with_promotion, *days
    )


def zone(zone_id, name, countries, areas=(), postcodes=(), methods=()) -> ZoneTerms:
    return ZoneTerms(
        zone_id,
        name,
        frozenset(countries),
        frozenset(areas),
        tuple(PostcodePattern.parse(p) for p in postcodes),
        tuple(methods) or (method(),),
    )


PARCEL = Parcel(weight_grams=500, subtotal=10000, free_shipping=False)


# ------------------------------------------------------------------------ postcodes


@pytest.mark.parametrize(
    ("pattern", "postcode", "matches"),
    [
        ("62704", "62704", True),
        ("62704", "62705", False),
        ("62704", "62704-1234", False),  # exact means exact
        ("90*", "90210", True),
        ("90*", "90210-1234", True),
        ("90*", "91000", False),
        ("90*", "", False),
        ("SW1*", "sw1a 1aa", True),  # case and spaces do not matter
        ("H0H-H9Z", "H0H 0H0", True),
        ("H0H-H9Z", "H9Z 9Z9", True),  # both ends are in the range
        ("H0H-H9Z", "H4A 1A1", True),
        ("H0H-H9Z", "J0H 1A0", False),
        ("H0H-H9Z", "G9Z 9Z9", False),
        ("H0H-H9Z", "H", False),  # too short to fall in the range
        ("90000...96199", "96199", True),
        ("90000...96199", "96200", False),
        ("90000...96199", "89999", False),
        ("90000...96199", "90210-1234", True),  # ZIP+4: its first five digits
        ("100-0001", "100-0001", True),  # a Japanese postcode is not a range
        ("100-0001", "1000001", True),
        ("1000-001", "1000-001", True),  # nor a Portuguese one
        ("D02 X285", "d02x285", True),
    ],
)
def test_postcode_patterns(pattern, postcode, matches):
    assert PostcodePattern.parse(pattern).matches(postcode) is matches


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("62704", "exact"), ("90*", "prefix"), ("H0H-H9Z", "range"), ("100...199", "range")],
)
def test_pattern_kinds(typed, kind):
    assert PostcodePattern.parse(typed).kind == kind


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter a postcode"),
        ("*", "a * may only end a prefix"),
        ("9*0", "a * may only end a prefix"),
        ("90**", "a * may only end a prefix"),
        ("H9Z-H0H", "the range starts after it ends"),
        ("100...1999", "both ends of a range need the same length"),
        ("...199", "a range needs two postcodes"),
        ("10.5", "write a range with three dots"),
        ("90210; DROP TABLE", "is not a postcode pattern"),
        ("<script>", "is not a postcode pattern"),
        ("9" * 41, "is not a postcode pattern"),
    ],
)
def test_patterns_that_are_refused_say_why(typed, reason):
    with pytest.raises(PostcodePatternError, match=re.escape(reason)):
        PostcodePattern.parse(typed)


# ------------------------------------------------------------------------ zones


ALASKA_HAWAII = zone(1, "Alaska and Hawaii", {"US"}, areas={("US", "AK"), ("US", "HI")})
LOS_ANGELES = zone(2, "Los Angeles", {"US"}, postcodes=("900*", "90100...90199"))
UNITED_STATES = zone(3, "United States", {"US"})
QUEBEC_REMOTE = zone(4, "Northern Quebec", {"CA"}, postcodes=("J0M-J0Z",))
NORTH_AMERICA = zone(5, "Canada and Mexico", {"CA", "MX"}, areas={("MX", "CMX")})
ZONES = (ALASKA_HAWAII, LOS_ANGELES, UNITED_STATES, QUEBEC_REMOTE, NORTH_AMERICA)


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        (Destination("US", "AK", "99501"), "Alaska and Hawaii"),
        (Destination("US", "HI", "96813"), "Alaska and Hawaii"),
        (Destination("US", "CA", "90012"), "Los Angeles"),
        (Destination("US", "CA", "90150"), "Los Angeles"),
        (Destination("US", "CA", "94103"), "United States"),
        (Destination("US", "IL", "62704"), "United States"),
        (Destination("US", "", ""), "United States"),
        (Destination("CA", "QC", "J0M 1A0"), "Northern Quebec"),
        (Destination("CA", "QC", "H2X 1Y4"), "Canada and Mexico"),
        # Narrowing to Mexico City applies to Mexico only; Canada stays whole.
        (Destination("CA", "ON", "K1A 0B1"), "Canada and Mexico"),
        (Destination("MX", "CMX", "06000"), "Canada and Mexico"),
        (Destination("MX", "JAL", "44100"), None),
        (Destination("GB", "", "SW1A 1AA"), None),
    ],
)
def test_the_first_zone_covering_the_address_wins(destination, expected):
    found = zone_for(ZONES, destination)
    assert (found.name if found else None) == expected


def test_zone_order_decides_between_zones_that_both_cover():
    assert zone_for((UNITED_STATES, ALASKA_HAWAII), Destination("US", "AK")) is UNITED_STATES
    assert zone_for((ALASKA_HAWAII, UNITED_STATES), Destination("US", "AK")) is ALASKA_HAWAII


def test_an_estimate_by_country_uses_the_first_zone_covering_all_of_it():
    assert zone_for_country(ZONES, "US") is UNITED_STATES
    assert zone_for_country(ZONES, "CA") is NORTH_AMERICA
    assert zone_for_country(ZONES, "MX") is None  # only part of Mexico is covered
    assert zone_for_country(ZONES, "GB") is None


# ------------------------------------------------------------------------ prices


WEIGHT = method(rate=RateType.WEIGHT, bands=((0, 1500), (1000, 2200), (5000, 3500)))
OVER_150 = method(rate=RateType.SUBTOTAL, bands=((15000, 0),))
TIERED = method(rate=RateType.SUBTOTAL, bands=((0, 900), (5000, 500), (10000, 0)))


@pytest.mark.parametrize(
    ("terms", "weight", "subtotal", "price"),
    [
        (method(flat=800), 0, 0, 800),
        (WEIGHT, 0, 0, 1500),
        (WEIGHT, 999, 0, 1500),
        (WEIGHT, 1000, 0, 2200),  # a band starts at its start
        (WEIGHT, 4999, 0, 2200),
        (WEIGHT, 5000, 0, 3500),
        (WEIGHT, 90000, 0, 3500),  # the last band has no end
        (OVER_150, 0, 14999, None),  # below the first band: not offered
        (OVER_150, 0, 15000, 0),
        (TIERED, 0, 0, 900),
        (TIERED, 0, 4999, 900),
        (TIERED, 0, 5000, 500),
        (TIERED, 0, 10000, 0),
    ],
)
def test_band_edges(terms, weight, subtotal, price):
    option = price_option(terms, Parcel(weight, subtotal, free_shipping=False))
    assert (option.price if option else None) == price


def test_a_weight_method_that_starts_above_zero_is_not_offered_for_lighter_parcels():
    heavy_only = method(rate=RateType.WEIGHT, bands=((2000, 4000),))
    assert price_option(heavy_only, Parcel(1999, 0, False)) is None
    assert price_option(heavy_only, Parcel(2000, 0, False)).price == 4000


def test_the_free_shipping_promotion_covers_only_the_methods_that_say_so():
    standard = method("Standard", flat=800, free_with_promotion=True)
    express = method("Express", flat=2000, free_with_promotion=False, method_id=2)
    free = Parcel(500, 10000, free_shipping=True)
    covered, not_covered = price_option(standard, free), price_option(express, free)
    assert (covered.price, covered.regular_price, covered.made_free_by_promotion) == (0, 800, True)
    assert (not_covered.price, not_covered.made_free_by_promotion) == (2000, False)
    paid = price_option(standard, PARCEL)
    assert (paid.price, paid.made_free_by_promotion) == (800, False)


def test_options_are_cheapest_first_and_leave_out_what_is_not_offered():
    express = method("Express", flat=2000, days=(1, 2), method_id=2)
    standard = method("Standard", flat=800, method_id=1)
    free_over = method("Free standard", RateType.SUBTOTAL, bands=((15000, 0),), method_id=3)
    us = zone(9, "US", {"US"}, methods=(express, standard, free_over))
    assert [o.method.name for o in options_for(us, Parcel(0, 9000, False))] == [
        "Standard",
        "Express",
    ]
    assert [o.method.name for o in options_for(us, Parcel(0, 15000, False))] == [
        "Free standard",
        "Standard",
        "Express",
    ]


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (3, 5, "arrives in 3 to 5 business days"),
        (1, 1, "arrives in 1 business day"),
        (2, 2, "arrives in 2 business days"),
    ],
)
def test_delivery_estimates(low, high, text):
    assert delivery_estimate(low, high) == text
