"""The rules for what people type: no invisible text-direction controls, and numbers
written with the ASCII digits 0-9 only (Python's own int() and Decimal() read the
digits of every script)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.input_rules import has_bidi_controls, parse_decimal, parse_whole_number
from tests.support.digits import (
    BENGALI_ZERO,
    EXTENDED_ARABIC_INDIC_ZERO,
    FULLWIDTH_ZERO,
    SUPERSCRIPT_TWO,
    written_in,
)

BIDI_CONTROLS = [
    "\u202a",  # left-to-right embedding
    "\u202b",  # right-to-left embedding
    "\u202c",  # pop directional formatting
    "\u202d",  # left-to-right override
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2067",  # right-to-left isolate
    "\u2068",  # first strong isolate
    "\u2069",  # pop directional isolate
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
]


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_every_bidi_control_is_found(control):
    assert has_bidi_controls(f"Ana{control}Li")
    assert has_bidi_controls(control)


@pytest.mark.parametrize(
    "text", ["Ana Li", "العربية", "עברית", "Ünïcødé ✨ 🧴", "two\nlines\tand a tab", ""]
)
def test_text_in_any_script_has_none(text):
    assert not has_bidi_controls(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [("0", 0), ("12", 12), (" 7 ", 7), ("-3", -3), ("+4", 4), ("007", 7)],
)
def test_whole_numbers_in_ascii_digits_are_read(text, number):
    assert parse_whole_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        written_in("1"),  # Arabic-Indic: int() reads it as 1
        written_in("12"),
        written_in("3", EXTENDED_ARABIC_INDIC_ZERO),
        written_in("12", FULLWIDTH_ZERO),
        written_in("3", BENGALI_ZERO),
        SUPERSCRIPT_TWO,
        f"1{written_in('2')}",  # one digit of another script among 0-9
        "1_000",
        "1.0",
        "1e3",
        "0x10",
        "--1",
        "1 2",
        "",
        "  ",
    ],
)
def test_other_digits_and_shapes_are_not_whole_numbers(text):
    with pytest.raises(ValueError):
        parse_whole_number(text)


@pytest.mark.parametrize(
    ("text", "number"),
    [("19.99", "19.99"), ("245", "245"), (" 0.5 ", "0.5"), (".5", "0.5"), ("-1.25", "-1.25")],
)
def test_decimals_in_ascii_digits_are_read(text, number):
    assert parse_decimal(text) == Decimal(number)


@pytest.mark.parametrize(
    "text",
    [
        written_in("19.99"),
        written_in("19.99", FULLWIDTH_ZERO),
        "1e2",
        "NaN",
        "Infinity",
        "1_0",
        "1.2.3",
        ".",
        "-",
        "",
    ],
)
def test_other_digits_and_shapes_are_not_decimals(text):
    with pytest.raises(ValueError):
        parse_decimal(text)
