"""Back-office changes to shipping: the countries the store sells to, zones, their
methods and rates, and the checkout's shipping settings.

Zones, methods and the settings row carry a version. The edit form sends the version
it was opened at: a change to a row saved since is refused with the saved values
(StaleEditError), and one that races another between that check and the flush is
caught by the ORM's version column and refused the same way. Every change writes its
audit entry in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from shop.addresses.rules import country_name, subdivisions
from shop.admin import audit
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.models import StaffUser
from shop.admin.simulator import SampleCartError, parse_sample_cart
from shop.cart import service as cart_service
from shop.cart.store import ShopperCart, ShopperCartLine
from shop.extensions import db
from shop.shipping import service as shipping
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
from shop.shipping.rates import Destination, PostcodePattern, PostcodePatternError, RateType
from shop.timeutil import utcnow

MAX_DAYS = 90
MAX_BANDS = 10
MAX_POSTCODE_PATTERNS = 200


# ------------------------------------------------------------------------ reading


def list_zones() -> list[ShippingZone]:
    return shipping.load_zones()


def get_zone(zone_id: int) -> ShippingZone | None:
    return db.session.get(ShippingZone, zone_id)


def get_method(method_id: int) -> ShippingMethod | None:
    return db.session.get(ShippingMethod, method_id)


def selling_countries() -> tuple[str, ...]:
    return shipping.by_name(db.session.scalars(select(SellingCountry.code)))


def settings() -> ShippingSettings:
    """The settings row, made (unsaved until the unit commits) on first use."""
    row = db.session.get(ShippingSettings, SETTINGS_ID)
    if row is None:
        row = ShippingSettings(id=SETTINGS_ID, phone_required=False, version=1)
        db.session.add(row)
        db.session.flush()
    return row


def uncovered_countries() -> tuple[str, ...]:
    """Countries the store sells to that no zone covers: checkout refuses them."""
    covered = set(db.session.scalars(select(ShippingZoneCountry.country_code)))
    return tuple(code for code in selling_countries() if code not in covered)


def zone_snapshot(zone: ShippingZone) -> dict:
    return {
        "name": zone.name,
        "position": zone.position,
        "countries": [c.country_code for c in zone.countries],
        "areas": [f"{a.country_code}-{a.area_code}" for a in zone.areas],
        "postcodes": [p.pattern for p in zone.postcodes],
    }


def method_snapshot(method: ShippingMethod) -> dict:
    return {
        "name": method.name,
        "rate_type": method.rate_type,
        "flat_price": method.flat_price,
        "bands": [[band.start, band.price] for band in method.bands],
        "free_with_promotion": method.free_with_promotion,
        "min_days": method.min_days,
        "max_days": method.max_days,
        "position": method.position,
    }


# ------------------------------------------------------------------------ countries


def _known_country(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 2 or not code.isalpha() or country_name(code) == code:
        raise AdminActionError("Choose a country.", {"country": "Choose a country."})
    return code


def add_selling_country(code: str, staff: StaffUser) -> str:
    code = _known_country(code)
    if db.session.get(SellingCountry, code) is not None:
        raise AdminActionError(
            f"The store already sells to {country_name(code)}.",
            {"country": f"{country_name(code)} is already on the list."},
        )
    db.session.add(SellingCountry(code=code))
    audit.record(
        staff,
        "shipping.country_added",
        "selling_country",
        code,
        f"Started selling to {country_name(code)}",
        after={"country": code},
    )
    _flush()
    return code


def remove_selling_country(code: str, staff: StaffUser) -> str:
    code = _known_country(code)
    row = db.session.get(SellingCountry, code)
    if row is None:
        raise AdminActionError(f"The store does not sell to {country_name(code)}.")
    zones = db.session.scalars(
        select(ShippingZone.name)
        .join(ShippingZoneCountry, ShippingZoneCountry.zone_id == ShippingZone.id)
        .where(ShippingZoneCountry.country_code == code)
        .order_by(ShippingZone.position)
    ).all()
    if zones:
        raise AdminActionError(
            f"{country_name(code)} is still in the zone{'s' if len(zones) > 1 else ''} "
            f"{', '.join(zones)}. Take it out of those zones first."
        )
    db.session.delete(row)
    audit.record(
        staff,
        "shipping.country_removed",
        "selling_country",
        code,
        f"Stopped selling to {country_name(code)}",
        before={"country": code},
    )
    _flush()
    return code


# ------------------------------------------------------------------------ settings


def save_settings(phone_required: bool, expected_version: int | None, staff: StaffUser) -> None:
    row = settings()
    before = {"phone_required": row.phone_required}
    if expected_version is None or row.version != expected_version:
        raise StaleEditError("setting", row.version, before)
    if row.phone_required == phone_required:
        return
    row.phone_required = phone_required
    audit.record(
        staff,
        "shipping.settings_updated",
        "shipping_settings",
        row.id,
        "Made the phone number required at checkout"
        if phone_required
        else "Made the phone number optional at checkout",
        before=before,
        after={"phone_required": phone_required},
    )
    _flush(lambda: StaleEditError("setting", settings().version, {}))


# ------------------------------------------------------------------------ zones


@dataclass(frozen=True)
class ZoneData:
    name: str
    position: int
    countries: tuple[str, ...]
    areas: str  # "US-AK US-HI", or "AK HI" for a zone of one country
    postcodes: str  # one pattern per line, or separated by commas


def _split(text: str) -> list[str]:
    return [part for part in (text or "").replace(",", "\n").split() if part]


def parse_areas(text: str, countries: Sequence[str]) -> list[tuple[str, str]]:
    """The subdivisions typed, as (country, code); raises AdminActionError naming the
    first one that is not a subdivision of the zone's countries."""
    found: list[tuple[str, str]] = []
    for typed in _split(text):
        country, _, code = typed.upper().rpartition("-")
        if not country:
            if len(countries) != 1:
                raise _area_error(f"Write {typed} with its country, like US-{typed.upper()}.")
            country = countries[0]
        if country not in countries:
            raise _area_error(
                f"{typed}: {country_name(country)} is not one of this zone's countries."
            )
        known = {known_code.upper(): known_code for known_code, _ in subdivisions(country)}
        if code not in known:
            raise _area_error(f"{typed} is not a subdivision of {country_name(country)}.")
        if (country, known[code]) not in found:
            found.append((country, known[code]))
    return found


