"""The demo store: `flask --app wsgi seed-demo` loads it, idempotently."""

from __future__ import annotations

from shop.catalog.seed import seed_catalog
from shop.extensions import db
from shop.promotions.seed import seed_promotions


def seed_demo() -> list[str]:
    """Seed everything the demo needs and say what was done, one line per part."""
    created, kept = seed_catalog()
    db.session.flush()
    promotions_created, promotions_kept = seed_promotions()
    db.session.commit()
    return [
        f"catalogue: {created} products created, {kept} already present",
        f"promotions: {promotions_created} created, {promotions_kept} already present",
    ]
