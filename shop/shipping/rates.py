"""Which shipping zone an address falls in, and what each of its methods costs.

Pure, like the promotions engine: it takes frozen terms (zones with their methods,
the destination, the parcel) and returns priced options; the rows staff edit are
turned into these terms by `shop.shipping.service`. Nothing here reads the database,
the request or a clock.

- A zone covers a set of countries, optionally narrowed to some of their
  subdivisions (per country: a zone listing Alaska and Hawaii covers only those two
  US states) and to postcodes (exact, a prefix like ``90*``, or a range like
  ``H0H-H9Z`` or ``90000...96199``). Zones are tried in the order staff give them;
  the first that covers the address wins.
- A method is priced flat, by the parcel's weight or by its subtotal. Weight and
  subtotal rates are bands, each "from this amount upwards, this price" until the
  next band starts; below the first band the method is not offered (so "free over
  $150" is a method whose only band starts at $150).
- The promotions' free-shipping reward makes a method free only where the method
  says the reward covers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class RateType(StrEnum):
    FLAT = "flat"
    WEIGHT = "weight"  # bands of the parcel's weight, in grams
    SUBTOTAL = "subtotal"  # bands of the merchandise total after discounts, minor units


@dataclass(frozen=True)
class Band:
    """From `start` (inclusive) upwards, until the next band starts, the price."""

    start: int
    price: int


@dataclass(frozen=True)
class MethodTerms:
    id: int
    name: str
    rate_type: RateType
    flat_price: int  # minor units; used when the rate is flat
    bands: tuple[Band, ...]  # sorted by start; used when the rate is by weight or subtotal
    free_with_promotion: bool
    min_days: int  # delivery estimate, in business days
    max_days: int


@dataclass(frozen=True)
class Destination:
    country: str  # ISO 3166-1 alpha-2
    area: str = ""  # subdivision code ("IL"), if the country has them
    postcode: str = ""


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    subtotal: int  # merchandise after discounts, minor units
    free_shipping: bool  # the promotions granted free shipping


class PostcodePatternError(ValueError):
    """The text is not a postcode pattern; the message says why."""


_ALLOWED = re.compile(r"^[A-Z0-9 *.\-]+$")


def _compact(postcode: str) -> str:
    """A postcode as patterns compare it: capitals, no spaces or hyphens."""
    return re.sub(r"[\s\-]", "", postcode.upper())


@dataclass(frozen=True)
class PostcodePattern:
    """One postcode rule of a zone: ``62704`` (that postcode), ``90*`` (every postcode
    starting 90), ``H0H-H9Z`` or ``90000...96199`` (every postcode whose first
    characters fall in the range, ends included). A hyphen is read as a range only
    between two ends of the same length, so postcodes written with a hyphen
    (``100-0001``, ``1000-001``) stay exact."""

    text: str
    kind: str  # "exact", "prefix" or "range"
    low: str
    high: str = ""

    @classmethod
    def parse(cls, text: str) -> PostcodePattern:
        shown = " ".join(text.upper().split())
        if not shown:
            raise PostcodePatternError("Enter a postcode, a prefix such as 90* or a range.")
        if len(shown) > 40 or not _ALLOWED.match(shown):
            raise PostcodePatternError(
                f"“{text.strip()[:40]}” is not a postcode pattern: use letters, digits, "
                "a * at the end, or a range such as H0H-H9Z."
            )
        if "..." in shown:
            low, _, high = (part.strip() for part in shown.partition("..."))
            return cls._range(shown, low, high)
        if "*" in shown:
            if shown.count("*") > 1 or not shown.endswith("*") or len(shown) == 1:
                raise PostcodePatternError(
                    f"“{shown}”: a * may only end a prefix, such as 90* or SW1*."
                )
            return cls(shown, "prefix", _compact(shown[:-1]))
        if "." in shown:
            raise PostcodePatternError(f"“{shown}”: write a range with three dots, like 100...199.")
        parts = shown.split("-")
        if len(parts) == 2 and len(parts[0].strip()) == len(parts[1].strip()):
            return cls._range(shown, parts[0].strip(), parts[1].strip())
        return cls(shown, "exact", _compact(shown))

    @classmethod
    def _range(cls, shown: str, low: str, high: str) -> PostcodePattern:
        low, high = _compact(low), _compact(high)
        if not low or not high or "." in low + high or "*" in low + high:
            raise PostcodePatternError(f"“{shown}”: a range needs two postcodes, like H0H-H9Z.")
        if len(low) != len(high):
            raise PostcodePatternError(f"“{shown}”: both ends of a range need the same length.")
        if low > high:
            raise PostcodePatternError(f"“{shown}”: the range starts after it ends.")
        return cls(shown, "range", low, high)

    def matches(self, postcode: str) -> bool:
        code = _compact(postcode)
        if not code:
            return False
        if self.kind == "exact":
            return code == self.low
        if self.kind == "prefix":
            return code.startswith(self.low)
        head = code[: len(self.low)]
        return len(head) == len(self.low) and self.low <= head <= self.high


@dataclass(frozen=True)
class ZoneTerms:
    id: int
    name: str
    countries: frozenset[str]
    # (country, subdivision code): a country listed here is covered only in these.
    areas: frozenset[tuple[str, str]]
    postcodes: tuple[PostcodePattern, ...]  # empty: every postcode
    methods: tuple[MethodTerms, ...]  # in the order staff list them

    def covers(self, destination: Destination) -> bool:
        if destination.country not in self.countries:
            return False
        # Codes compared case-blind: Mexico's "Ags." may be typed "AGS." before checkout
        # normalises it.
        narrowed_to = {
            area.upper() for country, area in self.areas if country == destination.country
        }
        if narrowed_to and destination.area.upper() not in narrowed_to:
            return False
        return not self.postcodes or any(p.matches(destination.postcode) for p in self.postcodes)

    def covers_country(self, country: str) -> bool:
        """Whether the zone covers all of `country` (for an estimate before the address
        is known: a zone narrowed to some of it may not be the one that applies)."""
        return (
            country in self.countries
            and not self.postcodes
            and not any(c == country for c, _ in self.areas)
        )


@dataclass(frozen=True)
class ShippingOption:
    """A method offered for this parcel, priced."""

    method: MethodTerms
    price: int  # what the shopper pays
    regular_price: int  # before the free-shipping reward
    band: Band | None  # the band that set the price, for rates by weight or subtotal

    @property
    def made_free_by_promotion(self) -> bool:
        return self.price == 0 and self.regular_price > 0

    @property
    def estimate(self) -> str:
        return delivery_estimate(self.method.min_days, self.method.max_days)


def delivery_estimate(min_days: int, max_days: int) -> str:
    """ "arrives in 3 to 5 business days", as the checkout and the e-mails say it."""
    if min_days == max_days:
        days = "business day" if max_days == 1 else "business days"
        return f"arrives in {max_days} {days}"
    return f"arrives in {min_days} to {max_days} business days"


def zone_for(zones: tuple[ZoneTerms, ...], destination: Destination) -> ZoneTerms | None:
    """The first zone, in staff's order, that covers the address."""
    return next((zone for zone in zones if zone.covers(destination)), None)