def _area_error(message: str) -> AdminActionError:
    return AdminActionError("Please correct the highlighted fields.", {"areas": message})


def parse_postcodes(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").replace(",", "\n").splitlines()]
    patterns: list[str] = []
    for line in filter(None, lines):
        try:
            pattern = PostcodePattern.parse(line)
        except PostcodePatternError as error:
            raise AdminActionError(
                "Please correct the highlighted fields.", {"postcodes": str(error)}
            ) from None
        if pattern.text not in patterns:
            patterns.append(pattern.text)
    if len(patterns) > MAX_POSTCODE_PATTERNS:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"postcodes": f"A zone may have up to {MAX_POSTCODE_PATTERNS} postcode patterns."},
        )
    return patterns


def _validate_zone(data: ZoneData, zone_id: int | None) -> tuple[list, list]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Enter a name."
    elif db.session.scalar(
        select(ShippingZone.id).where(ShippingZone.name == name, ShippingZone.id != (zone_id or 0))
    ):
        errors["name"] = f"Another zone is called {name}."
    sold = set(selling_countries())
    if not data.countries:
        errors["countries"] = "Choose at least one country."
    elif set(data.countries) - sold:
        errors["countries"] = "Choose countries the store sells to."
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)
    return parse_areas(data.areas, data.countries), parse_postcodes(data.postcodes)


def _fill_zone(zone: ShippingZone, data: ZoneData, areas: list, postcodes: list) -> None:
    zone.name = data.name.strip()
    zone.position = data.position
    wanted = sorted(set(data.countries))
    if [c.country_code for c in zone.countries] != wanted:
        zone.countries = [ShippingZoneCountry(country_code=code) for code in wanted]
    if [(a.country_code, a.area_code) for a in zone.areas] != sorted(areas):
        zone.areas = [ShippingZoneArea(country_code=c, area_code=a) for c, a in sorted(areas)]
    if [p.pattern for p in zone.postcodes] != postcodes:
        zone.postcodes = [
            ShippingZonePostcode(pattern=pattern, position=index)
            for index, pattern in enumerate(postcodes)
        ]


def create_zone(data: ZoneData, staff: StaffUser) -> ShippingZone:
    areas, postcodes = _validate_zone(data, None)
    zone = ShippingZone(version=1)
    _fill_zone(zone, data, areas, postcodes)
    db.session.add(zone)
    _flush()
    audit.record(
        staff,
        "shipping.zone_created",
        "shipping_zone",
        zone.id,
        f"Created shipping zone {zone.name}",
        after=zone_snapshot(zone),
    )
    _flush()
    return zone


