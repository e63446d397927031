"""The audit log: every staff change in one list, filterable, and never editable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.admin import audit
from shop.admin.models import AuditEntry, AuditLogImmutableError, Role
from shop.catalog.models import Product
from shop.extensions import db
from shop.timeutil import utcnow
from tests.integration.admin_helpers import StaffClient, make_staff


@pytest.fixture
def owner(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.OWNER))


def _changes(app):
    """A few staff changes by two people."""
    merchandiser = StaffClient(app.test_client(), make_staff(Role.MERCHANDISER))
    gel = db.session.scalar(select(Product).where(Product.handle == "conductive-gel"))
    variant = gel.variants[0]
    prefix = f"stock-{variant.id}-"
    merchandiser.post(
        f"/admin/variants/{variant.id}/stock",
        {prefix + "delta": "5", prefix + "reason": "received"},
    )
    return merchandiser


def test_the_log_lists_every_change_with_who_and_what(app, owner):
    _changes(app)
    owner.post(
        "/admin/staff/new",
        {
            "email": "new.editor@example.com",
            "role": "editor",
            "password": "a fine long password",
            "confirm": "a fine long password",
        },
    )
    html = owner.html("/admin/audit")
    assert "stock.adjusted" in html and "staff.created" in html
    assert "merchandiser@example.com" in html and "owner@example.com" in html
    assert "2 entries" in html


def test_the_log_filters_by_staff_entity_action_and_date(app, owner):
    _changes(app)
    owner.post(
        "/admin/staff/new",
        {
            "email": "x@example.com",
            "role": "editor",
            "password": "a fine long password",
            "confirm": "a fine long password",
        },
    )
    merchandiser_id = db.session.scalar(
        select(AuditEntry.staff_id).where(AuditEntry.action == "stock.adjusted")
    )
    by_staff = owner.html(f"/admin/audit?staff={merchandiser_id}")
    assert "<code>stock.adjusted</code>" in by_staff
    assert "<code>staff.created</code>" not in by_staff
    by_type = owner.html("/admin/audit?entity_type=staff")
    assert "<code>staff.created</code>" in by_type
    assert "<code>stock.adjusted</code>" not in by_type
    by_action = owner.html("/admin/audit?action=stock.adjusted")
    assert "1 entry" in by_action
    today = utcnow().date()
    assert "2 entries" in owner.html(f"/admin/audit?since={today}&until={today}")
    assert "0 entries" in owner.html(f"/admin/audit?until={today - timedelta(days=1)}")
    bad = owner.get("/admin/audit?since=not-a-date")
    assert bad.status_code == 200 and "Not a valid date value" in bad.get_data(as_text=True)


def test_an_entry_shows_before_and_after(app, owner):
    _changes(app)
    entry = db.session.scalars(select(AuditEntry)).one()
    html = owner.html(f"/admin/audit/{entry.id}")
    assert "Before and after" in html
    assert "<code>120</code>" in html and "<code>125</code>" in html


def test_no_route_can_change_or_delete_an_entry(app, owner):
    audit_rules = [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit")
    ]
    assert audit_rules
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    _changes(app)
    entry = db.session.scalars(select(AuditEntry)).one()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = owner.open(
            f"/admin/audit/{entry.id}", method=method, data={"csrf_token": owner.token}
        )
        assert response.status_code == 405
    for path in (f"/admin/audit/{entry.id}/edit", f"/admin/audit/{entry.id}/delete"):
        assert owner.get(path).status_code == 404


def test_the_model_refuses_updates_and_deletes(app, owner):
    _changes(app)
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.summary = "rewritten"
    with pytest.raises(AuditLogImmutableError):
        db.session.commit()
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry)).one()
    db.session.delete(entry)
    with pytest.raises(AuditLogImmutableError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditEntry)).one().summary != "rewritten"


def test_the_entry_is_written_with_the_change_or_not_at_all(app, owner, demo_store):
    staff = make_staff(Role.MERCHANDISER)
    gel = db.session.scalar(select(Product).where(Product.handle == "conductive-gel"))
    audit.record(staff, "product.updated", "product", gel.id, "half a change")
    db.session.rollback()  # the change fails: its entry goes with it
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_only_the_owner_reads_the_log(app, demo_store):
    for role in (Role.MERCHANDISER, Role.EDITOR, Role.FULFILMENT):
        staff = StaffClient(app.test_client(), make_staff(role))
        assert staff.get("/admin/audit").status_code == 403


def test_the_log_is_paged_and_a_page_past_the_end_shows_the_last(app, owner):
    staff = owner.staff
    for number in range(55):
        audit.record(staff, "test.entry", "test", number, f"Entry {number}")
    db.session.commit()

    first = owner.html("/admin/audit")
    assert "Page 1 of 2 (55 in all)" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert first.count("Entry ") == 50

    second = owner.html("/admin/audit?page=2")
    assert "Page 2 of 2 (55 in all)" in second and second.count("Entry ") == 5
    assert 'rel="prev"' in second and 'rel="next"' not in second

    assert "Page 2 of 2" in owner.html("/admin/audit?page=9")
    assert "Page 1 of 2" in owner.html("/admin/audit?page=0")
