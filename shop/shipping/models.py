"""Where the store ships and what it costs, as staff set it in the back office.

`shop.shipping.service` turns these rows into the rate engine's terms
(`shop.shipping.rates`). Every row a zone is made of hangs off the zone by a foreign
key that deletes with it; a zone's countries must be countries the store sells to, so
a country still shipped to cannot be dropped from that list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.shipping.rates import RateType
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class SellingCountry(db.Model):
    """A country the store sells to: the checkout's country list."""

    __tablename__ = "selling_country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)


class ShippingZone(db.Model):
    __tablename__ = "shipping_zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Zones are tried lowest position first; the first covering the address wins.
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # A save that raced another between the version check and the flush updates no row.
    __mapper_args__ = {"version_id_col": version}

    countries: Mapped[list[ShippingZoneCountry]] = relationship(
        cascade="all, delete-orphan", order_by="ShippingZoneCountry.country_code"
    )
    areas: Mapped[list[ShippingZoneArea]] = relationship(
        cascade="all, delete-orphan",
        order_by="(ShippingZoneArea.country_code, ShippingZoneArea.area_code)",
    )
    postcodes: Mapped[list[ShippingZonePostcode]] = relationship(
        cascade="all, delete-orphan", order_by="ShippingZonePostcode.position"
    )
    methods: Mapped[list[ShippingMethod]] = relationship(
        back_populates="zone",
        cascade="all, delete-orphan",
        order_by="(ShippingMethod.position, ShippingMethod.id)",
    )

    def __repr__(self) -> str:
        return f"<ShippingZone {self.name}>"


class ShippingZoneCountry(db.Model):
    __tablename__ = "shipping_zone_country"

    zone_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_zone.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(
        ForeignKey("selling_country.code", ondelete="RESTRICT"), primary_key=True
    )


class ShippingZoneArea(db.Model):
    """A subdivision the zone is narrowed to, in one of its countries."""

    __tablename__ = "shipping_zone_area"

    zone_id: Mapped[int] = mapped_column(
        ForeignKey("shipping_zone.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(10), primary_key=True)


class ShippingZonePostcode(db.Model):
    """A postcode pattern the zone is narrowed to (`rates.PostcodePattern`)."""

    __tablename__ = "shipping_zone_postcode"
    __table_args__ = (UniqueConstraint("zone_id", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("shipping_zone.id", ondelete="CASCADE"))
    pattern: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)


class ShippingMethod(db.Model):
    __tablename__ = "shipping_method"
    __table_args__ = (
        CheckConstraint("rate_type IN ('flat', 'weight', 'subtotal')", name="rate_type"),
        CheckConstraint("flat_price >= 0", name="flat_price_not_negative"),
        CheckConstraint("min_days >= 0 AND max_days >= min_days", name="delivery_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("shipping_zone.id", ondelete="CASCADE"))
    # The order keeps the name (`Order.shipping_method`) after the method changes.
    name: Mapped[str] = mapped_column(String(40))
    rate_type: Mapped[str] = mapped_column(String(10), default=RateType.FLAT)
    flat_price: Mapped[int] = mapped_column(default=0)
    free_with_promotion: Mapped[bool] = mapped_column(default=False)
    min_days: Mapped[int] = mapped_column(default=1)
    max_days: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    __mapper_args__ = {"version_id_col": version}

    zone: Mapped[ShippingZone] = relationship(back_populates="methods")
    bands: Mapped[list[ShippingRateBand]] = relationship(
        cascade="all, delete-orphan", order_by="ShippingRateBand.start"
    )

    def __repr__(self) -> str:
        return f"<ShippingMethod {self.name}>"


class ShippingRateBand(db.Model):
    """From `start` (grams, or minor units of subtotal) upwards, `price`."""

    __tablename__ = "shipping_rate_band"
    __table_args__ = (
        UniqueConstraint("method_id", "start"),
        CheckConstraint("start >= 0 AND price >= 0", name="band_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_method.id", ondelete="CASCADE"))
    start: Mapped[int]
    price: Mapped[int]


# The one row of shipping settings (made by the migration, or on first use).
SETTINGS_ID = 1


class ShippingSettings(db.Model):
    """The store's shipping settings: one row, SETTINGS_ID."""

    __tablename__ = "shipping_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ask every shopper for a phone number for the courier.
    phone_required: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}
