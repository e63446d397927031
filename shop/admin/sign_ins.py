"""Staff sign-ins held on the server, so that signing out really ends them.

A signed cookie alone cannot be taken back: a copy made before sign-out would keep
working. So each sign-in is a `StaffSignIn` row and the cookie carries only a random
token naming it (Flask-Login's alternative-id pattern: `StaffUser.get_id` returns
the token, the user loader looks the token up). Ending a row ends that browser's
session at its next request, on every app server.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from shop.admin.models import StaffSignIn, StaffUser
from shop.extensions import db
from shop.timeutil import utcnow

# Ended sign-ins are kept this long (the account page and an investigation can tell
# where an account was used), then dropped when the account next signs in.
KEPT_AFTER_ENDING = timedelta(days=90)


class SignInEnded(StrEnum):
    """Why a cookie's sign-in no longer opens the back office."""

    EXPIRED = "expired"
    REVOKED = "revoked"  # signed out, here or everywhere, or the password changed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    staff: StaffUser,
    max_age: timedelta,
    *,
    user_agent: str = "",
    address: str = "",
    now: datetime | None = None,
) -> str:
    """Record a new sign-in for `staff` and return the token its cookie will carry."""
    now = now or utcnow()
    forgotten = now - KEPT_AFTER_ENDING
    db.session.execute(
        delete(StaffSignIn).where(
            StaffSignIn.staff_id == staff.id,
            or_(StaffSignIn.ended_at < forgotten, StaffSignIn.expires_at < forgotten),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSignIn(
            staff_id=staff.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + max_age,
            user_agent=user_agent[:200],
            address=address[:64],
        )
    )
    db.session.flush()
    staff.sign_in_token = token
    return token


def find(token: str, now: datetime | None = None) -> StaffUser | SignInEnded | None:
    """The active staff member a cookie's token signs in, or why it no longer does
    (None: the token names no sign-in at all)."""
    if not token or len(token) > 128:
        return None
    sign_in = db.session.scalar(
        select(StaffSignIn)
        .options(joinedload(StaffSignIn.staff))  # one query per back-office request
        .where(StaffSignIn.token_hash == _hash(token))
    )
    if sign_in is None:
        return None
    if sign_in.ended_at is not None or not sign_in.staff.is_active:
        return SignInEnded.REVOKED
    if sign_in.expires_at <= (now or utcnow()):
        return SignInEnded.EXPIRED
    staff = sign_in.staff
    staff.sign_in_token = token
    return staff


def end(token: str | None, now: datetime | None = None) -> None:
    """Sign one browser out."""
    if token:
        db.session.execute(
            update(StaffSignIn)
            .where(StaffSignIn.token_hash == _hash(token), StaffSignIn.ended_at.is_(None))
            .values(ended_at=now or utcnow())
        )


def end_all(staff_id: int, now: datetime | None = None) -> int:
    """Sign an account out of every browser; returns how many sign-ins ended."""
    result = db.session.execute(
        update(StaffSignIn)
        .where(StaffSignIn.staff_id == staff_id, StaffSignIn.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
    return result.rowcount


def active_for(staff_id: int, now: datetime | None = None) -> Sequence[StaffSignIn]:
    """The account's sign-ins that still open the back office, newest first."""
    return db.session.scalars(
        select(StaffSignIn)
        .where(
            StaffSignIn.staff_id == staff_id,
            StaffSignIn.ended_at.is_(None),
            StaffSignIn.expires_at > (now or utcnow()),
        )
        .order_by(StaffSignIn.created_at.desc(), StaffSignIn.id.desc())
    ).all()


def is_token_of(sign_in: StaffSignIn, token: str | None) -> bool:
    """Is `sign_in` the one this browser's token names (for "this browser")?"""
    return bool(token) and secrets.compare_digest(sign_in.token_hash, _hash(token or ""))
