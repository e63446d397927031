"""Staff accounts in the back office: the owner creates them, changes roles, switches
them off and sets passwords; the store always keeps an active owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.admin.models import AuditEntry, Role, StaffUser
from shop.extensions import db
from tests.integration.admin_helpers import PASSWORD, StaffClient, isolated_client, make_staff

NEW_ACCOUNT = {
    "email": "Sam.Editor@Example.com",
    "role": "editor",
    "password": "a fine long password",
    "confirm": "a fine long password",
}


@pytest.fixture
def owner(app, db_session) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.OWNER))


def account(email: str) -> StaffUser | None:
    db.session.rollback()
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def test_owner_creates_an_account_that_can_sign_in(app, owner):
    response = owner.post("/admin/staff/new", NEW_ACCOUNT)
    assert response.status_code == 302
    created = account("sam.editor@example.com")
    assert created.role == "editor" and created.password_hash.startswith("scrypt:")
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "staff.created" and entry.after["email"] == "sam.editor@example.com"
    assert "password" not in str(entry.after) and "scrypt" not in str(entry.after)
    editor = StaffClient(isolated_client(app))
    assert editor.login("sam.editor@example.com", "a fine long password").status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "owner@example.com"}, "already exists"),
        ({"email": "not an address"}, "Enter a valid e-mail address."),
        ({"password": "short", "confirm": "short"}, "Use at least 12 characters."),
        ({"confirm": "something else entirely"}, "The passwords differ."),
        ({"role": "superuser"}, "Not a valid choice"),
    ],
)
def test_bad_accounts_are_refused(owner, changes, message):
    response = owner.post("/admin/staff/new", {**NEW_ACCOUNT, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "a fine long password" not in html  # passwords are never sent back
    assert account("sam.editor@example.com") is None


def test_change_role_and_switch_off(app, owner):
    staff = make_staff(Role.EDITOR)
    signed_in = StaffClient(isolated_client(app), staff)
    assert signed_in.get("/admin/articles").status_code == 200
    response = owner.post(f"/admin/staff/{staff.id}", {"role": "merchandiser", "is_active": "y"})
    assert response.status_code == 302
    assert account("editor@example.com").role == "merchandiser"
    assert signed_in.get("/admin/articles").status_code == 403  # the new role applies at once
    owner.post(f"/admin/staff/{staff.id}", {"role": "merchandiser"})
    assert account("editor@example.com").is_active_account is False
    # A switched-off account's session no longer works, and it cannot sign in again.
    assert signed_in.get("/admin/products").status_code == 302
    assert StaffClient(isolated_client(app)).login("editor@example.com").status_code == 401
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["staff.updated", "staff.updated"]


def test_the_last_owner_cannot_be_demoted_or_switched_off(app, owner):
    me = account("owner@example.com")
    response = owner.post(f"/admin/staff/{me.id}", {"role": "editor", "is_active": "y"})
    assert response.status_code == 422
    assert "cannot change your own role" in response.get_data(as_text=True)
    second = make_staff(Role.OWNER, "second.owner@example.com")
    other = StaffClient(isolated_client(app), second)
    # The second owner may switch the first off: another active owner remains.
    assert other.post(f"/admin/staff/{me.id}", {"role": "owner"}).status_code == 302
    third = make_staff(Role.OWNER, "third.owner@example.com")
    assert other.post(f"/admin/staff/{third.id}", {"role": "owner"}).status_code == 302
    # Now the second owner is the only active one.
    lone = account("second.owner@example.com")
    assert lone.is_active_account
    refused = other.post(f"/admin/staff/{lone.id}", {"role": "editor", "is_active": "y"})
    assert refused.status_code == 422


def test_owner_sets_a_new_password(app, owner):
    staff = make_staff(Role.FULFILMENT)
    response = owner.post(
        f"/admin/staff/{staff.id}/password",
        {"password": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 302
    fresh = StaffClient(isolated_client(app))
    assert fresh.login("fulfilment@example.com", PASSWORD).status_code == 401
    assert fresh.login("fulfilment@example.com", "brand new password").status_code == 302
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "staff.password_set" and entry.after is None
    short = owner.post(f"/admin/staff/{staff.id}/password", {"password": "x", "confirm": "x"})
    assert short.status_code == 422


def test_cli_created_accounts_work_in_the_back_office(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-staff", "cli.owner@example.com", "--role", "owner", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert StaffClient(isolated_client(app)).login("cli.owner@example.com").status_code == 302
