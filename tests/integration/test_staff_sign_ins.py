"""Staff sign-ins live on the server: a copied session cookie stops working the moment
its sign-in ends (sign-out, password change, an owner's reset, the account switched
off, "sign out everywhere"), on every app server."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from shop.admin import sign_ins
from shop.admin.models import Role, StaffSignIn, StaffUser
from shop.extensions import db
from shop.timeutil import utcnow
from tests.integration.admin_helpers import (
    PASSWORD,
    StaffClient,
    csrf_token,
    isolated_client,
    make_staff,
)

NEW_PASSWORD = "a brand new staff password"


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _browser_with(app, cookie_value: str):
    """Another browser carrying a copy of a saved session cookie."""
    browser = isolated_client(app)
    browser.set_cookie("session", cookie_value)
    return browser


def _opens_the_back_office(browser) -> bool:
    return browser.get("/admin/staff/new").status_code == 200


def _owner_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(StaffUser).where(StaffUser.role == Role.OWNER)
    )


def test_a_cookie_saved_before_sign_out_opens_nothing_after_it(app, client, db_session):
    owner = StaffClient(client, make_staff(Role.OWNER))
    saved = _session_cookie(client)
    copy = _browser_with(app, saved)
    assert _opens_the_back_office(copy)

    assert owner.post("/admin/logout").status_code == 302

    replay = _browser_with(app, saved)
    assert not _opens_the_back_office(replay)
    # Nor can it create an owner account, even with a valid CSRF token of its session.
    token = csrf_token(replay)
    response = replay.post(
        "/admin/staff/new",
        data={
            "csrf_token": token,
            "email": "intruder@example.com",
            "role": Role.OWNER,
            "password": "intruder password 1",
            "confirm": "intruder password 1",
        },
    )
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert _owner_count() == 1


def test_changing_the_password_signs_out_every_other_browser(app, client, db_session):
    staff = make_staff(Role.OWNER)
    other = StaffClient(isolated_client(app), staff)
    saved = _session_cookie(other.client)
    me = StaffClient(client, staff)

    changed = me.post(
        "/admin/account",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302

    assert not _opens_the_back_office(other.client)
    assert not _opens_the_back_office(_browser_with(app, saved))
    # The browser that changed it stays signed in, under a new token.
    assert me.get("/admin/staff/new").status_code == 200
    assert _session_cookie(client) != saved


def test_a_reset_by_an_owner_signs_the_person_out_everywhere(app, client, db_session):
    owner = StaffClient(client, make_staff(Role.OWNER))
    clerk = StaffClient(isolated_client(app), make_staff(Role.FULFILMENT))
    assert clerk.get("/admin/orders").status_code == 200

    response = owner.post(
        f"/admin/staff/{clerk.staff.id}/password",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert clerk.get("/admin/orders").status_code == 302
    assert owner.get("/admin/staff").status_code == 200  # the owner's own sign-in is untouched


def test_an_owner_cannot_reset_their_own_password_without_the_current_one(app, client, db_session):
    """The staff page sets a password without asking for the current one: used on the
    owner's own account, a stolen cookie could lock the owner out and sign itself in
    afresh for another 8 hours. Their own password changes on the account page."""
    staff = make_staff(Role.OWNER)
    elsewhere = StaffClient(isolated_client(app), staff)
    owner = StaffClient(client, staff)
    response = owner.post(
        f"/admin/staff/{staff.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert "This is your own account" in response.get_data(as_text=True)
    assert db.session.get(StaffUser, staff.id).check_password(PASSWORD)
    assert elsewhere.get("/admin/staff").status_code == 200
    assert len(sign_ins.active_for(staff.id)) == 2


def test_switching_an_account_off_and_on_again_revives_no_session(app, client, db_session):
    owner = StaffClient(client, make_staff(Role.OWNER))
    editor_staff = make_staff(Role.EDITOR)
    editor = StaffClient(isolated_client(app), editor_staff)
    saved = _session_cookie(editor.client)

    for active in (False, True):
        form = {"role": Role.EDITOR}
        if active:
            form["is_active"] = "y"
        assert owner.post(f"/admin/staff/{editor_staff.id}", form).status_code == 302

    assert db.session.get(StaffUser, editor_staff.id).is_active_account
    assert editor.get("/admin/articles").status_code == 302
    assert _browser_with(app, saved).get("/admin/articles").status_code == 302
    # Signing in again works as usual.
    assert StaffClient(isolated_client(app), editor_staff).get("/admin/articles").status_code == 200


def test_sign_out_everywhere_ends_every_browser_including_this_one(app, client, db_session):
    staff = make_staff(Role.MERCHANDISER)
    browsers = [StaffClient(isolated_client(app), staff) for _ in range(2)]
    me = StaffClient(client, staff)
    page = me.html("/admin/account")
    assert page.count("<tr>") == 1 + 3  # header row and three sign-ins
    assert "(this browser)" in page

    response = me.post("/admin/logout-everywhere")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    assert "signed out of every browser (3 in all)" in me.get("/admin/login").get_data(as_text=True)
    for browser in [me, *browsers]:
        assert browser.get("/admin/products").status_code == 302
    assert (
        db.session.scalar(
            select(func.count()).select_from(StaffSignIn).where(StaffSignIn.ended_at.is_(None))
        )
        == 0
    )


def test_an_ended_sign_in_is_explained_once_and_then_forgotten(app, client, db_session):
    staff = make_staff(Role.OWNER)
    owner = StaffClient(client, staff)
    StaffClient(isolated_client(app), staff).post("/admin/logout-everywhere")

    first = owner.get("/admin/staff")
    assert first.status_code == 302
    assert "You were signed out" in owner.get("/admin/login").get_data(as_text=True)
    # The cookie no longer names a sign-in: no further lookups, no repeated message.
    with client.session_transaction() as session:
        assert not any(key.endswith("user_id") for key in session)
    assert "You were signed out" not in owner.get("/admin/login").get_data(as_text=True)


def test_the_cookie_names_a_sign_in_and_the_database_keeps_only_its_hash(client, db_session):
    staff = make_staff(Role.OWNER)
    StaffClient(client, staff)
    with client.session_transaction() as session:
        token = session["_user_id"]
    assert token != str(staff.id) and len(token) >= 40
    stored = db.session.scalars(select(StaffSignIn.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_long_ended_sign_ins_are_dropped_when_the_account_signs_in_again(client, db_session):
    staff = make_staff(Role.EDITOR)
    long_ago = utcnow() - sign_ins.KEPT_AFTER_ENDING - timedelta(days=1)
    sign_ins.start(staff, timedelta(hours=8), now=long_ago)  # expired long ago
    recent = sign_ins.start(staff, timedelta(hours=8), now=utcnow() - timedelta(days=2))
    sign_ins.end(recent)
    db.session.commit()

    StaffClient(client, staff)

    kept = db.session.scalars(select(StaffSignIn).order_by(StaffSignIn.created_at)).all()
    assert len(kept) == 2 and kept[0].ended_at is not None and kept[1].ended_at is None
