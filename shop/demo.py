"""The demo store: `flask --app wsgi seed-demo` loads it, idempotently."""

from __future__ import annotations

from shop.catalog.seed import seed_catalog
from shop.extensions import db


def seed_demo() -> list[str]:
    """Seed everything the demo needs and say what was done, one line per part."""
    created, kept = seed_catalog()
    db.session.commit()
    return [f"catalogue: {created} products created, {kept} already present"]
