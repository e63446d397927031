"""Back-office changes to the catalogue: products, variants, bundle parts, images, stock.

Every change checks the product's version first. The edit form carries the version it
was opened at; if the product was saved since, the change is refused with the saved
values (StaleEditError) instead of silently overwriting them. A save that races another
one between that check and the flush is caught by the ORM's version column (the UPDATE
matches no row) and refused the same way. Changes to a product's variants, parts and
images touch the product row, so they take part in the same check.

Each change writes its audit entry in the same unit of work (`shop.unit_of_work`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from shop.admin import audit, images
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.models import StaffUser
from shop.cache import CACHES_STAY_FRESH
from shop.catalog.models import (
    BundleComponent,
    Product,
    ProductImage,
    ProductType,
    StockAdjustment,
    Variant,
)
from shop.extensions import db
from shop.timeutil import utcnow
from shop.unit_of_work import after_commit

PRODUCT_FIELDS = (
    "handle",
    "title",
    "subtitle",
    "description",
    "product_type",
    "option_name",
    "is_active",
    "is_featured",
    "position",
)
VARIANT_FIELDS = (
    "sku",
    "option_value",
    "price",
    "compare_at_price",
    "weight_grams",
    "position",
    "is_active",
)


@dataclass(frozen=True)
class ProductData:
    handle: str
    title: str
    subtitle: str
    description: str
    product_type: str
    option_name: str | None
    is_active: bool
    is_featured: bool
    position: int


@dataclass(frozen=True)
class VariantData:
    sku: str
    option_value: str | None
    price: int
    compare_at_price: int | None
    weight_grams: int
    position: int
    is_active: bool


@dataclass(frozen=True)
class ProductFilters:
    query: str = ""
    product_type: str = ""
    status: str = ""  # "", "active", "inactive"
    stock: str = ""  # "", "low", "out"


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_dimension: int
    min_dimension: int


# ------------------------------------------------------------------------ reading


def _details():
    return (
        selectinload(Product.images),
        selectinload(Product.variants)
        .selectinload(Variant.components)
        .selectinload(BundleComponent.component_variant)
        .selectinload(Variant.product),
    )


def search_products(filters: ProductFilters, low_stock_threshold: int) -> Sequence[Product]:
    """Products matching the list page's search box and filters, in merchandising order."""
    query = select(Product).options(*_details()).order_by(Product.position, Product.id)
    text = filters.query.strip()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                Product.title.ilike(pattern),
                Product.handle.ilike(pattern),
                exists().where(Variant.product_id == Product.id, Variant.sku.ilike(pattern)),
            )
        )
    if filters.product_type in tuple(ProductType):
        query = query.where(Product.product_type == filters.product_type)
    if filters.status == "active":
        query = query.where(Product.is_active.is_(True))
    elif filters.status == "inactive":
        query = query.where(Product.is_active.is_(False))
    if filters.stock in ("low", "out"):
        limit = 0 if filters.stock == "out" else low_stock_threshold
        stocked = (
            select(Variant.id)
            .where(
                Variant.product_id == Product.id,
                Variant.is_active.is_(True),
                Variant.stock <= limit,
                ~exists().where(BundleComponent.bundle_variant_id == Variant.id),
            )
            .exists()
        )
        query = query.where(stocked, Product.product_type != ProductType.BUNDLE)
    return db.session.scalars(query).all()


def get_product(product_id: int) -> Product | None:
    return db.session.scalar(select(Product).where(Product.id == product_id).options(*_details()))


def get_variant(variant_id: int) -> Variant | None:
    return db.session.scalar(
        select(Variant)
        .where(Variant.id == variant_id)
        .options(
            selectinload(Variant.product),
            selectinload(Variant.components).selectinload(BundleComponent.component_variant),
        )
    )


def component_choices() -> Sequence[Variant]:
    """Variants a bundle can be made of: stocked ones, not other bundles."""
    return db.session.scalars(
        select(Variant)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.product_type != ProductType.BUNDLE)
        .options(selectinload(Variant.product))
        .order_by(Product.position, Product.id, Variant.position, Variant.id)
    ).all()


def stock_history(product: Product, limit: int = 50) -> Sequence[StockAdjustment]:
    ids = [variant.id for variant in product.variants]
    if not ids:
        return []
    return db.session.scalars(
        select(StockAdjustment)
        .where(StockAdjustment.variant_id.in_(ids))
        .order_by(StockAdjustment.at.desc(), StockAdjustment.id.desc())
        .limit(limit)
    ).all()


