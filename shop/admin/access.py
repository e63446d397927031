"""Who may open which part of the back office, and where a sign-in may send you next.

Every back-office view is wrapped in `staff_required(...)`: an anonymous visitor is sent
to the sign-in page, a signed-in staff member of another role gets a 403, and a sign-in
older than ADMIN_SESSION_MAX_AGE ends (however active the session has been), as does
one ended on the server (see `sign_ins`). The owner may do everything, so the owner
role is always allowed.

The decorator records the roles on the view (`staff_roles`): a test walks the URL map
and checks every back-office route against them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, logout_user

from shop.admin.auth import ended_sign_in
from shop.admin.models import Role, StaffUser
from shop.admin.sign_ins import SignInEnded

F = TypeVar("F", bound=Callable)

ENDED_MESSAGES = {
    SignInEnded.EXPIRED: "Your session expired. Please sign in again.",
    SignInEnded.REVOKED: "You were signed out. Please sign in again.",
}


class Area:
    """The back-office areas and the roles (besides the owner) that work in them."""

    DASHBOARD = (Role.MERCHANDISER,)
    CATALOG = (Role.MERCHANDISER,)
    PROMOTIONS = (Role.MERCHANDISER,)
    SHIPPING = (Role.MERCHANDISER,)  # where the store ships and what it charges
    CONTENT = (Role.EDITOR,)
    ORDERS = (Role.FULFILMENT,)
    STAFF = ()  # the owner only
    AUDIT = ()  # the owner only


# The navigation, in order: (label, endpoint, roles besides the owner).
NAVIGATION = (
    ("Dashboard", "admin.dashboard", Area.DASHBOARD),
    ("Products", "admin.products", Area.CATALOG),
    ("Promotions", "admin.promotions", Area.PROMOTIONS),
    ("Shipping", "admin.shipping", Area.SHIPPING),
    ("Articles", "admin.articles", Area.CONTENT),
    ("Reviews", "admin.reviews", Area.CONTENT),
    ("Orders", "admin.orders", Area.ORDERS),
    ("Staff", "admin.staff_list", Area.STAFF),
    ("Audit log", "admin.audit_log", Area.AUDIT),
)


def signed_in_staff() -> StaffUser:
    """The staff member behind this request, as the model (services take it as the
    actor; `current_user` is only a proxy to it)."""
    return current_user._get_current_object()


def allowed(role: str, roles: tuple[str, ...] | None) -> bool:
    """May a staff member with `role` use a view open to `roles` (None: every role)?"""
    if roles is None:
        return role in tuple(Role)
    return role == Role.OWNER or role in roles


def navigation_for(role: str) -> list[tuple[str, str]]:
    """(label, endpoint) of the areas this role works in, for the menu."""
    return [(label, endpoint) for label, endpoint, roles in NAVIGATION if allowed(role, roles)]


def home_endpoint_for(role: str) -> str:
    """Where a staff member lands after signing in: the first area of their role."""
    entries = navigation_for(role)
    return entries[0][1] if entries else "admin.account"


def forget_ended_sign_in() -> None:
    """If this browser's sign-in ended on the server, drop it from the cookie and say
    why once (later requests then carry no sign-in to look up)."""
    reason = ended_sign_in()
    if reason is not None:
        logout_user()
        flash(ENDED_MESSAGES[reason], "error")


def staff_required(*roles: str, any_role: bool = False) -> Callable[[F], F]:
    """Protect a back-office view: `staff_required(Role.EDITOR)` lets editors and the
    owner in; `staff_required(any_role=True)` lets every signed-in staff member in."""
    allowed_roles: tuple[str, ...] | None = None if any_role else tuple(roles)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                forget_ended_sign_in()
                return _to_sign_in()
            if not allowed(current_user.role, allowed_roles):
                abort(403, description="Your role does not give access to this page.")
            return view(*args, **kwargs)

        wrapper.staff_roles = allowed_roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _to_sign_in():
    # Only a page can be returned to: after signing in, a POST target would be a GET.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target))


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path inside the back office, else None (no open redirect).

    Refuses absolute URLs, scheme-relative ones (`//evil.example`), backslash tricks
    that browsers read as `//`, and anything outside /admin.
    """
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    if parts.path != "/admin" and not parts.path.startswith("/admin/"):
        return None
    return target
