"""Staff uploads, served to everyone (product pictures appear in the shop).

They live outside the code, under the upload folder, and are served at
/static/uploads/... so `static_url(image.path)` finds them like shipped pictures.
Only the picture types uploads are checked to be are served, with their own type
and `nosniff`, so a browser never reads one as anything else.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from shop.admin.images import ALLOWED_EXTENSIONS, MIME_TYPES
from shop.admin.views.blueprint import upload_folder

bp = Blueprint("uploads", __name__)


@bp.get("/static/uploads/<path:filename>")
def uploaded_file(filename: str):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_EXTENSIONS:
        abort(404)
    response = send_from_directory(
        upload_folder(), filename, mimetype=MIME_TYPES[extension], max_age=7 * 24 * 3600
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
