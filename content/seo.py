"""The sitemap, the Atom feed of articles, robots.txt, and absolute URLs for them.

Search engines and feed readers need absolute addresses; they are built from the
PUBLIC_BASE_URL setting, never from the Host header a request happens to carry.
The XML is built with ElementTree, which escapes every text and attribute.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, Response, current_app, url_for

from content import service, structured_data
from content.models import Article, ArticleKind
from shop.catalog.models import Product
from shop.catalog.reviews import ProductReview, RatingSummary
from shop.catalog.service import active_variants, available_quantity, list_storefront_products
from shop.timeutil import utcnow

bp = Blueprint("seo", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 30
# Shoppers' private or transactional pages: nothing there for a search engine.
DISALLOWED_PATHS = ("/admin", "/cart", "/checkout", "/orders")


@bp.app_template_global("absolute_url")
def absolute_url(path: str) -> str:
    """`/guides/x` -> `https://shop.example/guides/x`, from PUBLIC_BASE_URL."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + (path if path.startswith("/") else "/" + path)


def article_path(article: Article) -> str:
    endpoint = "content.review" if article.kind == ArticleKind.REVIEW else "content.guide"
    return url_for(endpoint, slug=article.slug)


@bp.app_template_global()
def product_structured_data(
    product: Product, rating: RatingSummary, reviews: Sequence[ProductReview]
) -> list[dict]:
    """JSON-LD for a product page: the Product (offers, ratings) and its breadcrumbs.
    A template global: the product page asks for it, so the shop imports no content."""
    url = absolute_url(url_for("catalog.product_page", handle=product.handle))
    home = absolute_url(url_for("catalog.home"))
    seller = structured_data.organization(current_app.config["STORE_NAME"], home)

    def variant_url(variant) -> str:
        return absolute_url(
            url_for("catalog.product_page", handle=product.handle, variant=variant.id)
        )

    return [
        structured_data.product(
            product,
            url,
            [absolute_url(url_for("static", filename=image.path)) for image in product.images],
            [(variant, available_quantity(variant)) for variant in active_variants(product)],
            current_app.config["STORE_CURRENCY"],
            rating,
            reviews,
            seller,
            variant_url,
        ),
        structured_data.breadcrumb_list(
            [
                ("Home", home),
                ("Shop", absolute_url(url_for("catalog.product_list"))),
                (product.title, url),
            ]
        ),
    ]


def _last_change(article: Article) -> datetime:
    return max(filter(None, (article.updated_at, article.published_at)))


def _xml(root: ET.Element, content_type: str) -> Response:
    body = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return Response(body, content_type=f"{content_type}; charset=utf-8")


@bp.get("/sitemap.xml")
def sitemap():
    now = utcnow()
    products = list_storefront_products()
    articles = service.all_visible_articles(now)
    product_times = [p.updated_at for p in products]
    article_times = [_last_change(a) for a in articles]
    newest = max(product_times + article_times, default=None)

    def times_of(kind: str) -> list[datetime]:
        return [_last_change(a) for a in articles if a.kind == kind]

    entries: list[tuple[str, datetime | None]] = [
        (url_for("catalog.home"), newest),
        (url_for("catalog.product_list"), max(product_times, default=None)),
        (url_for("content.index"), max(article_times, default=None)),
        (url_for("content.index", kind=ArticleKind.GUIDE), max(times_of("guide"), default=None)),
        (url_for("content.index", kind=ArticleKind.REVIEW), max(times_of("review"), default=None)),
    ]
    entries += [(url_for("catalog.product_page", handle=p.handle), p.updated_at) for p in products]
    entries += [(article_path(a), _last_change(a)) for a in articles]

    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for path, modified in entries:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = absolute_url(path)
        if modified is not None:
            ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = modified.isoformat()
    return _xml(root, "application/xml")


@bp.get("/feed.xml")
def feed():
    now = utcnow()
    articles = list(service.all_visible_articles(now))[:FEED_ENTRIES]
    store = current_app.config["STORE_NAME"]

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    add(root, "title", f"{store}: guides and reviews")
    add(root, "subtitle", "Independent skincare guides and product reviews.")
    add(root, "id", absolute_url(url_for("content.index")))
    add(root, "link", rel="self", type="application/atom+xml", href=absolute_url("/feed.xml"))
    add(
        root, "link", rel="alternate", type="text/html", href=absolute_url(url_for("content.index"))
    )
    newest = max((_last_change(a) for a in articles), default=now)
    add(root, "updated", newest.isoformat())
    add(add(root, "author"), "name", store)
    for article in articles:
        url = absolute_url(article_path(article))
        entry = add(root, "entry")
        add(entry, "title", article.title)
        add(entry, "id", url)
        add(entry, "link", rel="alternate", type="text/html", href=url)
        add(entry, "published", article.published_at.isoformat())
        add(entry, "updated", _last_change(article).isoformat())
        add(add(entry, "author"), "name", article.author_name)
        add(entry, "summary", article.summary or article.seo_description)
        for tag in article.tags:
            add(entry, "category", term=tag)
    return _xml(root, "application/atom+xml")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in DISALLOWED_PATHS]
    lines += ["", f"Sitemap: {absolute_url('/sitemap.xml')}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")