def product_snapshot(product: Product) -> dict:
    return audit.snapshot(product, PRODUCT_FIELDS)


def variant_snapshot(variant: Variant) -> dict:
    return audit.snapshot(variant, VARIANT_FIELDS)


# ------------------------------------------------------------------------ checks


def _check_version(product: Product, expected_version: int | None) -> None:
    if expected_version is None or product.version != expected_version:
        raise StaleEditError("product", product.version, product_snapshot(product))


def _validate_product(data: ProductData, product: Product | None) -> None:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Enter a title."
    if data.product_type not in tuple(ProductType):
        errors["product_type"] = "Choose a product type."
    taken = db.session.scalar(
        select(Product.id).where(
            Product.handle == data.handle, Product.id != (product.id if product else -1)
        )
    )
    if taken is not None:
        errors["handle"] = f"The handle “{data.handle}” is already used by another product."
    if product is not None and data.product_type != product.product_type:
        if product.is_bundle and any(v.components for v in product.variants):
            errors["product_type"] = "Remove the bundle's parts before changing its type."
        elif data.product_type == ProductType.BUNDLE and any(v.stock for v in product.variants):
            errors["product_type"] = (
                "A bundle holds no stock of its own: bring its variants' stock to zero first."
            )
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)


def _validate_variant(data: VariantData, variant: Variant | None, prefix: str = "") -> None:
    errors: dict[str, str] = {}
    if data.price < 0:
        errors[prefix + "price"] = "The price cannot be below zero."
    if data.compare_at_price is not None and data.compare_at_price < 0:
        errors[prefix + "compare_at_price"] = "The compare-at price cannot be below zero."
    if data.weight_grams < 0:
        errors[prefix + "weight_grams"] = "The weight cannot be below zero."
    taken = db.session.scalar(
        select(Variant.id).where(
            Variant.sku == data.sku, Variant.id != (variant.id if variant else -1)
        )
    )
    if taken is not None:
        errors[prefix + "sku"] = f"The SKU “{data.sku}” is already used by another variant."
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)


def _touch(product: Product) -> None:
    """Mark the product changed, so its version moves with any change to its parts."""
    product.updated_at = utcnow()


