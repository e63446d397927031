"""The demo store's shipping: where it sells and what each zone's methods cost.

Made once, when the store has no zone yet; kept as staff leave them after that. The
rates are plausible for the demo, not any carrier's price list.
"""

from __future__ import annotations

from sqlalchemy import select

from shop.extensions import db
from shop.shipping.models import (
    SellingCountry,
    ShippingMethod,
    ShippingRateBand,
    ShippingZone,
    ShippingZoneArea,
    ShippingZoneCountry,
)
from shop.shipping.rates import RateType

DEMO_COUNTRIES = ("US", "CA", "GB", "IE", "AU", "NZ")

# name, countries, areas (country, code), methods:
#   (name, rate type, flat price, bands [(from, price)], free with promotion, days)
DEMO_ZONES = (
    (
        "Alaska and Hawaii",
        ("US",),
        (("US", "AK"), ("US", "HI")),
        (("Standard", RateType.FLAT, 1800, (), True, (5, 9)),),
    ),
    (
        "United States",
        ("US",),
        (),
        (
            ("Standard", RateType.FLAT, 800, (), True, (3, 5)),
            ("Express", RateType.FLAT, 2000, (), False, (1, 2)),
            ("Free standard", RateType.SUBTOTAL, 0, ((15000, 0),), False, (3, 5)),
        ),
    ),
    (
        "Canada",
        ("CA",),
        (),
        (
            ("Standard", RateType.WEIGHT, 0, ((0, 1500), (1000, 2200), (5000, 3500)), True, (4, 8)),
            ("Express", RateType.FLAT, 3500, (), False, (2, 3)),
        ),
    ),
    (
        "United Kingdom and Ireland",
        ("GB", "IE"),
        (),
        (
            ("Standard", RateType.WEIGHT, 0, ((0, 1200), (1000, 1800)), True, (3, 6)),
            ("Express", RateType.FLAT, 2800, (), False, (1, 3)),
        ),
    ),
    (
        "Australia and New Zealand",
        ("AU", "NZ"),
        (),
        (
            ("Standard", RateType.WEIGHT, 0, ((0, 1800), (1000, 2600)), True, (6, 10)),
            ("Express", RateType.FLAT, 4200, (), False, (3, 5)),
        ),
    ),
)


def seed_shipping() -> tuple[int, int]:
    """(zones created, zones already present)."""
    present = db.session.scalars(select(ShippingZone.id)).all()
    if present:
        return 0, len(present)
    known = set(db.session.scalars(select(SellingCountry.code)))
    for code in DEMO_COUNTRIES:
        if code not in known:
            db.session.add(SellingCountry(code=code))
    db.session.flush()
    for position, (name, countries, areas, methods) in enumerate(DEMO_ZONES):
        zone = ShippingZone(name=name, position=position)
        zone.countries = [ShippingZoneCountry(country_code=code) for code in countries]
        zone.areas = [ShippingZoneArea(country_code=c, area_code=a) for c, a in areas]
        for order, (method_name, rate, flat, bands, free, (low, high)) in enumerate(methods):
            zone.methods.append(
                ShippingMethod(
                    name=method_name,
                    rate_type=rate,
                    flat_price=flat,
                    bands=[ShippingRateBand(start=s, price=p) for s, p in bands],
                    free_with_promotion=free,
                    min_days=low,
                    max_days=high,
                    position=order,
                )
            )
        db.session.add(zone)
    db.session.flush()
    return len(DEMO_ZONES), 0
