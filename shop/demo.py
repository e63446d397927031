"""The demo store: `flask --app wsgi seed-demo` loads it, idempotently."""

from __future__ import annotations

from content.seed import seed_articles, seed_reviews
from shop.catalog.seed import seed_catalog
from shop.extensions import db
from shop.promotions.seed import seed_promotions
from shop.shipping.seed import seed_shipping


def seed_demo() -> list[str]:
    """Seed everything the demo needs and say what was done, one line per part."""
    created, kept = seed_catalog()
    db.session.flush()
    promotions_created, promotions_kept = seed_promotions()
    db.session.flush()
    zones_created, zones_kept = seed_shipping()
    articles_created, articles_kept = seed_articles()
    reviews_created, reviews_kept = seed_reviews()
    db.session.flush()
    return [
        f"catalogue: {created} products created, {kept} already present",
        f"promotions: {promotions_created} created, {promotions_kept} already present",
        f"shipping zones: {zones_created} created, {zones_kept} already present",
        f"articles: {articles_created} created, {articles_kept} already present",
        f"shopper reviews: {reviews_created} created, {reviews_kept} already present",
    ]
