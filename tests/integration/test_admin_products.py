"""Products in the back office: list, create, edit with a version check, variants,
bundle parts, pictures (checked by content) and stock adjustments with a reason."""

from __future__ import annotations

import os
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select, update

from shop.admin import catalog_service, images
from shop.admin.errors import StaleEditError
from shop.admin.models import AuditEntry, Role, StaffUser
from shop.catalog.models import Product, ProductImage, StockAdjustment, Variant
from shop.extensions import db
from shop.unit_of_work import unit_of_work
from tests.integration.admin_helpers import StaffClient, hidden_value, make_staff, product_form
from tests.support.digits import (
    EXTENDED_ARABIC_INDIC_ZERO,
    FULLWIDTH_ZERO,
    SUPERSCRIPT_TWO,
    written_in,
)

# ---------------------------------------------------------------- picture files


def picture_bytes(kind: str, width: int, height: int, **options) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (192, 64, 96)).save(out, kind, **options)
    return out.getvalue()


def png_bytes(width: int = 32, height: int = 24) -> bytes:
    return picture_bytes("PNG", width, height)


def jpeg_bytes(width: int = 40, height: int = 30) -> bytes:
    return picture_bytes("JPEG", width, height)


def webp_bytes(width: int = 50, height: int = 20) -> bytes:
    return picture_bytes("WEBP", width, height)


