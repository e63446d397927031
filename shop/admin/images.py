"""Staff image uploads: decoded and saved again by Pillow, so only pixels are stored.

The name and the browser's content type are ignored: Pillow identifies the format from
the bytes (PNG, JPEG or WebP only; SVG is never accepted: it can carry scripts), the
size is checked from the header before anything is decoded (so a small file that
unpacks into a huge picture is refused unread), the file is verified and decoded in
full (a truncated or damaged one is refused), and what is stored is a fresh encoding
of the pixels: no EXIF (camera, GPS), comments or bytes hidden after the picture, and
a photo's orientation applied rather than left to a tag.

Accepted files are stored under the upload folder (by default `instance/uploads`) with
a random name and the extension of the format found, never the name that was sent.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

UPLOADS_URL_PREFIX = "uploads/"  # ProductImage.path of an upload starts with this
# Pillow's format name -> the extension stored and served.
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
ALLOWED_EXTENSIONS = set(FORMATS.values())
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
JPEG_AND_WEBP_QUALITY = 90


class ImageRejectedError(ValueError):
    """The upload is not an image we accept; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    extension: str  # png, jpg or webp
    width: int
    height: int


NOT_AN_IMAGE = "This file is not a PNG, JPEG or WebP picture."
DAMAGED = "This picture file is damaged or incomplete."
TOO_MANY_PIXELS = "This picture has far too many pixels to open."


def inspect_image(
    data: bytes, *, max_bytes: int, max_dimension: int, min_dimension: int = 1
) -> ImageInfo:
    """Identify the picture in `data` and check its limits, or raise ImageRejectedError."""
    if not data:
        raise ImageRejectedError("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejectedError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes / 1024 / 1024:.1f} MB."
        )
    with _opened(data) as image:  # reads the header only
        info = ImageInfo(FORMATS[image.format], *image.size)
    if min(info.width, info.height) < min_dimension:
        raise ImageRejectedError(
            f"The picture is {info.width}x{info.height} pixels; each side needs at least "
            f"{min_dimension}."
        )
    if max(info.width, info.height) > max_dimension:
        raise ImageRejectedError(
            f"The picture is {info.width}x{info.height} pixels; no side may exceed {max_dimension}."
        )
    with _opened(data) as image:
        _refuse_damage(image.verify)  # checksums and structure
    with _opened(data) as image:
        _refuse_damage(image.load)  # every pixel decodes: nothing is cut short
    return info


def clean_copy(data: bytes, info: ImageInfo) -> bytes:
    """The picture of an inspected upload, decoded and encoded again in its format."""
    with _opened(data) as image:
        _refuse_damage(image.load)
        upright = ImageOps.exif_transpose(image)
        if info.extension == "jpg" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        out = io.BytesIO()
        if info.extension == "png":
            upright.save(out, "PNG", optimize=True)
        else:
            kind = "JPEG" if info.extension == "jpg" else "WEBP"
            upright.save(out, kind, quality=JPEG_AND_WEBP_QUALITY)
    return out.getvalue()


def _opened(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Past Pillow's pixel limit it warns, then refuses; our size limit comes first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=tuple(FORMATS))
    except UnidentifiedImageError:
        raise ImageRejectedError(NOT_AN_IMAGE) from None
    except Image.DecompressionBombError:
        raise ImageRejectedError(TOO_MANY_PIXELS) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejectedError(DAMAGED) from None


def _refuse_damage(read) -> None:
    try:
        read()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejectedError(DAMAGED) from None


def store(data: bytes, info: ImageInfo, upload_folder: str, subfolder: str = "products") -> str:
    """Write the picture under a random name; returns its ProductImage.path."""
    directory = os.path.join(upload_folder, subfolder)
    os.makedirs(directory, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{info.extension}"
    final = os.path.join(directory, name)
    partial = final + ".part"
    with open(partial, "wb") as handle:
        handle.write(data)
    os.replace(partial, final)
    return f"{UPLOADS_URL_PREFIX}{subfolder}/{name}"


def discard(path: str, upload_folder: str) -> None:
    """Remove an uploaded file named by its ProductImage.path (shipped images are kept)."""
    if not path.startswith(UPLOADS_URL_PREFIX):
        return
    relative = path[len(UPLOADS_URL_PREFIX) :]
    full = os.path.realpath(os.path.join(upload_folder, relative))
    root = os.path.realpath(upload_folder)
    if full.startswith(root + os.sep) and os.path.isfile(full):
        os.remove(full)
