"""Staff account operations; the CLI and the back office both go through here."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from shop.admin import audit, sign_ins
from shop.admin.models import MIN_PASSWORD_LENGTH, Role, StaffUser
from shop.extensions import db

STAFF_FIELDS = ("email", "role", "is_active_account")


class StaffAccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffAccountError(f"{email!r} is not a valid e-mail address: {error}") from None


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_staff(
    email: str, role: str, password: str, *, created_by: StaffUser | None = None
) -> StaffUser:
    """Create a staff account, refusing duplicates, unknown roles and weak passwords.

    `created_by` is the owner creating it in the back office (audited); the CLI passes
    nobody.
    """
    address = normalise_email(email)
    if role not in tuple(Role):
        raise StaffAccountError(f"unknown role {role!r}; choose one of {', '.join(Role)}")
    _check_password_strength(password)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == address)) is not None:
        raise StaffAccountError(f"a staff account for {address} already exists")
    staff = StaffUser(email=address, role=role)
    staff.set_password(password)
    db.session.add(staff)
    if created_by is not None:
        db.session.flush()
        audit.record(
            created_by,
            "staff.created",
            "staff",
            staff.id,
            f"Created {role} account {address}",
            after=audit.snapshot(staff, STAFF_FIELDS),
        )
    db.session.flush()
    return staff


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return generate_password_hash("no account has this password", method="scrypt")


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active account with this e-mail and password, or None.

    An unknown address costs the same hashing time as a wrong password, so response
    times do not tell which addresses have accounts.
    """
    address = (email or "").strip().lower()
    usable = 0 < len(address) <= 254 and address.isprintable()
    staff = (
        db.session.scalar(select(StaffUser).where(StaffUser.email == address)) if usable else None
    )
    if staff is None:
        check_password_hash(_decoy_hash(), password or "")
        return None
    if not staff.check_password(password or "") or not staff.is_active:
        return None
    return staff


def begin_sign_in(staff: StaffUser, max_age, *, user_agent: str = "", address: str = "") -> None:
    """Record a new sign-in; `staff.get_id()` then gives the token for the cookie."""
    sign_ins.start(staff, max_age, user_agent=user_agent, address=address)
    db.session.flush()


def end_sign_in(staff: StaffUser) -> None:
    """Sign this browser out: its token opens nothing any more, anywhere."""
    sign_ins.end(staff.sign_in_token)
    db.session.flush()


def sign_out_everywhere(staff: StaffUser) -> int:
    """End every sign-in of the account (a lost laptop, a shared computer)."""
    ended = sign_ins.end_all(staff.id)
    audit.record(
        staff, "staff.signed_out_everywhere", "staff", staff.id, f"Ended {ended} sign-in(s)"
    )
    db.session.flush()
    return ended


def list_staff() -> Sequence[StaffUser]:
    return db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()


def get_staff(staff_id: int) -> StaffUser | None:
    return db.session.get(StaffUser, staff_id)


def _active_owner_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == Role.OWNER, StaffUser.is_active_account.is_(True))
    )


def update_staff(staff_id: int, role: str, is_active: bool, actor: StaffUser) -> StaffUser:
    """Change an account's role or switch it off. The store always keeps an active
    owner, and nobody switches off or demotes their own account by mistake. Switching
    an account off ends its sign-ins, so switching it on again revives none."""
    staff = get_staff(staff_id)
    if staff is None:
        raise StaffAccountError("this staff account no longer exists")
    if role not in tuple(Role):
        raise StaffAccountError(f"unknown role {role!r}")
    if staff.id == actor.id and (role != staff.role or not is_active):
        raise StaffAccountError("you cannot change your own role or switch off your own account")
    losing_owner = (
        staff.role == Role.OWNER and staff.is_active and (role != Role.OWNER or not is_active)
    )
    if losing_owner and _active_owner_count() <= 1:
        raise StaffAccountError("the store needs at least one active owner")
    before = audit.snapshot(staff, STAFF_FIELDS)
    staff.role = role
    staff.is_active_account = is_active
    if not is_active:
        sign_ins.end_all(staff.id)
    after = audit.snapshot(staff, STAFF_FIELDS)
    if before != after:
        audit.record(
            actor,
            "staff.updated",
            "staff",
            staff.id,
            f"Changed account {staff.email}",
            before=before,
            after=after,
        )
        db.session.flush()
    return staff


def set_password(staff_id: int, password: str, actor: StaffUser) -> StaffUser:
    """An owner sets a new password for a staff member (who forgot theirs, or whose
    password leaked): every browser signed in with the old one is signed out."""
    staff = get_staff(staff_id)
    if staff is None:
        raise StaffAccountError("this staff account no longer exists")
    if staff.id == actor.id:  # nobody skips the current-password check on their own account
        raise StaffAccountError("change your own password on your account page")
    _check_password_strength(password)
    staff.set_password(password)
    sign_ins.end_all(staff.id)
    # The audit log never holds a password or its hash: only that it changed.
    audit.record(
        actor, "staff.password_set", "staff", staff.id, f"Set a new password for {staff.email}"
    )
    db.session.flush()
    return staff


def change_own_password(staff: StaffUser, current_password: str, new_password: str) -> None:
    """Every sign-in of the account ends, this browser's too: the view signs this
    browser in again with a new token, so only whoever knows the new password stays."""
    if not staff.check_password(current_password or ""):
        raise StaffAccountError("Your current password is not right.")
    _check_password_strength(new_password)
    staff.set_password(new_password)
    sign_ins.end_all(staff.id)
    audit.record(staff, "staff.password_changed", "staff", staff.id, "Changed their own password")
    db.session.flush()