def with_byte_flipped(data: bytes, index: int) -> bytes:
    damaged = bytearray(data)
    damaged[index] ^= 0xFF
    return bytes(damaged)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture (a decompression bomb's shape):
    it must be refused from the header, before anything is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


LIMITS = {"max_bytes": 1_000_000, "max_dimension": 4000, "min_dimension": 16}


def test_the_reader_knows_png_jpeg_and_webp_by_their_bytes():
    assert images.inspect_image(png_bytes(32, 24), **LIMITS) == images.ImageInfo("png", 32, 24)
    assert images.inspect_image(jpeg_bytes(40, 30), **LIMITS) == images.ImageInfo("jpg", 40, 30)
    assert images.inspect_image(webp_bytes(50, 20), **LIMITS) == images.ImageInfo("webp", 50, 20)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text, named photo.png", "not a PNG, JPEG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a PNG"),
        (b"GIF89a" + b"\x00" * 40, "not a PNG"),
        (png_bytes()[:-20], "damaged or incomplete"),
        (with_byte_flipped(png_bytes(), -20), "damaged or incomplete"),
        (jpeg_bytes()[:-2], "damaged or incomplete"),
        (jpeg_bytes()[: len(jpeg_bytes()) // 2], "damaged or incomplete"),
        (webp_bytes()[:-3], "damaged or incomplete"),
        (png_claiming(100_000, 100_000), "far too many pixels"),
        (png_claiming(5000, 20), "may exceed 4000"),
        (b"", "empty"),
        (png_bytes(8, 8), "at least 16"),
        (png_bytes(5000, 16), "may exceed 4000"),
    ],
)
def test_the_reader_refuses_what_is_not_a_sound_picture(data, message):
    with pytest.raises(images.ImageRejectedError, match=message):
        images.inspect_image(data, **LIMITS)


def test_the_reader_refuses_files_over_the_size_limit():
    with pytest.raises(images.ImageRejectedError, match="the limit is"):
        images.inspect_image(png_bytes(), max_bytes=50, max_dimension=4000)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def merchandiser(client, demo_store) -> StaffClient:
    return StaffClient(client, make_staff(Role.MERCHANDISER))


def product(handle: str) -> Product:
    db.session.rollback()
    return db.session.scalar(select(Product).where(Product.handle == handle))


def variant(sku: str) -> Variant:
    db.session.rollback()
    return db.session.scalar(select(Variant).where(Variant.sku == sku))


def audit_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


NEW_PRODUCT = {
    "title": "Hydrating Mist",
    "handle": "hydrating-mist",
    "subtitle": "A fine mist",
    "description": "Spray it.",
    "product_type": "skincare",
    "option_name": "Size",
    "position": "7",
    "is_active": "y",
    "variant_sku": "MIST-100",
    "variant_option_value": "100 ml",
    "variant_price": "24.50",
    "variant_compare_at_price": "",
    "variant_weight_grams": "120",
    "stock": "30",
}

# ---------------------------------------------------------------- list


def test_list_searches_titles_handles_and_skus(merchandiser):
    html = merchandiser.html("/admin/products?q=serum")
    assert "Firming Peptide Serum" in html and "Contour Microcurrent" not in html
    by_sku = merchandiser.html("/admin/products?q=chg-100")
    assert "Conductive" in by_sku and "Firming Peptide Serum" not in by_sku


def test_list_filters_by_type_status_and_stock(merchandiser, demo_store):
    bundles = merchandiser.html("/admin/products?type=bundle")
    assert "device-serum-bundle" in bundles and "peptide-serum" not in bundles
    demo_store.execute(update(Variant).where(Variant.sku == "FPS-50").values(stock=2))
    demo_store.commit()
    low = merchandiser.html("/admin/products?stock=low")
    assert "peptide-serum" in low and "conductive-gel" not in low
    assert "peptide-serum" not in merchandiser.html("/admin/products?stock=out")
    inactive = merchandiser.html("/admin/products?status=inactive")
    assert "No products match." in inactive


# ---------------------------------------------------------------- create


def test_create_a_product_with_its_first_variant_and_stock(merchandiser):
    response = merchandiser.post("/admin/products/new", NEW_PRODUCT)
    assert response.status_code == 302
    created = product("hydrating-mist")
    assert created.title == "Hydrating Mist" and created.version == 1
    (only,) = created.variants
    assert (only.sku, only.price, only.stock) == ("MIST-100", 2450, 30)
    adjustment = db.session.scalars(select(StockAdjustment)).one()
    assert adjustment.delta == 30 and adjustment.reason == "Initial stock"
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "product.created" and entry.staff_email == "merchandiser@example.com"
    assert entry.after["handle"] == "hydrating-mist"
    assert merchandiser.get("/products/hydrating-mist").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"variant_price": "-1.00"}, "Price cannot be below zero."),
        ({"variant_price": "abc"}, "Enter an amount such as 19.99 for Price."),
        ({"variant_price": "1.234"}, "Enter an amount such as 19.99 for Price."),
        ({"stock": "-3"}, "Stock cannot be below zero."),
        ({"handle": "peptide-serum"}, "already used by another product"),
        ({"handle": "Bad Handle!"}, "Use lowercase letters"),
        ({"variant_sku": "FPS-30"}, "already used by another variant"),
        ({"title": ""}, "Enter a title."),
        ({"product_type": "bundle", "stock": "4"}, "A bundle holds no stock of its own"),
        # Python reads every script's digits as numbers: the forms take 0-9 only.
        ({"variant_price": written_in("24.50")}, "Enter an amount such as 19.99 for Price."),
        (
            {"variant_price": written_in("24.50", FULLWIDTH_ZERO)},
            "Enter an amount such as 19.99 for Price.",
        ),
        ({"stock": written_in("30")}, "Enter a whole number with the digits 0-9."),
        ({"position": written_in("7")}, "Enter a whole number with the digits 0-9."),
        (
            {"variant_weight_grams": written_in("120", FULLWIDTH_ZERO)},
            "Enter a whole number with the digits 0-9.",
        ),
        ({"title": "Hydrating \u202eMist"}, "invisible characters that change the direction"),
    ],
)
def test_create_refuses_bad_input_and_keeps_what_was_typed(merchandiser, changes, field_message):
    response = merchandiser.post("/admin/products/new", {**NEW_PRODUCT, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_message in html
    assert 'value="A fine mist"' in html  # what was typed is still there
    if "variant_price" in changes:
        assert f'value="{changes["variant_price"]}"' in html
    assert all(typed in html for typed in changes.values())
    assert product("hydrating-mist") is None
    assert audit_actions() == []


# ---------------------------------------------------------------- edit and versions


def test_edit_saves_and_audits_before_and_after(merchandiser):
    serum = product("peptide-serum")
    response = merchandiser.post(
        f"/admin/products/{serum.id}", product_form(serum, title="Firming Peptide Serum+")
    )
    assert response.status_code == 302
    saved = product("peptide-serum")
    assert saved.title == "Firming Peptide Serum+" and saved.version == 2
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "product.updated" and entry.entity_id == str(serum.id)
    assert entry.before["title"] == "Firming Peptide Serum"
    assert entry.after["title"] == "Firming Peptide Serum+"


def test_a_version_in_other_digits_is_no_version(merchandiser):
    """Python's int() reads an Arabic-Indic 1 as 1: sent as the version, it is none."""
    serum = product("peptide-serum")
    response = merchandiser.post(
        f"/admin/products/{serum.id}", product_form(serum, title="Serum+", version=written_in("1"))
    )
    assert response.status_code == 409
    assert product("peptide-serum").title == "Firming Peptide Serum"


def test_second_editor_is_told_the_product_changed_and_nothing_is_overwritten(
    app, merchandiser, db_session
):
    other = StaffClient(app.test_client(), make_staff(Role.OWNER))
    serum = product("peptide-serum")
    # Both open the edit page at version 1.
    first_version = hidden_value(merchandiser.html(f"/admin/products/{serum.id}"), "version")
    second_version = hidden_value(other.html(f"/admin/products/{serum.id}"), "version")
    assert first_version == second_version == "1"
    saved = merchandiser.post(
        f"/admin/products/{serum.id}", product_form(serum, subtitle="First editor's subtitle")
    )
    assert saved.status_code == 302
    late = other.post(
        f"/admin/products/{serum.id}",
        product_form(serum, title="Second editor's title", version=second_version),
    )
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "changed by someone else" in html
    assert "First editor&#39;s subtitle" in html  # the saved value is shown
    assert 'value="Second editor&#39;s title"' in html  # and the typed one kept
    kept = product("peptide-serum")
    assert kept.subtitle == "First editor's subtitle" and kept.title == "Firming Peptide Serum"
    # A deliberate second save (with the version the warning handed back) goes through.
    again = other.post(
        f"/admin/products/{serum.id}",
        product_form(serum, title="Second editor's title", version=hidden_value(html, "version")),
    )
    assert again.status_code == 302
    assert product("peptide-serum").title == "Second editor's title"


def test_a_save_racing_another_between_check_and_commit_is_refused(merchandiser, db_session):
    serum = product("peptide-serum")
    staff = make_staff(Role.OWNER, "racer@example.com")
    loaded = catalog_service.get_product(serum.id)
    assert loaded.version == 1
    # Another worker commits between our version check and our flush.
    with db.engine.begin() as connection:
        connection.execute(
            update(Product).where(Product.id == serum.id).values(version=2, subtitle="Theirs")
        )
    data = catalog_service.ProductData(
        handle=serum.handle,
        title="Mine",
        subtitle=serum.subtitle,
        description=serum.description,
        product_type=serum.product_type,
        option_name=serum.option_name,
        is_active=True,
        is_featured=serum.is_featured,
        position=serum.position,
    )
    with pytest.raises(StaleEditError) as refused:
        catalog_service.update_product(serum.id, 1, data, staff)
    assert refused.value.version == 2 and refused.value.current["subtitle"] == "Theirs"
    assert product("peptide-serum").title == "Firming Peptide Serum"
    assert audit_actions() == []


def test_variant_changes_take_part_in_the_version_check(merchandiser):
    fps = variant("FPS-30")
    form = {
        "sku": "FPS-30",
        "option_value": "30 ml",
        "price": "59.00",
        "compare_at_price": "",
        "weight_grams": "80",
        "position": "0",
        "is_active": "y",
        "version": "1",
    }
    assert merchandiser.post(f"/admin/variants/{fps.id}", form).status_code == 302
    assert variant("FPS-30").price == 5900
    assert product("peptide-serum").version == 2  # the variant moved the product on
    stale = merchandiser.post(f"/admin/variants/{fps.id}", {**form, "price": "10.00"})
    assert stale.status_code == 409
    assert variant("FPS-30").price == 5900
    negative = merchandiser.post(
        f"/admin/variants/{fps.id}", {**form, "price": "-5", "version": "2"}
    )
    assert negative.status_code == 422
    assert "Price cannot be below zero." in negative.get_data(as_text=True)


def test_add_a_variant(merchandiser):
    gel = product("conductive-gel")
    response = merchandiser.post(
        f"/admin/products/{gel.id}/variants/new",
        {
            "sku": "CHG-250",
            "option_value": "250 ml",
            "price": "44.00",
            "weight_grams": "260",
            "position": "1",
            "is_active": "y",
            "stock": "12",
            "version": str(gel.version),
        },
    )
    assert response.status_code == 302
    added = variant("CHG-250")
    assert added.product_id == gel.id and added.stock == 12 and added.price == 4400
    duplicate = merchandiser.post(
        f"/admin/products/{gel.id}/variants/new",
        {
            "sku": "CHG-250",
            "price": "1",
            "weight_grams": "0",
            "position": "0",
            "stock": "0",
            "version": str(product("conductive-gel").version),
        },
    )
    assert duplicate.status_code == 422
    assert "already used by another variant" in duplicate.get_data(as_text=True)


# ---------------------------------------------------------------- bundles


def test_bundle_parts_are_added_and_removed(merchandiser):
    bundle_variant = variant("BND-ROSE")
    gel = variant("CHG-100")
    version = product("device-serum-bundle").version
    response = merchandiser.post(
        f"/admin/variants/{bundle_variant.id}/parts",
        {"component": str(gel.id), "quantity": "2", "version": str(version)},
    )
    assert response.status_code == 302
    parts = {p.component_variant.sku: p.quantity for p in variant("BND-ROSE").components}
    assert parts["CHG-100"] == 2
    # A bundle inside a bundle is refused.
    refused = merchandiser.post(
        f"/admin/variants/{bundle_variant.id}/parts",
        {
            "component": str(variant("BND-PEARL").id),
            "quantity": "1",
            "version": str(product("device-serum-bundle").version),
        },
    )
    assert refused.status_code == 422
    assert "A bundle cannot contain a bundle." in refused.get_data(as_text=True)
    part = next(p for p in variant("BND-ROSE").components if p.component_variant.sku == "CHG-100")
    removed = merchandiser.post(
        f"/admin/parts/{part.id}/remove?variant={bundle_variant.id}",
        {"version": str(product("device-serum-bundle").version)},
    )
    assert removed.status_code == 302
    assert "CHG-100" not in {p.component_variant.sku for p in variant("BND-ROSE").components}
    assert audit_actions() == ["bundle.part_added", "bundle.part_removed"]


def test_a_part_named_in_other_digits_is_refused(merchandiser):
    """Python's int() reads every script's digits: the part picker takes 0-9 only."""
    bundle_variant = variant("BND-ROSE")
    gel_id = written_in(str(variant("CHG-100").id))
    response = merchandiser.post(
        f"/admin/variants/{bundle_variant.id}/parts",
        {
            "component": gel_id,
            "quantity": written_in("1"),
            "version": str(product("device-serum-bundle").version),
        },
    )
    assert response.status_code == 422
    assert "CHG-100" not in {p.component_variant.sku for p in variant("BND-ROSE").components}
    assert audit_actions() == []


# ---------------------------------------------------------------- stock


def test_stock_adjustment_needs_a_reason_and_never_goes_below_zero(merchandiser):
    gel = variant("CHG-100")
    prefix = f"stock-{gel.id}-"
    response = merchandiser.post(
        f"/admin/variants/{gel.id}/stock",
        {prefix + "delta": "15", prefix + "reason": "received", prefix + "note": "PO 1234"},
    )
    assert response.status_code == 302
    assert variant("CHG-100").stock == 135
    row = db.session.scalars(select(StockAdjustment)).one()
    assert (row.delta, row.reason) == (15, "Delivery received: PO 1234")
    too_many = merchandiser.post(
        f"/admin/variants/{gel.id}/stock",
        {prefix + "delta": "-500", prefix + "reason": "damaged"},
    )
    assert too_many.status_code == 422
    assert "Stock cannot go below zero: 135 in stock." in too_many.get_data(as_text=True)
    other = merchandiser.post(
        f"/admin/variants/{gel.id}/stock", {prefix + "delta": "-1", prefix + "reason": "other"}
    )
    assert other.status_code == 422
    assert "Say why the stock changes." in other.get_data(as_text=True)
    assert variant("CHG-100").stock == 135
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "stock.adjusted")
    ).one()
    assert entry.before == {"stock": 120} and entry.after == {"stock": 135}


