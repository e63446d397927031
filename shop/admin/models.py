"""Staff accounts and their sign-ins. Shoppers have no accounts; staff sign in to /admin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class Role(StrEnum):
    OWNER = "owner"  # everything, including staff accounts
    MERCHANDISER = "merchandiser"  # products, stock, promotions
    EDITOR = "editor"  # articles, shopper reviews
    FULFILMENT = "fulfilment"  # orders, shipping, refunds


MIN_PASSWORD_LENGTH = 12


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "role IN ('owner', 'merchandiser', 'editor', 'fulfilment')", name="known_role"
        ),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def set_password(self, password: str) -> None:
        # scrypt, werkzeug's default: memory-hard and salted.
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The sign-in this object was loaded through, set by `shop.admin.sign_ins`; never
    # stored on this row. Flask-Login keeps what `get_id` returns in the session
    # cookie, so the cookie names a revocable sign-in, not the account.
    sign_in_token = None

    def get_id(self) -> str:
        if not self.sign_in_token:
            raise RuntimeError("a staff member is signed in only through shop.admin.sign_ins")
        return self.sign_in_token

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"


class StaffSignIn(db.Model):
    """One browser's sign-in to the back office, held on the server so it can end.

    The session cookie carries a random token; only its SHA-256 is stored, so a copy
    of the database opens no session. Signing out ends this row; a password change, a
    reset by an owner, switching the account off and "sign out everywhere" end every
    row of the account. A sign-in also ends by itself at `expires_at`, however active.
    """

    __tablename__ = "staff_sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the account page shows so staff recognise their own sessions.
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    staff: Mapped[StaffUser] = relationship()

    def __repr__(self) -> str:
        return f"<StaffSignIn {self.id} staff={self.staff_id}>"


class AuditLogImmutableError(RuntimeError):
    """Somebody tried to change or delete an audit entry through the ORM."""


class AuditEntry(db.Model):
    """One staff change: who, when, what, and the entity before and after.

    Written by the admin services in the same transaction as the change itself, so an
    entry exists exactly when the change does. Entries are never updated or deleted.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    # Kept as it was at the time, so the entry reads the same if the account changes.
    staff_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))  # "product.updated", "order.refunded"
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.entity_type}:{self.entity_id}>"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise AuditLogImmutableError("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise AuditLogImmutableError("audit entries cannot be deleted")
