"""The `admin` blueprint, its layout context and its error pages."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from shop.admin.access import navigation_for
from shop.admin.errors import StaleEditError
from shop.security import PERSONAL_CACHE_CONTROL

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def admin_context() -> dict:
    role = current_user.role if current_user.is_authenticated else None
    return {"admin_navigation": navigation_for(role) if role else []}


@bp.after_request
def no_store(response):
    """Back-office pages hold private data: never kept by a shared cache or the
    browser's back button after signing out."""
    response.headers.setdefault("Cache-Control", PERSONAL_CACHE_CONTROL)
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
def admin_error(error: HTTPException):
    code = error.code or 500
    message = error.description
    if code == 413:
        limit = current_app.config["UPLOAD_MAX_BYTES"] / 1024 / 1024
        message = f"That file is too large. Pictures may be up to {limit:.1f} MB."
    return render_template(
        "admin/error.html", code=code, title=error.name, message=message, path=request.path
    ), code


def upload_folder() -> str:
    """Where staff uploads are stored: UPLOAD_FOLDER, else instance/uploads."""
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(
        current_app.instance_path, "uploads"
    )


def staff_actor() -> str:
    """How the order timeline names the signed-in staff member."""
    return f"staff:{current_user.email}"


def apply_errors(form, error) -> None:
    """Show a service's refusal on the form: each message next to its field, the rest
    at the top of the form."""
    for name, message in error.field_errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
    if not error.field_errors:
        form.form_errors.append(error.message)


def saved_values(form, error: StaleEditError, *, only_changed=False, skip=()) -> dict:
    """What someone else saved first, labelled as the form labels it, to show next to
    what was typed: every value, or (`only_changed`) those that differ from the form's."""
    shown = {}
    for name, saved in error.current.items():
        if name in skip:
            continue
        if name not in form:
            if not only_changed:
                shown[name] = saved
        elif not only_changed or form[name].data != saved:
            shown[form[name].label.text] = saved
    return shown