@pytest.mark.parametrize(
    "delta",
    [
        written_in("15"),
        written_in("15", EXTENDED_ARABIC_INDIC_ZERO),
        written_in("15", FULLWIDTH_ZERO),
        SUPERSCRIPT_TWO,
        "1_5",
    ],
)
def test_stock_changes_take_digits_0_to_9_only(merchandiser, delta):
    """Python's int() reads every script's digits: the stock form takes 0-9 only."""
    gel = variant("CHG-100")
    prefix = f"stock-{gel.id}-"
    response = merchandiser.post(
        f"/admin/variants/{gel.id}/stock", {prefix + "delta": delta, prefix + "reason": "received"}
    )
    assert response.status_code == 422
    assert "Enter a whole number with the digits 0-9." in response.get_data(as_text=True)
    assert variant("CHG-100").stock == 120
    assert db.session.scalars(select(StockAdjustment)).all() == []


def test_a_bundle_has_no_stock_of_its_own_to_adjust(merchandiser):
    bundle_variant = variant("BND-ROSE")
    prefix = f"stock-{bundle_variant.id}-"
    response = merchandiser.post(
        f"/admin/variants/{bundle_variant.id}/stock",
        {prefix + "delta": "5", prefix + "reason": "received"},
    )
    assert response.status_code == 422
    assert "adjust its parts instead" in response.get_data(as_text=True)


