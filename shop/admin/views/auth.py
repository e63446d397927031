"""Signing in and out of the back office, and the signed-in staff member's own account.

Sign-in is rate-limited twice: per account (the e-mail typed) and per address, so
neither guessing one account's password from many addresses nor trying many accounts
from one address gets far. Only failed attempts count. The limits live in the
limiter's storage: memory by default, Redis when REDIS_URL is set (several servers).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.datastructures import MultiDict

from shop.admin import service, sign_ins
from shop.admin.access import (
    forget_ended_sign_in,
    home_endpoint_for,
    safe_next,
    signed_in_staff,
    staff_required,
)
from shop.admin.forms import LoginForm, OwnPasswordForm
from shop.admin.models import StaffUser
from shop.admin.views.blueprint import bp
from shop.extensions import limiter

WRONG_CREDENTIALS = "That e-mail and password do not match an active staff account."

# What the sign-in form can be sent as: a browser's form, or a JSON object (which
# Flask-WTF reads as form data too). Anything else is refused before it is read.
FORM_BODY_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "application/json"}
)


def _submitted_email() -> str:
    """The e-mail the sign-in attempt names, read as the form reads it from whichever
    body it accepts (a JSON list: its first item), so every attempt on one account
    counts against that account."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        fields = MultiDict(body) if isinstance(body, dict) else MultiDict()
    else:
        fields = request.form
    email = fields.get("email")
    return email.strip().lower() if isinstance(email, str) else ""


def _account_key() -> str:
    return "staff-sign-in:account:" + _submitted_email()


def _address_key() -> str:
    return "staff-sign-in:address:" + (get_remote_address() or "")


def _fresh_session() -> None:
    """Start a new session (nothing from before carries over, so a planted session
    cannot be taken over) and forget this request's cached CSRF token with it."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def sign_in_this_browser(staff: StaffUser) -> None:
    """A new session (no fixation) naming a new server-side sign-in."""
    _fresh_session()
    service.begin_sign_in(
        staff,
        current_app.config["ADMIN_SESSION_MAX_AGE"],
        user_agent=request.user_agent.string,
        address=request.remote_addr or "",
    )
    login_user(staff)
    session.permanent = True


def _failed(response) -> bool:
    """A successful sign-in redirects; anything else was a failed attempt."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ADMIN_LOGIN_LIMIT_PER_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["ADMIN_LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login():
    if request.method == "POST" and request.mimetype not in FORM_BODY_TYPES:
        abort(415, description="Send the sign-in form as form data or a JSON object.")
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for(home_endpoint_for(current_user.role)))
    forget_ended_sign_in()
    status = 200
    if form.validate_on_submit():
        staff = service.authenticate(form.email.data, form.password.data)
        if staff is not None:
            sign_in_this_browser(staff)
            return redirect(target or url_for(home_endpoint_for(staff.role)))
        form.password.errors = [WRONG_CREDENTIALS]
        status = 401
    elif form.errors:
        status = 422
    form.next.data = target or ""
    form.password.data = ""
    return render_template("admin/login.html", form=form), status


@bp.errorhandler(429)
def too_many_attempts(error):
    form = LoginForm()
    form.password.data = ""
    message = "Too many failed sign-in attempts. Please wait a few minutes before trying again."
    return render_template("admin/login.html", form=form, blocked=message), 429


@bp.post("/logout")
@staff_required(any_role=True)
def logout():
    service.end_sign_in(signed_in_staff())
    logout_user()
    _fresh_session()
    flash("You are signed out.", "success")
    return redirect(url_for("admin.login"))


@bp.get("/")
@staff_required(any_role=True)
def index():
    return redirect(url_for(home_endpoint_for(current_user.role)))


@bp.post("/logout-everywhere")
@staff_required(any_role=True)
def logout_everywhere():
    ended = service.sign_out_everywhere(signed_in_staff())
    logout_user()
    _fresh_session()
    flash(f"You are signed out of every browser ({ended} in all).", "success")
    return redirect(url_for("admin.login"))


@bp.route("/account", methods=["GET", "POST"])
@staff_required(any_role=True)
def account():
    staff = signed_in_staff()
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            service.change_own_password(staff, form.current_password.data, form.password.data)
        except service.StaffAccountError as error:
            form.current_password.errors = [str(error)]
        else:
            sign_in_this_browser(staff)  # every sign-in ended with the old password; keep this one
            flash("Your password is changed. Every other browser is signed out.", "success")
            return redirect(url_for("admin.account"))
    status = 422 if form.errors else 200
    return render_template(
        "admin/account.html",
        form=form,
        sign_ins=sign_ins.active_for(staff.id),
        this_token=staff.sign_in_token,
        is_token_of=sign_ins.is_token_of,
    ), status
