"""The audit log: every staff change, who made it, when, and the entity before and after.

Admin services call `record` in the unit of work that makes the change, so the entry
is written in the same transaction: both happen or neither does. Nothing here updates or deletes
an entry (and the model refuses it), so the log can only grow.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableSequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from shop.admin.models import AuditEntry, StaffUser
from shop.admin.pagination import paginate
from shop.extensions import db
from shop.timeutil import utcnow


def jsonable(value: Any) -> Any:
    """A value as JSON can store it: times as ISO text, sets as sorted lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    # Lists of ids kept in related rows (association proxies) are sequences too.
    if isinstance(value, set | frozenset | tuple | MutableSequence):
        items = [jsonable(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def snapshot(entity: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `entity`, JSON-safe, for a before/after record."""
    return {name: jsonable(getattr(entity, name)) for name in fields}


def record(
    staff: StaffUser,
    action: str,
    entity_type: str,
    entity_id: Any,
    summary: str = "",
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an entry to the session; the unit of work commits it with the change."""
    with db.session.no_autoflush:  # reading who it is must not flush the change early
        staff_id, staff_email = staff.id, staff.email
    entry = AuditEntry(
        at=utcnow(),
        staff_id=staff_id,
        staff_email=staff_email,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        summary=summary[:300],
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def changes(entry: AuditEntry) -> list[Change]:
    """The fields an entry changed, in a stable order (all fields for a creation)."""
    before = entry.before or {}
    after = entry.after or {}
    names = sorted(set(before) | set(after))
    return [
        Change(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


@dataclass(frozen=True)
class AuditFilters:
    staff_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive


def list_entries(filters: AuditFilters, page: int = 1, per_page: int = 50) -> Pagination:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if filters.staff_id:
        query = query.where(AuditEntry.staff_id == filters.staff_id)
    if filters.entity_type:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.at >= _start_of(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _start_of(filters.until) + timedelta(days=1))
    return paginate(query, page, per_page)


def _start_of(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def known_values() -> tuple[list[str], list[str]]:
    """The entity types and actions that occur in the log, for the filter menus."""
    types = sorted(db.session.scalars(select(AuditEntry.entity_type).distinct()))
    actions = sorted(db.session.scalars(select(AuditEntry.action).distinct()))
    return types, actions


def staff_accounts() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.email)))


def get_entry(entry_id: int) -> AuditEntry | None:
    return db.session.get(AuditEntry, entry_id)