# ---------------------------------------------------------------- pictures


def _upload(staff: StaffClient, item: Product, data: bytes, filename: str, alt: str = "A mist"):
    return staff.post(
        f"/admin/products/{item.id}/images",
        {
            "image": (BytesIO(data), filename),
            "alt": alt,
            "variant": "",
            "version": str(item.version),
        },
        content_type="multipart/form-data",
    )


def test_a_real_picture_is_stored_under_the_upload_folder_and_served(app, merchandiser):
    gel = product("conductive-gel")
    response = _upload(merchandiser, gel, png_bytes(64, 48), "whatever.gif")
    assert response.status_code == 302
    picture = db.session.scalars(
        select(ProductImage)
        .where(ProductImage.product_id == gel.id)
        .order_by(ProductImage.id.desc())
    ).first()
    assert picture.path.startswith("uploads/products/") and picture.path.endswith(".png")
    stored = os.path.join(app.config["UPLOAD_FOLDER"], picture.path.removeprefix("uploads/"))
    assert os.path.isfile(stored)
    served = merchandiser.get("/static/" + picture.path)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(BytesIO(served.data)) as stored_picture:  # the pixels, encoded afresh
        assert (stored_picture.format, stored_picture.size) == ("PNG", (64, 48))
        assert stored_picture.getpixel((10, 10)) == (192, 64, 96)
    assert picture.path in merchandiser.get("/products/conductive-gel").get_data(as_text=True)
    # Removing it deletes the file too.
    removed = merchandiser.post(
        f"/admin/images/{picture.id}/remove?product={gel.id}",
        {"version": str(product("conductive-gel").version)},
    )
    assert removed.status_code == 302 and not os.path.exists(stored)
    assert audit_actions() == ["image.added", "image.removed"]


