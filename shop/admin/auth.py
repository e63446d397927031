"""How Flask-Login finds the signed-in staff member behind a session."""

from __future__ import annotations

from shop.admin.models import StaffUser
from shop.extensions import db, login_manager


@login_manager.user_loader
def load_staff(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    staff = db.session.get(StaffUser, int(user_id))
    return staff if staff is not None and staff.is_active else None
