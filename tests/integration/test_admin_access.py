"""Who gets into the back office: sign-in, sign-out, session expiry, safe redirects,
rate limits, and a walk over every back-office route for every role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from shop.admin.access import allowed, safe_next
from shop.admin.models import Role, StaffSignIn
from shop.extensions import db
from shop.timeutil import utcnow
from tests.integration.admin_helpers import PASSWORD, StaffClient, csrf_token, make_staff

# ---------------------------------------------------------------- signing in and out


def test_sign_in_lands_on_the_roles_first_area(client):
    editor = make_staff(Role.EDITOR)
    response = StaffClient(client).login(editor.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/articles")


def test_wrong_password_is_refused_with_a_message_and_keeps_the_email(client):
    make_staff(Role.OWNER)
    response = StaffClient(client).login("owner@example.com", "not the password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "do not match an active staff account" in html
    assert 'value="owner@example.com"' in html
    assert "not the password" not in html
    assert StaffClient(client).get("/admin/orders").status_code == 302


def test_unknown_address_and_switched_off_account_get_the_same_answer(client, db_session):
    staff = make_staff(Role.FULFILMENT)
    staff.is_active_account = False
    db_session.commit()
    off = StaffClient(client).login(staff.email)
    unknown = StaffClient(client).login("nobody@example.com")
    assert off.status_code == unknown.status_code == 401


def test_sign_in_form_needs_csrf(client):
    make_staff(Role.OWNER)
    response = client.post(
        "/admin/login", data={"email": "owner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400


def test_sign_out_is_a_post_and_ends_the_session(client):
    staff = StaffClient(client, make_staff(Role.OWNER))
    assert staff.get("/admin/logout").status_code == 405
    response = staff.post("/admin/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    assert StaffClient(client).get("/admin/staff").status_code == 302


def test_next_parameter_is_followed_inside_the_back_office_only(client):
    make_staff(Role.OWNER)
    inside = StaffClient(client).login("owner@example.com", next="/admin/orders?status=paid")
    assert inside.headers["Location"].endswith("/admin/orders?status=paid")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin",
        "//evil.example/admin",
        "/\\evil.example",
        "\\\\evil.example",
        "/products",
        "/administrator",
        "javascript:alert(1)",
        "/admin\r\nLocation: https://evil.example",
    ],
)
def test_next_parameter_never_leaves_the_back_office(client, target):
    make_staff(Role.OWNER)
    response = StaffClient(client).login("owner@example.com", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/dashboard"
    assert safe_next(target) is None


def test_anonymous_visit_remembers_where_it_was_going(client, db_session):
    response = StaffClient(client).get("/admin/orders?status=paid")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    make_staff(Role.FULFILMENT)
    login_page = StaffClient(client).get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/orders?status=paid"' in login_page


def test_a_sign_in_expires_however_active_the_session(client, app):
    staff = StaffClient(client, make_staff(Role.OWNER))
    assert staff.get("/admin/staff").status_code == 200
    max_age = app.config["ADMIN_SESSION_MAX_AGE"]
    signed_in_at = utcnow() - max_age - timedelta(seconds=5)
    db.session.execute(
        update(StaffSignIn).values(created_at=signed_in_at, expires_at=signed_in_at + max_age)
    )
    db.session.commit()
    response = staff.get("/admin/staff")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert "Your session expired" in StaffClient(client).get("/admin/login").get_data(as_text=True)
    assert StaffClient(client).get("/admin/staff").status_code == 302


def test_session_cookie_is_permanent_with_the_configured_lifetime(client, app):
    staff = make_staff(Role.OWNER)
    response = StaffClient(client).login(staff.email)
    cookie = response.headers.get("Set-Cookie", "")
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(app, db_session):
    from shop import create_app
    from shop.config import ProductionConfig

    production = create_app(
        ProductionConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "x" * 40,
            "RATELIMIT_ENABLED": False,
        },
    )
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    make_staff(Role.OWNER)
    client = production.test_client()
    page = client.get("/admin/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/admin/login"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_owner_can_change_their_own_password(client):
    staff = StaffClient(client, make_staff(Role.OWNER))
    wrong = staff.post(
        "/admin/account",
        {"current_password": "nope", "password": "x" * 12, "confirm": "x" * 12},
    )
    assert wrong.status_code == 422
    assert "current password is not right" in wrong.get_data(as_text=True)
    response = staff.post(
        "/admin/account",
        {
            "current_password": PASSWORD,
            "password": "new password 123",
            "confirm": "new password 123",
        },
    )
    assert response.status_code == 302
    staff.post("/admin/logout")
    assert StaffClient(client).login("owner@example.com").status_code == 401
    assert StaffClient(client).login("owner@example.com", "new password 123").status_code == 302


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def limited_app(app: Flask):
    """A fresh app on the test database with rate limits on (tests run without them).

    The limiter is one object shared by every app; it is switched back off and emptied
    afterwards, so no other test is limited.
    """
    from shop import create_app
    from shop.config import TestConfig
    from shop.extensions import limiter

    fresh = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "ADMIN_LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
            "ADMIN_LOGIN_LIMIT_PER_ADDRESS": "6 per 15 minutes",
        },
    )
    try:
        limiter.reset()
        yield fresh
    finally:
        limiter.reset()
        limiter.enabled = False


def _attempt(client, email, password, address):
    token = csrf_token(client)
    return client.post(
        "/admin/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_sign_in_is_limited_per_account(limited_app, db_session):
    make_staff(Role.OWNER)
    client = limited_app.test_client()
    email = "owner@example.com"
    # Three wrong guesses, each from another address, lock the account itself...
    for number in range(3):
        assert _attempt(client, email, "wrong guess", f"10.0.0.{number}").status_code == 401
    blocked = _attempt(client, email, PASSWORD, "10.0.0.99")
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.get_data(as_text=True)
    # ...and only that account.
    make_staff(Role.EDITOR)
    assert _attempt(client, "editor@example.com", PASSWORD, "10.0.0.99").status_code == 302


def _json_attempt(client, email, password, address):
    return client.post(
        "/admin/login",
        json={"email": email, "password": password},
        headers={"X-CSRFToken": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_json_sign_ins_count_against_the_account_they_name(limited_app, db_session):
    make_staff(Role.OWNER)
    make_staff(Role.EDITOR)
    client = limited_app.test_client()
    for number in range(3):
        wrong = _json_attempt(client, "Owner@Example.com ", "wrong guess", f"10.3.0.{number}")
        assert wrong.status_code == 401
    # The owner's account is locked whichever body type the next attempt uses...
    assert _attempt(client, "owner@example.com", PASSWORD, "10.3.0.99").status_code == 429
    assert _json_attempt(client, "owner@example.com", PASSWORD, "10.3.0.98").status_code == 429
    # A list is read as its first item by the form, and so by the limit.
    listed = _json_attempt(client, ["owner@example.com"], "another guess", "10.3.0.96")
    assert listed.status_code == 429
    # ...and JSON attempts on one account do not lock another.
    assert _json_attempt(client, "editor@example.com", PASSWORD, "10.3.0.97").status_code == 302


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("email=owner@example.com&password=x", "text/plain"),
        ("<login><email>owner@example.com</email></login>", "application/xml"),
    ],
)
def test_sign_in_refuses_bodies_the_form_does_not_read(client, body, content_type):
    make_staff(Role.OWNER)
    response = client.post(
        "/admin/login",
        data=body,
        content_type=content_type,
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 415
    assert "form data or a JSON object" in response.get_data(as_text=True)


def test_sign_in_is_limited_per_address(limited_app, db_session):
    make_staff(Role.OWNER)
    client = limited_app.test_client()
    for number in range(6):
        response = _attempt(client, f"guess{number}@example.com", "wrong", "10.1.1.1")
        assert response.status_code == 401
    assert _attempt(client, "owner@example.com", PASSWORD, "10.1.1.1").status_code == 429
    assert _attempt(client, "owner@example.com", PASSWORD, "10.1.1.2").status_code == 302


def test_successful_sign_ins_do_not_count(limited_app, db_session):
    make_staff(Role.OWNER)
    client = limited_app.test_client()
    for _ in range(5):
        assert _attempt(client, "owner@example.com", PASSWORD, "10.2.2.2").status_code == 302
        client.post("/admin/logout", data={"csrf_token": csrf_token(client)})


# ---------------------------------------------------------------- every route, every role

PUBLIC_ENDPOINTS = {"admin.login", "admin.static"}
SIGN_OUTS = {"admin.logout", "admin.logout_everywhere"}


def _admin_rules(app: Flask):
    # Signing out goes last: it ends the session the other requests use.
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint in SIGN_OUTS)
    for rule in rules:
        if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule) -> str:
    return rule.build(dict.fromkeys(rule.arguments, 999999), append_unknown=False)[1]


def test_every_back_office_route_is_protected_for_every_role(app, client, db_session):
    rules = list(_admin_rules(app))
    assert len(rules) > 30  # the walk really walks the back office
    accounts = {role: make_staff(role) for role in Role}
    clients = {role: StaffClient(app.test_client(), staff) for role, staff in accounts.items()}
    visitor = StaffClient(client)
    tokens = {role: staff.token for role, staff in clients.items()}
    anonymous_token = visitor.token
    for rule, method in rules:
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "staff_roles"), f"{rule.endpoint} is not behind staff_required"
        roles = view.staff_roles
        url = _url(rule)
        data = {"csrf_token": anonymous_token}
        anonymous = visitor.open(url, method=method, data=data if method == "POST" else None)
        assert anonymous.status_code == 302, (rule.rule, method, anonymous.status_code)
        assert "/admin/login" in anonymous.headers["Location"], rule.rule
        for role, staff in clients.items():
            body = {"csrf_token": tokens[role]} if method == "POST" else None
            response = staff.open(url, method=method, data=body)
            if allowed(role, roles):
                assert response.status_code != 403, (rule.rule, method, role)
                assert response.status_code < 500, (rule.rule, method, role)
            else:
                assert response.status_code == 403, (rule.rule, method, role, response.status_code)


def test_the_owner_is_allowed_everywhere_and_roles_keep_to_their_areas():
    assert allowed(Role.OWNER, ())
    assert allowed(Role.EDITOR, (Role.EDITOR,))
    assert not allowed(Role.EDITOR, (Role.MERCHANDISER,))
    assert allowed(Role.FULFILMENT, None)


def test_navigation_shows_only_the_roles_areas(client):
    staff = StaffClient(client, make_staff(Role.FULFILMENT))
    html = staff.html("/admin/orders")
    assert ">Orders</a>" in html
    for hidden in (">Products<", ">Promotions<", ">Staff<", ">Audit log<", ">Articles<"):
        assert hidden not in html
