"""Which caches a change empties: decided by the model classes it touches, in this
process at once and on every other server through each cache's shared generation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from content.models import Article
from shop.admin.models import Role
from shop.cache import CacheGeneration, caches
from shop.catalog.models import Product, Variant
from shop.catalog.service import take_stock
from shop.catalog.snapshot import CATALOGUE
from shop.extensions import db
from shop.promotions.loader import PROMOTIONS
from shop.promotions.models import Promotion
from tests.integration.admin_helpers import StaffClient, make_staff, product_form
from tests.integration.cart_helpers import variant_id

NAMES = ("pages", CATALOGUE, PROMOTIONS)
SENTINEL = "kept until what it was made from changes"


def generations() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(select(CacheGeneration.name, CacheGeneration.generation))
    return {name: generation for name, generation in rows if name in NAMES}


def fill_every_cache(app) -> None:
    for name in NAMES:
        cache = caches(app)[name]
        cache.put("probe", SENTINEL, read_in_epoch=cache.epoch)


def emptied(app) -> set[str]:
    return {name for name in NAMES if "probe" not in caches(app)[name]}


def moved(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name in NAMES if after.get(name, 0) != before.get(name, 0)}


def test_a_staff_product_edit_empties_pages_the_catalogue_and_promotions(app, client, demo_store):
    merchandiser = StaffClient(client, make_staff(Role.MERCHANDISER))
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    before = generations()
    fill_every_cache(app)
    response = merchandiser.post(f"/admin/products/{serum.id}", product_form(serum, title="Serum+"))
    assert response.status_code == 302
    assert emptied(app) == set(NAMES)
    assert moved(before, generations()) == set(NAMES)


def edit_promotion() -> None:
    gift = db.session.scalars(select(Promotion).where(Promotion.reward_type == "gift")).one()
    gift.label = "A FREE device & serum, on us"


def edit_article() -> None:
    guide = db.session.scalar(
        select(Article).where(Article.slug == "benefits-of-microcurrent-therapy")
    )
    guide.title = "Microcurrent, explained again"


def edit_variant_price() -> None:
    db.session.get(Variant, variant_id("FPS-30")).price = 6100


def edit_promotion_gifts() -> None:
    gift = db.session.scalars(select(Promotion).where(Promotion.reward_type == "gift")).one()
    gift.gift_variant_ids = list(gift.gift_variant_ids)[:1]  # rows of an association table


@pytest.mark.parametrize(
    ("edit", "stale"),
    [
        (edit_promotion, {"pages", PROMOTIONS}),
        (edit_promotion_gifts, {"pages", PROMOTIONS}),
        (edit_article, {"pages"}),
        (edit_variant_price, {"pages", CATALOGUE, PROMOTIONS}),
    ],
    ids=["promotion", "promotion-gifts", "article", "variant-price"],
)
def test_each_change_empties_exactly_the_caches_made_from_it(app, demo_store, edit, stale):
    before = generations()
    fill_every_cache(app)
    edit()
    db.session.flush()
    assert emptied(app) == stale  # in this process, as soon as it is flushed
    fill_every_cache(app)  # another thread caches the rows still committed meanwhile
    db.session.commit()
    assert emptied(app) == stale  # emptied again once the change is visible
    assert moved(before, generations()) == stale  # and every other server is told


def test_a_rolled_back_change_moves_no_generation(app, demo_store):
    before = generations()
    edit_article()
    db.session.flush()
    db.session.rollback()
    assert moved(before, generations()) == set()


def test_stock_moving_at_checkout_empties_nothing(app, demo_store):
    before = generations()
    fill_every_cache(app)
    take_stock(db.session, [(variant_id("CHG-100"), 1)])
    db.session.commit()
    assert emptied(app) == set()
    assert moved(before, generations()) == set()


def test_a_generation_moved_elsewhere_empties_only_that_cache_here(app, demo_store):
    registry = caches(app)
    registry.refresh()
    fill_every_cache(app)
    with db.engine.begin() as other_server:  # its own connection: no hooks of this process
        other_server.execute(
            CacheGeneration.__table__.update()
            .where(CacheGeneration.name == PROMOTIONS)
            .values(generation=CacheGeneration.generation + 1)
        )
    registry.check_generations_now()
    registry.refresh()
    assert emptied(app) == {PROMOTIONS}