def test_a_removal_that_does_not_commit_keeps_the_picture_file(app, merchandiser):
    """The file goes only once the removal is committed: a removal rolled back (a lost
    connection at the commit, a failure after it) must not leave the product pointing
    at a missing file."""
    gel = product("conductive-gel")
    assert _upload(merchandiser, gel, png_bytes(32, 32), "kept.png").status_code == 302
    picture = db.session.scalars(
        select(ProductImage).where(ProductImage.product_id == gel.id).order_by(ProductImage.id)
    ).all()[-1]
    stored = os.path.join(app.config["UPLOAD_FOLDER"], picture.path.removeprefix("uploads/"))
    staff = db.session.scalars(select(StaffUser).where(StaffUser.role == Role.MERCHANDISER)).one()
    with pytest.raises(RuntimeError), unit_of_work():
        catalog_service.remove_image(
            picture.id, product("conductive-gel").version, staff, app.config["UPLOAD_FOLDER"]
        )
        raise RuntimeError("the commit never happens")
    assert os.path.isfile(stored)
    assert db.session.get(ProductImage, picture.id) is not None


def test_a_renamed_text_file_is_refused(app, merchandiser):
    gel = product("conductive-gel")
    before = len(gel.images)
    response = _upload(merchandiser, gel, b"I am not a picture at all\n" * 10, "photo.png")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This file is not a PNG, JPEG or WebP picture." in html
    assert 'value="A mist"' in html
    assert len(product("conductive-gel").images) == before
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "products")
    assert not os.path.isdir(folder) or not [
        name for name in os.listdir(folder) if name.endswith(".part")
    ]