def zone_for_country(zones: tuple[ZoneTerms, ...], country: str) -> ZoneTerms | None:
    """The first zone covering the whole country: what an estimate by country uses."""
    return next((zone for zone in zones if zone.covers_country(country)), None)


def band_for(bands: tuple[Band, ...], amount: int) -> Band | None:
    """The band `amount` falls in: the last one starting at or below it."""
    found = None
    for band in bands:
        if band.start <= amount:
            found = band
        else:
            break
    return found


def price_option(method: MethodTerms, parcel: Parcel) -> ShippingOption | None:
    """The method priced for the parcel, or None when it is not offered for it (below
    its first band)."""
    band = None
    if method.rate_type == RateType.FLAT:
        regular = method.flat_price
    else:
        measure = parcel.weight_grams if method.rate_type == RateType.WEIGHT else parcel.subtotal
        band = band_for(method.bands, measure)
        if band is None:
            return None
        regular = band.price
    free = parcel.free_shipping and method.free_with_promotion
    return ShippingOption(method, 0 if free else regular, regular, band)


def options_for(zone: ZoneTerms, parcel: Parcel) -> tuple[ShippingOption, ...]:
    """The zone's methods offered for this parcel, cheapest first (staff's order
    between equal prices)."""
    priced = [option for m in zone.methods if (option := price_option(m, parcel)) is not None]
    return tuple(sorted(priced, key=lambda option: option.price))
