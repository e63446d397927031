"""Staff accounts. Shoppers have no accounts; staff sign in to /admin."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class Role:
    OWNER = "owner"  # everything, including staff accounts
    MERCHANDISER = "merchandiser"  # products, stock, promotions
    EDITOR = "editor"  # articles, shopper reviews
    FULFILMENT = "fulfilment"  # orders, shipping, refunds

    ALL = (OWNER, MERCHANDISER, EDITOR, FULFILMENT)


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

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"