def test_a_picture_without_a_text_alternative_is_refused(merchandiser):
    gel = product("conductive-gel")
    response = _upload(merchandiser, gel, png_bytes(), "ok.png", alt="")
    assert response.status_code == 422
    assert "Describe the picture" in response.get_data(as_text=True)


def test_a_request_over_the_size_limit_gets_a_friendly_answer(app, merchandiser):
    gel = product("conductive-gel")
    huge = png_bytes() + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = _upload(merchandiser, gel, huge, "big.png")
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)


def test_an_uploaded_photo_keeps_its_pixels_and_loses_its_metadata(app, merchandiser):
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"  # Make
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90 degrees
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS: where it was taken
    photo = picture_bytes("JPEG", 60, 20, exif=exif.tobytes())
    photo += b"hidden after the end of the picture"
    gel = product("conductive-gel")
    assert _upload(merchandiser, gel, photo, "holiday.jpg").status_code == 302
    picture = db.session.scalars(
        select(ProductImage)
        .where(ProductImage.product_id == gel.id)
        .order_by(ProductImage.id.desc())
    ).first()
    stored = merchandiser.get("/static/" + picture.path).data
    assert b"Phone maker" not in stored and b"hidden after" not in stored
    with Image.open(BytesIO(stored)) as kept:
        assert kept.format == "JPEG" and not kept.getexif()
        assert kept.size == (20, 60)  # turned upright as the tag said, not left to it


def test_uploads_outside_the_allowed_types_are_not_served(merchandiser):
    assert merchandiser.get("/static/uploads/products/../../secret.txt").status_code == 404
    assert merchandiser.get("/static/uploads/products/nothing.png").status_code == 404
