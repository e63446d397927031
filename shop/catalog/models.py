"""Products, variants and bundles.

A product is what a shopper sees (a page, a description); a variant is what is sold
and stocked (a colour, a size). A bundle is a product whose variants are made of
other variants: it holds no stock of its own, its availability is the minimum its
parts allow, and selling one takes stock from each part.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class ProductType(StrEnum):
    """The kinds of product the store sells; stored as plain strings."""

    DEVICE = "device"
    SKINCARE = "skincare"
    ACCESSORY = "accessory"
    BUNDLE = "bundle"
    GIFT = "gift"  # given by a promotion, never sold on its own


class Product(db.Model):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    product_type: Mapped[str] = mapped_column(String(40))
    # The one option a product's variants differ by, e.g. "Colour" or "Size".
    option_name: Mapped[str | None] = mapped_column(String(60))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_featured: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: two staff saving the same product cannot overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(
            "product_type IN ('device', 'skincare', 'accessory', 'bundle', 'gift')",
            name="known_type",
        ),
    )

    @property
    def is_bundle(self) -> bool:
        return self.product_type == ProductType.BUNDLE

    @property
    def is_purchasable(self) -> bool:
        """Gift-only products are never sold, so no request can buy one at any price."""
        return self.is_active and self.product_type != ProductType.GIFT

    def __repr__(self) -> str:
        return f"<Product {self.handle}>"


class Variant(db.Model):
    __tablename__ = "variant"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    option_value: Mapped[str | None] = mapped_column(String(60))  # "Rose Gold", "50 ml"
    price: Mapped[int]  # minor units
    compare_at_price: Mapped[int | None]
    # Units on the shelf. A bundle variant keeps 0 here: its parts hold its stock.
    stock: Mapped[int] = mapped_column(default=0)
    weight_grams: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="variants")
    components: Mapped[list[BundleComponent]] = relationship(
        back_populates="bundle_variant",
        foreign_keys="BundleComponent.bundle_variant_id",
        cascade="all, delete-orphan",
        order_by="BundleComponent.id",
    )

    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("compare_at_price IS NULL OR compare_at_price >= 0", name="compare_at"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
    )

    @property
    def title(self) -> str:
        return self.option_value or "Default"

    @property
    def is_on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


class BundleComponent(db.Model):
    """One part of a bundle variant: `quantity` units of `component_variant`."""

    __tablename__ = "bundle_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), index=True
    )
    component_variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(default=1)

    bundle_variant: Mapped[Variant] = relationship(
        back_populates="components", foreign_keys=[bundle_variant_id]
    )
    component_variant: Mapped[Variant] = relationship(foreign_keys=[component_variant_id])

    __table_args__ = (
        UniqueConstraint("bundle_variant_id", "component_variant_id", name="uq_bundle_part"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("bundle_variant_id <> component_variant_id", name="not_itself"),
    )


class ProductImage(db.Model):
    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), index=True
    )
    # A path under static/ for shipped images, or under the uploads folder for staff uploads.
    path: Mapped[str] = mapped_column(String(300))
    alt: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    # Variant this picture shows (a colour), so the gallery can follow the picker.
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship(back_populates="images")


class StockAdjustment(db.Model):
    """A staff change to a variant's stock, with the reason (a delivery, a recount)."""

    __tablename__ = "stock_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), index=True
    )
    delta: Mapped[int]  # units added (positive) or taken off (negative)
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("delta <> 0", name="delta_not_zero"),)
