"""Signing in and out of the back office, and the signed-in staff member's own account.

Sign-in is rate-limited twice: per account (the e-mail typed) and per address, so
neither guessing one account's password from many addresses nor trying many accounts
from one address gets far. Only failed attempts count. The limits live in the
limiter's storage: memory by default, Redis when REDIS_URL is set (several servers).
"""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from shop.admin import service
from shop.admin.access import (
    SIGNED_IN_AT_KEY,
    home_endpoint_for,
    safe_next,
    sign_in_expired,
    staff_required,
)
from shop.admin.forms import LoginForm, OwnPasswordForm
from shop.admin.views.blueprint import bp
from shop.extensions import limiter

WRONG_CREDENTIALS = "That e-mail and password do not match an active staff account."


def _account_key() -> str:
    return "staff-sign-in:account:" + (request.form.get("email") or "").strip().lower()


def _address_key() -> str:
    return "staff-sign-in:address:" + (get_remote_address() or "")


def _fresh_session() -> None:
    """Start a new session (nothing from before carries over, so a planted session
    cannot be taken over) and forget this request's cached CSRF token with it."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


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
    form = LoginForm()
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated and not sign_in_expired():
        return redirect(target or url_for(home_endpoint_for(current_user.role)))
    status = 200
    if form.validate_on_submit():
        staff = service.authenticate(form.email.data, form.password.data)
        if staff is not None:
            _fresh_session()
            login_user(staff)
            session.permanent = True
            session[SIGNED_IN_AT_KEY] = int(time.time())
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
    logout_user()
    _fresh_session()
    flash("You are signed out.", "success")
    return redirect(url_for("admin.login"))


@bp.get("/")
@staff_required(any_role=True)
def index():
    return redirect(url_for(home_endpoint_for(current_user.role)))


@bp.route("/account", methods=["GET", "POST"])
@staff_required(any_role=True)
def account():
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            service.change_own_password(
                current_user._get_current_object(), form.current_password.data, form.password.data
            )
        except service.StaffAccountError as error:
            form.current_password.errors = [str(error)]
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("admin.account"))
    status = 422 if form.errors else 200
    return render_template("admin/account.html", form=form), status