def _zone_or_error(zone_id: int) -> ShippingZone:
    zone = get_zone(zone_id)
    if zone is None:
        raise AdminActionError("This shipping zone no longer exists.")
    return zone


def _check_zone_version(zone: ShippingZone, expected_version: int | None) -> None:
    if expected_version is None or zone.version != expected_version:
        raise StaleEditError("shipping zone", zone.version, zone_snapshot(zone))


def _stale_zone(zone_id: int) -> Callable[[], AdminActionError]:
    def refusal() -> AdminActionError:
        fresh = get_zone(zone_id)
        if fresh is None:
            return AdminActionError("This shipping zone was deleted by someone else.")
        return StaleEditError("shipping zone", fresh.version, zone_snapshot(fresh))

    return refusal


def update_zone(
    zone_id: int, expected_version: int | None, data: ZoneData, staff: StaffUser
) -> ShippingZone:
    zone = _zone_or_error(zone_id)
    _check_zone_version(zone, expected_version)
    areas, postcodes = _validate_zone(data, zone.id)
    before = zone_snapshot(zone)
    _fill_zone(zone, data, areas, postcodes)
    after = zone_snapshot(zone)
    if after == before:
        return zone
    zone.updated_at = utcnow()  # the version moves with changes to its parts too
    _flush(_stale_zone(zone.id))
    audit.record(
        staff,
        "shipping.zone_updated",
        "shipping_zone",
        zone.id,
        f"Edited shipping zone {zone.name} (now version {zone.version})",
        before={**before, "version": expected_version},
        after={**after, "version": zone.version},
    )
    _flush()
    return zone


def delete_zone(zone_id: int, expected_version: int | None, staff: StaffUser) -> str:
    zone = _zone_or_error(zone_id)
    _check_zone_version(zone, expected_version)
    before = zone_snapshot(zone)
    before["methods"] = [method_snapshot(m) for m in zone.methods]
    name = zone.name
    db.session.delete(zone)
    _flush(_stale_zone(zone_id))
    audit.record(
        staff,
        "shipping.zone_deleted",
        "shipping_zone",
        zone_id,
        f"Deleted shipping zone {name}",
        before=before,
    )
    _flush()
    return name


# ------------------------------------------------------------------------ methods


@dataclass(frozen=True)
class MethodData:
    name: str
    rate_type: str
    flat_price: int | None
    bands: tuple[tuple[int | None, int | None], ...]  # (from, price) rows as typed
    free_with_promotion: bool
    min_days: int
    max_days: int
    position: int


def _validate_method(data: MethodData) -> list[tuple[int, int]]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Enter a name."
    if data.rate_type not in tuple(RateType):
        errors["rate_type"] = "Choose how the method is priced."
    if data.rate_type == RateType.FLAT and data.flat_price is None:
        errors["flat_price"] = "Enter the price."
    if not 0 <= data.min_days <= MAX_DAYS:
        errors["min_days"] = f"Enter a number of business days from 0 to {MAX_DAYS}."
    if not 0 <= data.max_days <= MAX_DAYS:
        errors["max_days"] = f"Enter a number of business days from 0 to {MAX_DAYS}."
    elif data.max_days < data.min_days:
        errors["max_days"] = "The latest day cannot come before the earliest."
    bands: list[tuple[int, int]] = []
    if data.rate_type in (RateType.WEIGHT, RateType.SUBTOTAL):
        for index, (start, price) in enumerate(data.bands):
            if start is None and price is None:
                continue
            if start is None or price is None:
                errors[f"bands-{index}"] = "Fill in both the start of the band and its price."
                continue
            bands.append((start, price))
        starts = [start for start, _ in bands]
        if not bands and not any(key.startswith("bands-") for key in errors):
            errors["bands"] = "Enter at least one band: where it starts and its price."
        elif len(set(starts)) != len(starts):
            errors["bands"] = "Two bands start at the same amount; each needs its own start."
        elif len(bands) > MAX_BANDS:
            errors["bands"] = f"A method may have up to {MAX_BANDS} bands."
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)
    return sorted(bands)


def _fill_method(method: ShippingMethod, data: MethodData, bands: list[tuple[int, int]]) -> None:
    method.name = data.name.strip()
    method.rate_type = data.rate_type
    method.flat_price = (data.flat_price or 0) if data.rate_type == RateType.FLAT else 0
    method.free_with_promotion = data.free_with_promotion
    method.min_days = data.min_days
    method.max_days = data.max_days
    method.position = data.position
    if [(band.start, band.price) for band in method.bands] != bands:
        method.bands = [ShippingRateBand(start=start, price=price) for start, price in bands]


