"""Staff account operations; the CLI and the back office both go through here."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from shop.admin.models import MIN_PASSWORD_LENGTH, Role, StaffUser
from shop.extensions import db


class StaffAccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffAccountError(f"{email!r} is not a valid e-mail address: {error}") from None


def create_staff(email: str, role: str, password: str) -> StaffUser:
    """Create a staff account, refusing duplicates, unknown roles and weak passwords."""
    address = normalise_email(email)
    if role not in Role.ALL:
        raise StaffAccountError(f"unknown role {role!r}; choose one of {', '.join(Role.ALL)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == address)) is not None:
        raise StaffAccountError(f"a staff account for {address} already exists")
    staff = StaffUser(email=address, role=role)
    staff.set_password(password)
    db.session.add(staff)
    db.session.commit()
    return staff
