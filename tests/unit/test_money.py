from __future__ import annotations

import pytest

from shop.money import format_money, parse_major_units, to_decimal
from tests.support.digits import FULLWIDTH_ZERO, written_in


def test_formats_minor_units_through_babel():
    assert format_money(24500) == "$245.00"
    assert format_money(5) == "$0.05"
    assert format_money(123456789) == "$1,234,567.89"
    assert format_money(5800, "EUR", "de_DE") == "58,00\xa0€"


def test_zero_decimal_currency():
    assert str(to_decimal(500, "JPY")) == "500"
    assert format_money(500, "JPY", "ja_JP") == "￥500"


@pytest.mark.parametrize(("text", "minor"), [("19.99", 1999), ("245", 24500), (" 0.5 ", 50)])
def test_parses_staff_input(text, minor):
    assert parse_major_units(text, "USD") == minor


@pytest.mark.parametrize(
    "text",
    ["abc", "1.999", "", "NaN", written_in("19.99"), written_in("19.99", FULLWIDTH_ZERO), "1e2"],
)
def test_rejects_what_is_not_an_amount(text):
    with pytest.raises(ValueError, match=r"amount|decimals"):
        parse_major_units(text, "USD")
