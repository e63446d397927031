"""Article pages: the listing, guides, reviews, with live product cards in the text."""

from __future__ import annotations

import itertools

from babel.dates import format_date
from flask import (
    Blueprint,
    abort,
    current_app,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)

from content import service, shortcodes, structured_data
from content.models import Article, ArticleKind, ArticleSlugRedirect, ArticleTag
from content.seo import absolute_url, article_path
from shop.cache import PAGES, caches
from shop.cart.attribution import credit_articles_with
from shop.catalog.models import Product
from shop.catalog.service import active_variants, available_quantity
from shop.input_rules import parse_whole_number
from shop.templating import store_money_formatter
from shop.timeutil import utcnow

bp = Blueprint("content", __name__)


@bp.record_once
def _credit_articles_in_carts(state) -> None:
    """Lines added from an article's product card credit it, if shoppers can read it."""
    credit_articles_with(state.app, service.is_live_article_id)


@bp.record_once
def _refresh_pages_when_articles_change(state) -> None:
    """Guides, reviews, their tags and old addresses show on cached pages."""
    caches(state.app).watch(PAGES, Article, ArticleTag, ArticleSlugRedirect)


@bp.app_template_global()
def latest_articles(limit: int = 3):
    """The newest articles a shopper may read, for any page of the shop (the home page
    lists them): the shop's templates ask content, the shop's code never imports it."""
    return service.latest_articles(utcnow(), limit)


@bp.app_template_global("article_url")
def article_url(article: Article) -> str:
    return article_path(article)


@bp.app_template_global("reading_minutes")
def reading_minutes(article: Article) -> int:
    return service.reading_minutes(article.body)


@bp.app_template_filter("long_date")
def long_date(moment) -> str:
    """`October 6, 2026` in the store's locale."""
    return format_date(moment, format="long", locale=current_app.config["STORE_LOCALE"])


def crumbs_for(article: Article) -> list[tuple[str, str]]:
    """Breadcrumb (name, path) pairs; the page itself comes last."""
    section = "Reviews" if article.is_review else "Guides"
    return [
        ("Home", url_for("catalog.home")),
        ("Guides & reviews", url_for("content.index")),
        (section, url_for("content.index", kind=article.kind)),
        (article.title, article_path(article)),
    ]


@bp.get("/articles")
def index():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in tuple(ArticleKind):
        abort(404, description="There is no such kind of article.")
    tag = (request.args.get("tag") or "").strip().lower()[: ArticleTag.name.type.length] or None
    if tag is not None and not service.TAG_PATTERN.match(tag):
        abort(404, description="There are no articles on that topic.")
    page = request.args.get("page", 1, type=parse_whole_number)
    if page < 1:
        abort(404)
    now = utcnow()
    listing = service.list_articles(now, kind=kind, tag=tag, page=page)
    if page > max(listing.pages, 1):  # an empty listing still has its first page
        abort(404, description="That page of articles does not exist.")
    crumbs = [("Home", url_for("catalog.home")), ("Guides & reviews", url_for("content.index"))]
    canonical_args = {k: v for k, v in (("kind", kind), ("tag", tag)) if v}
    if page > 1:
        canonical_args["page"] = page
    return render_template(
        "content/index.html",
        listing=listing,
        kind=kind,
        tag=tag,
        tags=service.tag_counts(now),
        canonical=absolute_url(url_for("content.index", **canonical_args)),
        structured_data=[
            structured_data.breadcrumb_list([(n, absolute_url(p)) for n, p in crumbs])
        ],
    )


@bp.get("/guides/<slug>")
def guide(slug: str):
    return _article_page(ArticleKind.GUIDE, slug)


@bp.get("/reviews/<slug>")
def review(slug: str):
    return _article_page(ArticleKind.REVIEW, slug)


def _article_page(kind: str, slug: str):
    now = utcnow()
    # A slug that cannot exist is not looked up (and odd bytes never reach the database).
    lookup = service.find_article(kind, slug, now) if service.SLUG_PATTERN.match(slug) else None
    if lookup is None:
        abort(404, description="We could not find that article.")
    if lookup.moved:
        return redirect(article_path(lookup.article), code=301)
    article = lookup.article
    products = service.embedded_products(article)
    facts = service.card_facts(products.values(), now, store_money_formatter())
    live_card = get_template_attribute("macros/content.html", "live_card")
    numbers = itertools.count(1)

    def render_card(code: shortcodes.Shortcode) -> str:
        product = products.get(code.handle)
        if product is None:
            return ""  # gone or no longer for sale since the article was saved
        return live_card(
            product,
            facts[product.id],
            _variant_choices(product),
            article,
            f"card-{next(numbers)}",
            request.path,
        )

    reviewed = article.product if article.product and article.product.handle in products else None
    # The macro returns Markup (autoescaped by our template), so it is printed as is.
    verdict_card = render_card(shortcodes.Shortcode("product", reviewed.handle)) if reviewed else ""
    body = shortcodes.render(article.body, render_card)
    previous, following = service.previous_and_next(article, now)
    related_products = service.related_products(article, products)
    return render_template(
        "content/article.html",
        article=article,
        body=body,
        verdict_card=verdict_card,
        previous=previous,
        following=following,
        related=service.related_articles(article, now),
        related_products=related_products,
        ratings={pid: f.rating for pid, f in facts.items()},
        crumbs=crumbs_for(article),
        canonical=absolute_url(article_path(article)),
        structured_data=_article_structured_data(article, reviewed),
    )


def _variant_choices(product: Product) -> list[tuple]:
    """(variant, units available) for each variant for sale, as the card's picker shows."""
    return [(variant, available_quantity(variant)) for variant in active_variants(product)]


def _article_structured_data(article: Article, reviewed: Product | None) -> list[dict]:
    store = current_app.config["STORE_NAME"]
    publisher = structured_data.organization(store, absolute_url(url_for("catalog.home")))
    product_url = product_image = None
    if reviewed is not None:
        product_url = absolute_url(url_for("catalog.product_page", handle=reviewed.handle))
        if reviewed.images:
            product_image = absolute_url(url_for("static", filename=reviewed.images[0].path))
    hero = (
        absolute_url(url_for("static", filename=article.hero_image)) if article.hero_image else None
    )
    return [
        structured_data.article(
            article,
            absolute_url(article_path(article)),
            hero,
            publisher,
            product_url,
            product_image,
        ),
        structured_data.breadcrumb_list(
            [(name, absolute_url(path)) for name, path in crumbs_for(article)]
        ),
    ]
