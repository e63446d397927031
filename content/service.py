"""Articles: what shoppers may see, in which order, and how a body becomes a page.

Every reading function takes `now` from its caller, so which posts are live is a
plain function of the clock handed in (tests pass any moment; views pass the real
one). Saving validates everything an editor can get wrong, shortcodes included;
the caller's unit of work commits it (`shop.unit_of_work`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import selectinload

from content import shortcodes
from content.models import (
    MAX_SCORE,
    Article,
    ArticleKind,
    ArticleSlugRedirect,
    ArticleStatus,
    ArticleTag,
)
from shop.catalog.models import BundleComponent, Product, Variant
from shop.catalog.reviews import RatingSummary, rating_summaries
from shop.catalog.service import active_variants, available_quantity
from shop.extensions import db
from shop.promotions.engine import price_cart
from shop.promotions.loader import load_rules
from shop.promotions.rules import CartLineInput, ShopperContext

ARTICLES_PER_PAGE = 9
WORDS_PER_MINUTE = 220
MAX_TAGS = 12
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATIC_PATH_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")


class ArticleError(ValueError):
    """An article that cannot be saved as it is; `problems` lists every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# --------------------------------------------------------------------------- visibility


def visible_clause(now: datetime):
    """SQL for "a shopper may see this": scheduled or published, and its time has come."""
    return and_(
        Article.status.in_((ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED)),
        Article.published_at.is_not(None),
        Article.published_at <= now,
    )


def _with_details():
    return (selectinload(Article.tag_rows), selectinload(Article.product))


def _newest_first(query):
    return query.order_by(Article.published_at.desc(), Article.id.desc())


# --------------------------------------------------------------------------- listings


def list_articles(
    now: datetime,
    kind: str | None = None,
    tag: str | None = None,
    page: int = 1,
    per_page: int = ARTICLES_PER_PAGE,
) -> Pagination:
    """Visible articles, newest first, optionally of one kind and/or with one tag."""
    conditions = [visible_clause(now)]
    if kind:
        conditions.append(Article.kind == kind)
    if tag:
        conditions.append(
            Article.id.in_(select(ArticleTag.article_id).where(ArticleTag.name == tag))
        )
    return db.paginate(
        _newest_first(select(Article).where(*conditions)).options(*_with_details()),
        page=max(page, 1),
        per_page=per_page,
        error_out=False,
    )


def latest_articles(now: datetime, limit: int = 3) -> Sequence[Article]:
    return list_articles(now, per_page=limit).items


def tag_counts(now: datetime) -> list[tuple[str, int]]:
    """Tags of visible articles with how many use each, most used first."""
    rows = db.session.execute(
        select(ArticleTag.name, func.count())
        .join(Article, Article.id == ArticleTag.article_id)
        .where(visible_clause(now))
        .group_by(ArticleTag.name)
        .order_by(func.count().desc(), ArticleTag.name)
    ).all()
    return [(name, int(count)) for name, count in rows]


def all_visible_articles(now: datetime) -> Sequence[Article]:
    """Every visible article, newest first (sitemap and feed)."""
    return db.session.scalars(
        _newest_first(select(Article).where(visible_clause(now))).options(*_with_details())
    ).all()


# --------------------------------------------------------------------------- one article


@dataclass(frozen=True)
class ArticleLookup:
    """The article an address leads to; `moved` when the address is not its own."""

    article: Article
    moved: bool


def find_article(kind: str, slug: str, now: datetime) -> ArticleLookup | None:
    """Resolve /guides/<slug> or /reviews/<slug>.

    A visible article under the other kind's path, or under a slug it used to have,
    is found but marked as moved, so the view answers with a permanent redirect.
    Drafts and future posts are not found at all.
    """
    article = db.session.scalar(
        select(Article).where(Article.slug == slug, visible_clause(now)).options(*_with_details())
    )
    if article is not None:
        return ArticleLookup(article, moved=article.kind != kind)
    target = db.session.scalar(
        select(Article)
        .join(ArticleSlugRedirect, ArticleSlugRedirect.article_id == Article.id)
        .where(ArticleSlugRedirect.old_slug == slug, visible_clause(now))
        .options(*_with_details())
    )
    if target is not None:
        return ArticleLookup(target, moved=True)
    return None


def previous_and_next(article: Article, now: datetime) -> tuple[Article | None, Article | None]:
    """The visible posts published just before and just after this one."""
    moment, ident = article.published_at, article.id
    earlier = or_(
        Article.published_at < moment, and_(Article.published_at == moment, Article.id < ident)
    )
    later = or_(
        Article.published_at > moment, and_(Article.published_at == moment, Article.id > ident)
    )
    previous = db.session.scalar(
        _newest_first(select(Article).where(visible_clause(now), earlier)).limit(1)
    )
    following = db.session.scalar(
        select(Article)
        .where(visible_clause(now), later)
        .order_by(Article.published_at, Article.id)
        .limit(1)
    )
    return previous, following


