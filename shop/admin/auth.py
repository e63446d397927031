"""How Flask-Login finds the signed-in staff member behind a session.

The session cookie holds a sign-in token, not an account id (see `sign_ins`): a
token whose sign-in has ended or expired signs nobody in. Why it ended is kept on
`g` for this request, so the back office can tell the person instead of just
showing the sign-in page.
"""

from __future__ import annotations

from flask import g

from shop.admin import sign_ins
from shop.admin.models import StaffUser
from shop.extensions import login_manager

ENDED_SIGN_IN = "staff_sign_in_ended"


@login_manager.user_loader
def load_staff(token: str) -> StaffUser | None:
    found = sign_ins.find(token)
    if isinstance(found, sign_ins.SignInEnded):
        setattr(g, ENDED_SIGN_IN, found)
        return None
    return found


def ended_sign_in() -> sign_ins.SignInEnded | None:
    """Why this request's cookie no longer signs anybody in, if it once did."""
    return g.get(ENDED_SIGN_IN)
