"""Timezone-aware UTC time, the only clock the app reads."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; PostgreSQL aware ones. Treat both as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