def create_method(zone_id: int, data: MethodData, staff: StaffUser) -> ShippingMethod:
    zone = _zone_or_error(zone_id)
    bands = _validate_method(data)
    method = ShippingMethod(zone_id=zone.id, version=1)
    _fill_method(method, data, bands)
    db.session.add(method)
    _flush()
    audit.record(
        staff,
        "shipping.method_created",
        "shipping_method",
        method.id,
        f"Added shipping method {method.name} to {zone.name}",
        after=method_snapshot(method),
    )
    _flush()
    return method


def _method_or_error(method_id: int) -> ShippingMethod:
    method = get_method(method_id)
    if method is None:
        raise AdminActionError("This shipping method no longer exists.")
    return method


def _check_method_version(method: ShippingMethod, expected_version: int | None) -> None:
    if expected_version is None or method.version != expected_version:
        raise StaleEditError("shipping method", method.version, method_snapshot(method))


def _stale_method(method_id: int) -> Callable[[], AdminActionError]:
    def refusal() -> AdminActionError:
        fresh = get_method(method_id)
        if fresh is None:
            return AdminActionError("This shipping method was deleted by someone else.")
        return StaleEditError("shipping method", fresh.version, method_snapshot(fresh))

    return refusal


def update_method(
    method_id: int, expected_version: int | None, data: MethodData, staff: StaffUser
) -> ShippingMethod:
    method = _method_or_error(method_id)
    _check_method_version(method, expected_version)
    bands = _validate_method(data)
    before = method_snapshot(method)
    _fill_method(method, data, bands)
    after = method_snapshot(method)
    if after == before:
        return method
    method.updated_at = utcnow()
    _flush(_stale_method(method.id))
    audit.record(
        staff,
        "shipping.method_updated",
        "shipping_method",
        method.id,
        f"Edited shipping method {method.name} of {method.zone.name} "
        f"(now version {method.version})",
        before={**before, "version": expected_version},
        after={**after, "version": method.version},
    )
    _flush()
    return method


def delete_method(method_id: int, expected_version: int | None, staff: StaffUser) -> ShippingZone:
    method = _method_or_error(method_id)
    _check_method_version(method, expected_version)
    zone, name, before = method.zone, method.name, method_snapshot(method)
    db.session.delete(method)
    _flush(_stale_method(method_id))
    audit.record(
        staff,
        "shipping.method_deleted",
        "shipping_method",
        method_id,
        f"Deleted shipping method {name} of {zone.name}",
        before=before,
    )
    _flush()
    return zone


# ------------------------------------------------------------------------ zone tester


@dataclass(frozen=True)
class ShippingTest:
    pricing: cart_service.CartPricing
    quote: shipping.ShippingQuote


def try_address(
    destination: Destination, cart_text: str, codes: tuple[str, ...], fmt: Callable[[int], str]
) -> ShippingTest:
    """Which zone and methods, at what prices, for this address and this sample cart
    (typed "SKU quantity" per line; the promotions apply as for a shopper)."""
    try:
        sample = parse_sample_cart(cart_text, codes)
    except SampleCartError as error:
        raise AdminActionError(
            "Please correct the highlighted fields.", {"sample_cart": str(error)}
        ) from None
    if sample is None:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"sample_cart": "Enter a cart: one SKU per line, with a quantity after it."},
        )
    cart = ShopperCart(
        id=0,
        token="",
        email=None,
        codes=list(codes),
        declined_gift_rule_ids=[],
        gift_rule_ids=[],
        lines=[ShopperCartLine(line.variant_id, line.quantity) for line in sample.lines],
    )
    pricing = cart_service.price(cart, fmt)
    return ShippingTest(pricing, shipping.quote_for(destination, pricing.parcel))


# ------------------------------------------------------------------------ writing


def _flush(stale: Callable[[], AdminActionError] | None = None) -> None:
    """Write the changes so far; a lost race on a version becomes a message."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        if stale is None:
            raise AdminActionError(
                "Someone else changed this meanwhile; please try again."
            ) from None
        raise stale() from None
    except IntegrityError as error:
        db.session.rollback()
        if "name" in str(error.orig).lower():
            raise AdminActionError(
                "Please correct the highlighted fields.",
                {"name": "Another zone was just saved with this name."},
            ) from None
        raise AdminActionError("The change conflicts with another one; please try again.") from None