def related_articles(article: Article, now: datetime, limit: int = 3) -> Sequence[Article]:
    """Visible articles sharing the most tags with this one, then the newest."""
    tags = article.tags
    if not tags:
        return []
    shared = func.count(ArticleTag.id)
    ranked = (
        select(Article.id, shared.label("shared"))
        .join(ArticleTag, ArticleTag.article_id == Article.id)
        .where(visible_clause(now), ArticleTag.name.in_(tags), Article.id != article.id)
        .group_by(Article.id, Article.published_at)
        .order_by(shared.desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    ids = [row.id for row in db.session.execute(ranked)]
    if not ids:
        return []
    by_id = {
        a.id: a
        for a in db.session.scalars(
            select(Article).where(Article.id.in_(ids)).options(*_with_details())
        )
    }
    return [by_id[i] for i in ids if i in by_id]


def reading_minutes(body: str) -> int:
    """Minutes to read the prose (shortcodes and Markdown marks left out), at least 1."""
    prose = shortcodes.SHORTCODE.sub(" ", body or "")
    words = re.findall(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?", prose)
    return max(1, math.ceil(len(words) / WORDS_PER_MINUTE))


# --------------------------------------------------------------------------- products


def _product_details():
    return (
        selectinload(Product.images),
        selectinload(Product.variants)
        .selectinload(Variant.components)
        .selectinload(BundleComponent.component_variant)
        .selectinload(Variant.product),
    )


def products_by_handle(handles: Iterable[str]) -> dict[str, Product]:
    """Products by handle, whatever their state (callers decide what they accept)."""
    wanted = sorted(set(handles))
    if not wanted:
        return {}
    return {
        p.handle: p
        for p in db.session.scalars(
            select(Product).where(Product.handle.in_(wanted)).options(*_product_details())
        )
    }


def embedded_products(article: Article) -> dict[str, Product]:
    """The products an article's cards can show now: existing and for sale."""
    handles = shortcodes.handles_in(article.body)
    if article.product is not None:
        handles.append(article.product.handle)
    return {h: p for h, p in products_by_handle(handles).items() if p.is_purchasable}


def related_products(article: Article, available: dict[str, Product]) -> list[Product]:
    """The reviewed product, then the products the body embeds, each once."""
    ordered = []
    if article.product is not None and article.product.handle in available:
        ordered.append(available[article.product.handle])
    for handle in shortcodes.handles_in(article.body):
        product = available.get(handle)
        if product is not None and product not in ordered:
            ordered.append(product)
    return ordered


def default_variant(product: Product) -> Variant | None:
    """The variant a card offers first: the first in stock, else the first for sale."""
    variants = active_variants(product)
    in_stock = [v for v in variants if available_quantity(v) > 0]
    return (in_stock or variants or [None])[0]


@dataclass(frozen=True)
class CardFacts:
    """What a live card says about a product beyond its own row, as of now."""

    rating: RatingSummary
    available: int  # units of all variants together
    gift_label: str | None  # the promotion this product earns on its own, if any


def card_facts(
    products: Iterable[Product], now: datetime, format_money: Callable[[int], str]
) -> dict[int, CardFacts]:
    """Ratings (one grouped query), stock, and gift eligibility for product cards.

    Gift eligibility is asked of the promotions engine itself: one unit of the card's
    first variant, priced alone under the automatic promotions running now. Whatever
    the promotion's condition (a threshold, a product), the card says what a cart
    holding just this product would get.
    """
    products = list(products)
    ratings = rating_summaries(p.id for p in products)
    rules = [rule for rule in load_rules() if not rule.codes]
    labels = {rule.id: rule.label for rule in rules}
    facts = {}
    for product in products:
        variant = default_variant(product)
        gift_label = None
        if variant is not None and rules:
            line = CartLineInput(
                key=str(variant.id),
                variant_id=variant.id,
                product_id=product.id,
                title=product.title,
                quantity=1,
                unit_price=variant.price,
            )
            priced = price_cart([line], rules, ShopperContext(), now, format_money)
            gift = next((ln for ln in priced.lines if ln.is_gift), None)
            if gift is not None and gift.gift_rule_id in labels:
                gift_label = labels[gift.gift_rule_id]
        facts[product.id] = CardFacts(
            rating=ratings[product.id],
            available=sum(available_quantity(v) for v in active_variants(product)),
            gift_label=gift_label,
        )
    return facts


def is_live_article_id(article_id: int, now: datetime) -> bool:
    """Can a cart line credit this article? Only a visible one, so ids cannot be guessed
    into the sales report for drafts."""
    return (
        db.session.scalar(
            select(Article.id).where(Article.id == article_id, visible_clause(now)).limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- saving


def normalize_tags(tags: Iterable[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        name = re.sub(r"[^a-z0-9]+", "-", str(tag).strip().lower()).strip("-")
        if name and name not in cleaned:
            cleaned.append(name[:40].strip("-"))
    return cleaned


def _check_text(problems: list[str], label: str, value: str, column, required=True):
    """`column`'s length is the limit: the model owns it, forms and checks read it."""
    maximum = column.type.length
    if required and not (value or "").strip():
        problems.append(f"{label} is required.")
    elif len(value or "") > maximum:
        problems.append(f"{label} can be at most {maximum} characters.")


def validation_problems(article: Article, tags: Sequence[str] = ()) -> list[str]:
    """Everything wrong with an article before it is saved; empty when it can be."""
    problems: list[str] = []
    if article.kind not in tuple(ArticleKind):
        problems.append("Kind must be guide or review.")
    if article.status not in tuple(ArticleStatus):
        problems.append("Status must be draft, scheduled or published.")
    _check_text(problems, "Title", article.title, Article.title)
    _check_text(problems, "Author", article.author, Article.author)
    _check_text(problems, "Summary", article.summary, Article.summary, required=False)
    _check_text(problems, "SEO title", article.seo_title, Article.seo_title, required=False)
    _check_text(
        problems, "SEO description", article.seo_description, Article.seo_description, False
    )
    _check_text(problems, "Hero description", article.hero_alt, Article.hero_alt, False)
    slug = article.slug or ""
    if len(slug) > Article.slug.type.length or not SLUG_PATTERN.match(slug):
        problems.append("Slug must be lowercase letters, digits and single hyphens.")
    elif db.session.scalar(
        select(Article.id).where(Article.slug == slug, Article.id != article.id).limit(1)
    ):
        problems.append(f"Another article already uses the slug {slug!r}.")
    if article.hero_image and (
        ".." in article.hero_image or not STATIC_PATH_PATTERN.match(article.hero_image)
    ):
        problems.append("Hero image must be a path under static/, like img/articles/x.svg.")
    if article.status != ArticleStatus.DRAFT and article.published_at is None:
        problems.append("A scheduled or published article needs a publish time.")
    if len(tags) > MAX_TAGS:
        problems.append(f"At most {MAX_TAGS} tags.")
    for tag in tags:
        if not TAG_PATTERN.match(tag) or len(tag) > ArticleTag.name.type.length:
            problems.append(f"Tag {tag!r} must be lowercase letters, digits and hyphens.")

    handles = shortcodes.handles_in(article.body)
    if article.kind == ArticleKind.REVIEW:
        if article.product_id is None and article.product is None:
            problems.append("A review needs the product it reviews.")
        if article.score is None or not 0 <= article.score <= MAX_SCORE:
            problems.append(f"A review needs a score from 0 to {MAX_SCORE}.")
        if not (article.verdict or "").strip():
            problems.append("A review needs a verdict.")
        if article.product is not None and not article.product.is_purchasable:
            problems.append("The reviewed product is not for sale.")
    problems.extend(shortcodes.problems(article.body, products_by_handle(handles)))
    return problems


def _apply_tags(article: Article, tags: Sequence[str]) -> None:
    """Change tag rows by difference, so an unchanged tag keeps its row."""
    wanted = list(tags)
    for row in list(article.tag_rows):
        if row.name not in wanted:
            article.tag_rows.remove(row)
    have = {row.name for row in article.tag_rows}
    for name in wanted:
        if name not in have:
            article.tag_rows.append(ArticleTag(name=name))


def _take_over_slug(article: Article) -> None:
    """A slug in use again stops redirecting elsewhere (renamed back, or reused)."""
    stale = db.session.scalar(
        select(ArticleSlugRedirect).where(ArticleSlugRedirect.old_slug == article.slug)
    )
    if stale is not None:
        if stale.article is not None and stale in stale.article.redirects:
            stale.article.redirects.remove(stale)
        else:
            db.session.delete(stale)


def save_article(article: Article, tags: Iterable[str] | None = None) -> Article:
    """Validate and store an article (new or changed), or raise ArticleError.

    A changed slug leaves a redirect behind, so links to the old address keep working.
    """
    # Nothing may flush before the slug's history is read: a flush forgets the old value.
    with db.session.no_autoflush:
        state = sa_inspect(article)
        old_slugs = [s for s in state.attrs.slug.history.deleted if s] if state.persistent else []
        wanted_tags = normalize_tags(tags) if tags is not None else article.tags
        problems = validation_problems(article, wanted_tags)
        if problems:
            raise ArticleError(problems)
        _apply_tags(article, wanted_tags)
        _take_over_slug(article)
        for old_slug in old_slugs:
            if old_slug != article.slug:
                article.redirects.append(ArticleSlugRedirect(old_slug=old_slug))
    db.session.add(article)
    db.session.flush()
    return article