def _flush(product_id: int | None = None) -> None:
    """Write the changes so far; a lost race on the product's version or a duplicate
    becomes a message."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(Product, product_id) if product_id else None
        if fresh is None:
            raise AdminActionError("This product was deleted by someone else.") from None
        raise StaleEditError("product", fresh.version, product_snapshot(fresh)) from None
    except IntegrityError as error:
        db.session.rollback()
        text = str(error.orig).lower()
        if "handle" in text:
            raise AdminActionError(
                "That handle was just taken.", {"handle": "This handle is already used."}
            ) from None
        if "sku" in text:
            raise AdminActionError(
                "That SKU was just taken.", {"sku": "This SKU is already used."}
            ) from None
        raise AdminActionError("The change conflicts with the saved catalogue.") from None


# ------------------------------------------------------------------------ products


def create_product(
    data: ProductData, first_variant: VariantData, initial_stock: int, staff: StaffUser
) -> Product:
    """A new product with its first variant (a product is only sold through variants)."""
    _validate_product(data, None)
    _validate_variant(first_variant, None, prefix="variant_")
    if initial_stock < 0:
        raise AdminActionError(
            "Please correct the highlighted fields.", {"stock": "Stock cannot be below zero."}
        )
    if data.product_type == ProductType.BUNDLE and initial_stock:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"stock": "A bundle holds no stock of its own; add its parts instead."},
        )
    product = Product(**asdict(data))
    variant = Variant(**asdict(first_variant), stock=initial_stock)
    product.variants.append(variant)
    db.session.add(product)
    db.session.flush()
    if initial_stock:
        db.session.add(
            StockAdjustment(
                variant_id=variant.id,
                delta=initial_stock,
                reason="Initial stock",
                staff_id=staff.id,
            )
        )
    audit.record(
        staff,
        "product.created",
        "product",
        product.id,
        f"Created product {product.title} ({variant.sku})",
        after={**product_snapshot(product), "first_variant": variant_snapshot(variant)},
    )
    _flush()
    return product


def update_product(
    product_id: int, expected_version: int | None, data: ProductData, staff: StaffUser
) -> Product:
    product = _product_or_error(product_id)
    _check_version(product, expected_version)
    _validate_product(data, product)
    before = product_snapshot(product)
    for name, value in asdict(data).items():
        setattr(product, name, value)
    after = product_snapshot(product)
    if after == before:
        return product
    audit.record(
        staff,
        "product.updated",
        "product",
        product.id,
        f"Edited product {product.title}",
        before=before,
        after=after,
    )
    _flush(product.id)
    return product


def _product_or_error(product_id: int) -> Product:
    product = get_product(product_id)
    if product is None:
        raise AdminActionError("This product no longer exists.")
    return product


def _variant_or_error(variant_id: int) -> Variant:
    variant = get_variant(variant_id)
    if variant is None:
        raise AdminActionError("This variant no longer exists.")
    return variant


# ------------------------------------------------------------------------ variants


def add_variant(
    product_id: int,
    expected_version: int | None,
    data: VariantData,
    initial_stock: int,
    staff: StaffUser,
) -> Variant:
    product = _product_or_error(product_id)
    _check_version(product, expected_version)
    _validate_variant(data, None)
    if initial_stock < 0:
        raise AdminActionError(
            "Please correct the highlighted fields.", {"stock": "Stock cannot be below zero."}
        )
    if product.is_bundle and initial_stock:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"stock": "A bundle holds no stock of its own; add its parts instead."},
        )
    variant = Variant(**asdict(data), stock=initial_stock)
    product.variants.append(variant)
    _touch(product)
    _flush(product.id)
    if initial_stock:
        db.session.add(
            StockAdjustment(
                variant_id=variant.id,
                delta=initial_stock,
                reason="Initial stock",
                staff_id=staff.id,
            )
        )
    audit.record(
        staff,
        "variant.created",
        "variant",
        variant.id,
        f"Added variant {variant.sku} to {product.title}",
        after={**variant_snapshot(variant), "stock": initial_stock},
    )
    _flush(product.id)
    return variant


def update_variant(
    variant_id: int, expected_version: int | None, data: VariantData, staff: StaffUser
) -> Variant:
    variant = _variant_or_error(variant_id)
    product = variant.product
    _check_version(product, expected_version)
    _validate_variant(data, variant)
    before = variant_snapshot(variant)
    for name, value in asdict(data).items():
        setattr(variant, name, value)
    after = variant_snapshot(variant)
    if after == before:
        return variant
    _touch(product)
    audit.record(
        staff,
        "variant.updated",
        "variant",
        variant.id,
        f"Edited variant {variant.sku} of {product.title}",
        before=before,
        after=after,
    )
    _flush(product.id)
    return variant


# ------------------------------------------------------------------------ bundles


def add_component(
    variant_id: int,
    expected_version: int | None,
    component_variant_id: int | None,
    quantity: int,
    staff: StaffUser,
) -> BundleComponent:
    variant = _variant_or_error(variant_id)
    product = variant.product
    _check_version(product, expected_version)
    errors: dict[str, str] = {}
    part = db.session.get(Variant, component_variant_id) if component_variant_id else None
    if not product.is_bundle:
        raise AdminActionError("Only a bundle's variants are made of parts.")
    if part is None:
        errors["component"] = "Choose a variant."
    elif part.id == variant.id or part.product.is_bundle:
        errors["component"] = "A bundle cannot contain a bundle."
    elif any(existing.component_variant_id == part.id for existing in variant.components):
        errors["component"] = f"{part.sku} is already part of this bundle; change its quantity."
    if quantity < 1:
        errors["quantity"] = "The quantity must be at least 1."
    if errors:
        raise AdminActionError("Please correct the highlighted fields.", errors)
    component = BundleComponent(component_variant=part, quantity=quantity)
    variant.components.append(component)
    _touch(product)
    _flush(product.id)
    audit.record(
        staff,
        "bundle.part_added",
        "variant",
        variant.id,
        f"Added {quantity} x {part.sku} to bundle {variant.sku}",
        after={"component_sku": part.sku, "quantity": quantity},
    )
    _flush(product.id)
    return component


def remove_component(component_id: int, expected_version: int | None, staff: StaffUser) -> None:
    component = db.session.get(BundleComponent, component_id)
    if component is None:
        raise AdminActionError("This part was already removed.")
    variant = component.bundle_variant
    product = variant.product
    _check_version(product, expected_version)
    before = {"component_sku": component.component_variant.sku, "quantity": component.quantity}
    variant.components.remove(component)
    _touch(product)
    audit.record(
        staff,
        "bundle.part_removed",
        "variant",
        variant.id,
        f"Removed {before['component_sku']} from bundle {variant.sku}",
        before=before,
    )
    _flush(product.id)


# ------------------------------------------------------------------------ images


def add_image(
    product_id: int,
    expected_version: int | None,
    data: bytes,
    alt: str,
    variant_id: int | None,
    staff: StaffUser,
    upload_folder: str,
    limits: ImageLimits,
) -> ProductImage:
    """Check the upload is a real picture within the limits, store it, attach it."""
    product = _product_or_error(product_id)
    _check_version(product, expected_version)
    try:
        info = images.inspect_image(
            data,
            max_bytes=limits.max_bytes,
            max_dimension=limits.max_dimension,
            min_dimension=limits.min_dimension,
        )
        picture = images.clean_copy(data, info)  # pixels only: no metadata is kept
    except images.ImageRejectedError as error:
        raise AdminActionError(str(error), {"image": str(error)}) from None
    if variant_id is not None and variant_id not in {v.id for v in product.variants}:
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"variant": "Choose one of this product's variants."},
        )
    path = images.store(picture, info, upload_folder)
    image = ProductImage(
        path=path,
        alt=alt.strip(),
        variant_id=variant_id,
        position=max((i.position for i in product.images), default=-1) + 1,
    )
    product.images.append(image)
    _touch(product)
    _flush(product.id)
    audit.record(
        staff,
        "image.added",
        "product",
        product.id,
        f"Added a {info.width}x{info.height} {info.extension.upper()} picture to {product.title}",
        after={"path": path, "alt": image.alt, "variant_id": variant_id},
    )
    try:
        _flush(product.id)
    except AdminActionError:
        images.discard(path, upload_folder)
        raise
    return image


def remove_image(
    image_id: int, expected_version: int | None, staff: StaffUser, upload_folder: str
) -> None:
    image = db.session.get(ProductImage, image_id)
    if image is None:
        raise AdminActionError("This picture was already removed.")
    product = image.product
    _check_version(product, expected_version)
    before = {"path": image.path, "alt": image.alt, "variant_id": image.variant_id}
    product.images.remove(image)
    _touch(product)
    audit.record(
        staff,
        "image.removed",
        "product",
        product.id,
        f"Removed a picture from {product.title}",
        before=before,
    )
    _flush(product.id)
    # Only once the removal is committed: rolled back, the row still shows the file.
    after_commit(lambda: images.discard(before["path"], upload_folder))


# ------------------------------------------------------------------------ stock

STOCK_REASONS = {
    "received": "Delivery received",
    "recount": "Stock count correction",
    "damaged": "Damaged or expired",
    "returned": "Returned to stock",
    "other": "Other (explain in the note)",
}


def adjust_stock(variant_id: int, delta: int, reason: str, staff: StaffUser) -> Variant:
    """Add or take units with a reason. One conditional UPDATE, so a checkout taking the
    same units at the same moment can never drive the stock below zero."""
    variant = _variant_or_error(variant_id)
    reason = reason.strip()
    if variant.components:
        raise AdminActionError("A bundle holds no stock of its own: adjust its parts instead.")
    if delta == 0:
        raise AdminActionError(
            "Please correct the highlighted fields.", {"delta": "Enter a change other than zero."}
        )
    if not reason:
        raise AdminActionError(
            "Please correct the highlighted fields.", {"reason": "Say why the stock changes."}
        )
    result = db.session.execute(
        update(Variant)
        .where(Variant.id == variant.id, Variant.stock + delta >= 0)
        .values(stock=Variant.stock + delta)
        .execution_options(synchronize_session=False, **CACHES_STAY_FRESH)
    )
    if result.rowcount != 1:
        db.session.rollback()
        on_shelf = db.session.scalar(select(Variant.stock).where(Variant.id == variant_id))
        raise AdminActionError(
            "Please correct the highlighted fields.",
            {"delta": f"Stock cannot go below zero: {on_shelf} in stock."},
        )
    new_stock = db.session.scalar(select(Variant.stock).where(Variant.id == variant.id))
    db.session.add(
        StockAdjustment(variant_id=variant.id, delta=delta, reason=reason[:200], staff_id=staff.id)
    )
    audit.record(
        staff,
        "stock.adjusted",
        "variant",
        variant.id,
        f"{'+' if delta > 0 else ''}{delta} {variant.sku}: {reason}"[:300],
        before={"stock": new_stock - delta},
        after={"stock": new_stock},
    )
    db.session.flush()
    db.session.expire(variant, ["stock"])
    return variant
