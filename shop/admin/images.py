"""Staff image uploads: checked to be real PNG, JPEG or WebP pictures by their content.

The name and the browser's content type are ignored: a text file renamed `photo.png` is
refused because its bytes are not a PNG. Each format is read far enough to find its
size, and its structure is checked on the way (PNG chunk checksums, JPEG segments up to
the end marker, the WebP container size), so a truncated or forged file is refused too.
SVG is never accepted: it can carry scripts.

Accepted files are stored under the upload folder (by default `instance/uploads`) with
a random name and the extension of the format found, never the name that was sent.
"""

from __future__ import annotations

import os
import secrets
import struct
import zlib
from dataclasses import dataclass

UPLOADS_URL_PREFIX = "uploads/"  # ProductImage.path of an upload starts with this
ALLOWED_EXTENSIONS = {"png", "jpg", "webp"}
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


class ImageRejectedError(ValueError):
    """The upload is not an image we accept; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    extension: str  # png, jpg or webp
    width: int
    height: int


NOT_AN_IMAGE = "This file is not a PNG, JPEG or WebP picture."


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
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        info = _read_png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        info = _read_jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        info = _read_webp(data)
    else:
        raise ImageRejectedError(NOT_AN_IMAGE)
    if min(info.width, info.height) < min_dimension:
        raise ImageRejectedError(
            f"The picture is {info.width}x{info.height} pixels; each side needs at least "
            f"{min_dimension}."
        )
    if max(info.width, info.height) > max_dimension:
        raise ImageRejectedError(
            f"The picture is {info.width}x{info.height} pixels; no side may exceed {max_dimension}."
        )
    return info


def _read_png(data: bytes) -> ImageInfo:
    """Walk every chunk, checking its CRC: IHDR first, some IDAT, IEND last."""
    position = 8
    seen_data = False
    width = height = 0
    first = True
    while True:
        if position + 8 > len(data):
            raise ImageRejectedError("This PNG file is incomplete.")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body_end = position + 8 + length
        if body_end + 4 > len(data):
            raise ImageRejectedError("This PNG file is incomplete.")
        body = data[position + 8 : body_end]
        (crc,) = struct.unpack(">I", data[body_end : body_end + 4])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ImageRejectedError("This PNG file is damaged.")
        if first:
            if kind != b"IHDR" or length != 13:
                raise ImageRejectedError(NOT_AN_IMAGE)
            width, height = struct.unpack(">II", body[:8])
            first = False
        elif kind == b"IDAT":
            seen_data = True
        elif kind == b"IEND":
            break
        position = body_end + 4
    if not seen_data or width == 0 or height == 0:
        raise ImageRejectedError("This PNG file holds no picture.")
    return ImageInfo("png", width, height)


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_JPEG_FRAME_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _read_jpeg(data: bytes) -> ImageInfo:
    """Walk the segments up to the scan; the size comes from the frame header, and the
    file must end with the end-of-image marker."""
    position = 2
    width = height = 0
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise ImageRejectedError("This JPEG file is damaged.")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2 or position + 2 + length > len(data):
            raise ImageRejectedError("This JPEG file is incomplete.")
        if marker in _JPEG_FRAME_MARKERS:
            if length < 7:
                raise ImageRejectedError("This JPEG file is damaged.")
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
        if marker == 0xDA:  # start of scan: the compressed picture follows
            break
        position += 2 + length
    if width == 0 or height == 0:
        raise ImageRejectedError("This JPEG file holds no picture.")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise ImageRejectedError("This JPEG file is incomplete.")
    return ImageInfo("jpg", width, height)


def _read_webp(data: bytes) -> ImageInfo:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 != len(data) or len(data) < 30:
        raise ImageRejectedError("This WebP file is incomplete.")
    kind = data[12:16]
    body = data[20:]
    if kind == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise ImageRejectedError("This WebP file is damaged.")
        width, height = struct.unpack("<HH", body[6:10])
        width, height = width & 0x3FFF, height & 0x3FFF
    elif kind == b"VP8L":
        if body[0] != 0x2F:
            raise ImageRejectedError("This WebP file is damaged.")
        (bits,) = struct.unpack("<I", body[1:5])
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif kind == b"VP8X":
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
    else:
        raise ImageRejectedError(NOT_AN_IMAGE)
    if width == 0 or height == 0:
        raise ImageRejectedError("This WebP file holds no picture.")
    return ImageInfo("webp", width, height)


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
