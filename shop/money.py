"""Money as integer minor units (cents), formatted through Babel.

Amounts are kept as integers of the currency's smallest unit, as the payment API
uses them, so no float ever touches a price.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from shop.input_rules import parse_decimal


@lru_cache(maxsize=16)
def _minor_unit_factor(currency: str) -> int:
    return 10 ** get_currency_precision(currency)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """Minor units to a Decimal in major units: 24500 USD -> Decimal('245.00')."""
    factor = _minor_unit_factor(currency)
    return (Decimal(amount_minor) / factor).quantize(Decimal(1) / factor)


# A store shows the same few hundred amounts over and over (prices, thresholds, the
# gift's value), and Babel's formatting is the costliest step of pricing a cart.
@lru_cache(maxsize=4096)
def format_money(amount_minor: int, currency: str = "USD", locale: str = "en_US") -> str:
    """Format for display: 24500 -> '$245.00' (en_US, USD)."""
    return format_currency(to_decimal(amount_minor, currency), currency, locale=locale)


def parse_major_units(text: str, currency: str) -> int:
    """Parse a price typed by staff ('19.99') into minor units; ValueError if it is not one.

    Digits 0-9 only: Decimal() alone would read 19.99 typed in Arabic-Indic digits.
    """
    try:
        value = parse_decimal(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an amount") from None
    factor = _minor_unit_factor(currency)
    minor = value * factor
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return int(minor)
