"""Shipping for the storefront: the countries the store sells to, the zone an address
falls in and the priced methods a parcel can go by.

The zones staff edit are read once into the rate engine's terms and kept in a
process cache that every change to a shipping row empties (on every server, through
`shop.cache`): a checkout prices shipping without a query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from shop.addresses.rules import PostalAddress, country_name
from shop.cache import ContentCache, caches
from shop.extensions import db
from shop.shipping.models import (
    SETTINGS_ID,
    SellingCountry,
    ShippingMethod,
    ShippingRateBand,
    ShippingSettings,
    ShippingZone,
    ShippingZoneArea,
    ShippingZoneCountry,
    ShippingZonePostcode,
)
from shop.shipping.rates import (
    Band,
    Destination,
    MethodTerms,
    Parcel,
    PostcodePattern,
    PostcodePatternError,
    RateType,
    ShippingOption,
    ZoneTerms,
    options_for,
    zone_for,
    zone_for_country,
)

log = logging.getLogger(__name__)

SHIPPING = "shipping"
_SNAPSHOT_KEY = "snapshot"
# Emptied by every change to a shipping row; the time only bounds a missed signal.
KEEP_SECONDS = 3600.0
SHIPPING_ROWS = (
    SellingCountry,
    ShippingZone,
    ShippingZoneCountry,
    ShippingZoneArea,
    ShippingZonePostcode,
    ShippingMethod,
    ShippingRateBand,
    ShippingSettings,
)


def init_app(app: Flask) -> None:
    caches(app).add(ContentCache(SHIPPING, maxsize=1, ttl=KEEP_SECONDS), watches=SHIPPING_ROWS)


@dataclass(frozen=True)
class ShippingSnapshot:
    countries: tuple[str, ...]  # the countries the store sells to, by name
    zones: tuple[ZoneTerms, ...]  # in the order they are tried
    phone_required: bool


@dataclass(frozen=True)
class ShippingQuote:
    """The zone an address falls in and the methods offered there, cheapest first;
    `problem` says why there are none."""

    destination: Destination
    zone: ZoneTerms | None
    options: tuple[ShippingOption, ...]
    problem: str = ""

    def option(self, method_id: int | str | None) -> ShippingOption | None:
        wanted = str(method_id or "")
        return next((o for o in self.options if str(o.method.id) == wanted), None)

    @property
    def cheapest(self) -> ShippingOption | None:
        return self.options[0] if self.options else None


# ------------------------------------------------------------------------ reading


def method_terms(method: ShippingMethod) -> MethodTerms:
    return MethodTerms(
        id=method.id,
        name=method.name,
        rate_type=RateType(method.rate_type),
        flat_price=method.flat_price,
        bands=tuple(Band(band.start, band.price) for band in method.bands),
        free_with_promotion=method.free_with_promotion,
        min_days=method.min_days,
        max_days=method.max_days,
    )


def zone_terms(zone: ShippingZone) -> ZoneTerms:
    """The zone as the rate engine reads it. Raises PostcodePatternError for a stored
    pattern the engine cannot read (the back office never saves one)."""
    return ZoneTerms(
        id=zone.id,
        name=zone.name,
        countries=frozenset(c.country_code for c in zone.countries),
        areas=frozenset((a.country_code, a.area_code) for a in zone.areas),
        postcodes=tuple(PostcodePattern.parse(p.pattern) for p in zone.postcodes),
        methods=tuple(method_terms(m) for m in zone.methods),
    )


def load_zones() -> list[ShippingZone]:
    return list(
        db.session.scalars(
            select(ShippingZone)
            .options(
                selectinload(ShippingZone.countries),
                selectinload(ShippingZone.areas),
                selectinload(ShippingZone.postcodes),
                selectinload(ShippingZone.methods).selectinload(ShippingMethod.bands),
            )
            .order_by(ShippingZone.position, ShippingZone.id)
        )
    )


def _readable_zones(rows: list[ShippingZone]) -> tuple[ZoneTerms, ...]:
    zones = []
    for zone in rows:
        try:
            zones.append(zone_terms(zone))
        except PostcodePatternError:
            # Skipped, not widened: a zone whose postcodes cannot be read covers nothing.
            log.warning("Shipping zone %s has an unreadable postcode pattern", zone.id)
    return tuple(zones)


def by_name(codes) -> tuple[str, ...]:
    return tuple(sorted(codes, key=country_name))


def _read_snapshot() -> ShippingSnapshot:
    countries = by_name(db.session.scalars(select(SellingCountry.code)))
    settings = db.session.get(ShippingSettings, SETTINGS_ID)
    return ShippingSnapshot(
        countries=countries,
        zones=_readable_zones(load_zones()),
        phone_required=bool(settings and settings.phone_required),
    )


def snapshot() -> ShippingSnapshot:
    """The shipping settings as this process last read them."""
    if not has_app_context():
        return _read_snapshot()
    return caches().fresh(SHIPPING).get_or_read(_SNAPSHOT_KEY, _read_snapshot)


def selling_countries() -> tuple[str, ...]:
    return snapshot().countries


def phone_required() -> bool:
    return snapshot().phone_required


# ------------------------------------------------------------------------ quoting


def destination_of(address: PostalAddress) -> Destination:
    return Destination(address.country_code, address.country_area_code, address.postal_code)


def where_we_ship(countries: tuple[str, ...]) -> str:
    names = [country_name(code) for code in countries]
    if not names:
        return "This store does not ship anywhere yet."
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"We ship to {listed}."


def quote_for(destination: Destination, parcel: Parcel) -> ShippingQuote:
    """The methods offered to this address for this parcel."""
    shipping = snapshot()
    if destination.country not in shipping.countries:
        problem = f"We do not ship to {country_name(destination.country)}. " + where_we_ship(
            shipping.countries
        )
        return ShippingQuote(destination, None, (), problem)
    zone = zone_for(shipping.zones, destination)
    if zone is None:
        return ShippingQuote(
            destination,
            None,
            (),
            "We do not ship to this address. " + where_we_ship(_zone_countries(shipping)),
        )
    options = options_for(zone, parcel)
    if not options:
        return ShippingQuote(
            destination,
            zone,
            (),
            "None of our shipping methods can take this order to this address. "
            "Please change your cart or write to us.",
        )
    return ShippingQuote(destination, zone, options)


def estimate_for_country(country: str, parcel: Parcel) -> ShippingQuote:
    """What shipping to `country` costs, before the address is known: the first zone
    covering the whole country (a zone narrowed to some of it may apply once the
    address is typed)."""
    shipping = snapshot()
    destination = Destination(country)
    zone = zone_for_country(shipping.zones, country) if country in shipping.countries else None
    if zone is None:
        return quote_for(destination, parcel)
    options = options_for(zone, parcel)
    return ShippingQuote(destination, zone, options, "" if options else "No method fits.")


def _zone_countries(shipping: ShippingSnapshot) -> tuple[str, ...]:
    covered = {code for zone in shipping.zones for code in zone.countries}
    return tuple(code for code in shipping.countries if code in covered)
