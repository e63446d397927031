"""Sitemap, Atom feed, robots.txt, canonical and sharing tags, and JSON-LD, parsed the
way crawlers parse them (xml.etree, json.loads) and checked field by field."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from content import service
from content.models import Article, ArticleKind, ArticleStatus
from shop.catalog import reviews
from shop.catalog.models import Product
from shop.extensions import db
from shop.timeutil import utcnow
from shop.unit_of_work import unit_of_work

BASE = "http://localhost"  # TestConfig.PUBLIC_BASE_URL
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
GUIDE = "benefits-of-microcurrent-therapy"
DEVICE_REVIEW = "contour-microcurrent-device-review"


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def of_type(html: str, kind: str) -> dict:
    found = [data for data in json_ld(html) if data.get("@type") == kind]
    assert len(found) == 1, [d.get("@type") for d in json_ld(html)]
    return found[0]


def meta(html: str, key: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return match.group(1) if match else None


def canonical(html: str) -> str | None:
    match = re.search(r'<link rel="canonical" href="([^"]+)"', html)
    return match.group(1) if match else None


def check_breadcrumbs(data: dict, names: list[str]) -> None:
    assert data["@context"] == "https://schema.org"
    items = data["itemListElement"]
    assert [item["name"] for item in items] == names
    assert [item["position"] for item in items] == list(range(1, len(names) + 1))
    assert all(item["@type"] == "ListItem" and item["item"].startswith(BASE) for item in items)


def draft() -> None:
    with unit_of_work():
        service.save_article(
            Article(
                kind=ArticleKind.GUIDE,
                title="Secret draft",
                slug="secret-draft",
                author="A. Writer",
                status=ArticleStatus.DRAFT,
            )
        )


# --------------------------------------------------------------------------- sitemap


def test_sitemap_lists_products_articles_and_listings_with_lastmod(client, demo_store):
    draft()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/xml")
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {
        url.find(f"{SITEMAP}loc").text: url.find(f"{SITEMAP}lastmod").text
        for url in root.findall(f"{SITEMAP}url")
    }
    expected = {
        f"{BASE}/",
        f"{BASE}/products",
        f"{BASE}/articles",
        f"{BASE}/articles?kind=guide",
        f"{BASE}/articles?kind=review",
        f"{BASE}/products/microcurrent-device",
        f"{BASE}/products/peptide-serum",
        f"{BASE}/products/conductive-gel",
        f"{BASE}/products/device-serum-bundle",
        f"{BASE}/guides/{GUIDE}",
        f"{BASE}/guides/how-to-use-a-microcurrent-device",
        f"{BASE}/reviews/{DEVICE_REVIEW}",
        f"{BASE}/reviews/firming-peptide-serum-review",
    }
    assert set(entries) == expected  # no gift set, no draft, nothing private
    for loc, lastmod in entries.items():
        assert datetime.fromisoformat(lastmod).tzinfo is not None, loc
    guide = db.session.scalars(select(Article).where(Article.slug == GUIDE)).one()
    assert datetime.fromisoformat(entries[f"{BASE}/guides/{GUIDE}"]) == max(
        guide.updated_at, guide.published_at
    )


def test_sitemap_uses_the_public_base_url(app, client, demo_store):
    app.config["PUBLIC_BASE_URL"] = "https://shop.example/"
    try:
        root = ET.fromstring(client.get("/sitemap.xml").data)
    finally:
        app.config["PUBLIC_BASE_URL"] = BASE
    locs = [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    assert locs and all(loc.startswith("https://shop.example/") for loc in locs)
    assert "https://shop.example//" not in " ".join(locs)


# --------------------------------------------------------------------------- feed


def test_feed_is_atom_with_published_articles_newest_first(client, demo_store):
    draft()
    response = client.get("/feed.xml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text and root.find(f"{ATOM}id").text.startswith(BASE)
    assert datetime.fromisoformat(root.find(f"{ATOM}updated").text).tzinfo is not None
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": f"{BASE}/feed.xml", "alternate": f"{BASE}/articles"}
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}link").get("href").rsplit("/", 1)[1] for e in entries] == [
        "how-to-use-a-microcurrent-device",
        "firming-peptide-serum-review",
        DEVICE_REVIEW,
        GUIDE,
    ]
    published = [datetime.fromisoformat(e.find(f"{ATOM}published").text) for e in entries]
    assert published == sorted(published, reverse=True)
    for entry in entries:
        assert entry.find(f"{ATOM}id").text == entry.find(f"{ATOM}link").get("href")
        assert entry.find(f"{ATOM}title").text
        assert entry.find(f"{ATOM}summary").text
        assert entry.find(f"{ATOM}author/{ATOM}name").text
        datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
        assert entry.findall(f"{ATOM}category")
    assert b"secret-draft" not in response.data


def test_feed_escapes_titles(client, demo_store):
    with unit_of_work():
        service.save_article(
            Article(
                kind=ArticleKind.GUIDE,
                title="Serums & <devices>",
                slug="serums-and-devices",
                author="A. Writer",
                summary="Fish & chips </summary>",
                status=ArticleStatus.PUBLISHED,
                published_at=utcnow() - timedelta(minutes=1),
            )
        )
    root = ET.fromstring(client.get("/feed.xml").data)
    first = root.find(f"{ATOM}entry")
    assert first.find(f"{ATOM}title").text == "Serums & <devices>"
    assert first.find(f"{ATOM}summary").text == "Fish & chips </summary>"


# --------------------------------------------------------------------------- robots


def test_robots_points_at_the_sitemap_and_keeps_private_pages_out(client, demo_store):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    for path in ("/admin", "/cart", "/checkout", "/orders"):
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


# --------------------------------------------------------------------------- JSON-LD


def test_guide_has_article_and_breadcrumb_json_ld(client, demo_store):
    html = client.get(f"/guides/{GUIDE}").get_data(as_text=True)
    data = of_type(html, "Article")
    guide = db.session.scalars(select(Article).where(Article.slug == GUIDE)).one()
    assert data["@context"] == "https://schema.org"
    assert data["headline"] == guide.title and len(data["headline"]) <= 110
    assert data["url"] == f"{BASE}/guides/{GUIDE}"
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": f"{BASE}/guides/{GUIDE}"}
    assert datetime.fromisoformat(data["datePublished"]) == guide.published_at
    datetime.fromisoformat(data["dateModified"])
    assert data["author"] == {
        "@type": "Person",
        "name": "Dr. Maya Lindqvist",
        "jobTitle": "cosmetic scientist",
    }
    assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
    assert data["image"] == [f"{BASE}/static/img/articles/benefits-of-microcurrent-therapy.svg"]
    assert data["description"] == guide.seo_description
    check_breadcrumbs(
        of_type(html, "BreadcrumbList"), ["Home", "Guides & reviews", "Guides", guide.title]
    )


def test_review_has_review_json_ld_with_rating_and_item(client, demo_store):
    html = client.get(f"/reviews/{DEVICE_REVIEW}").get_data(as_text=True)
    data = of_type(html, "Review")
    assert data["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 8.6,
        "bestRating": 10,
        "worstRating": 0,
    }
    assert data["itemReviewed"]["@type"] == "Product"
    assert data["itemReviewed"]["name"] == "Contour Microcurrent Toning Device"
    assert data["itemReviewed"]["url"] == f"{BASE}/products/microcurrent-device"
    assert data["itemReviewed"]["image"].startswith(f"{BASE}/static/")
    assert data["author"]["name"] == "Priya Raman"
    assert data["reviewBody"].startswith("A comfortable, well-made")
    assert not [d for d in json_ld(html) if d.get("@type") == "Article"]
    check_breadcrumbs(
        of_type(html, "BreadcrumbList"), ["Home", "Guides & reviews", "Reviews", data["name"]]
    )


def test_product_page_has_product_json_ld_with_offers_and_ratings(client, demo_store):
    html = client.get("/products/peptide-serum").get_data(as_text=True)
    data = of_type(html, "Product")
    assert data["name"] == "Firming Peptide Serum"
    assert data["url"] == f"{BASE}/products/peptide-serum"
    assert all(url.startswith(f"{BASE}/static/") for url in data["image"])
    offers = {offer["sku"]: offer for offer in data["offers"]}
    assert set(offers) == {"FPS-30", "FPS-50"}
    assert offers["FPS-30"]["@type"] == "Offer"
    assert offers["FPS-30"]["price"] == "58.00" and offers["FPS-30"]["priceCurrency"] == "USD"
    assert offers["FPS-50"]["price"] == "86.00"
    assert offers["FPS-30"]["availability"] == "https://schema.org/InStock"
    assert offers["FPS-30"]["url"].startswith(f"{BASE}/products/peptide-serum?variant=")
    serum_id = db.session.scalar(select(Product.id).where(Product.handle == "peptide-serum"))
    summary = reviews.rating_summary(serum_id)
    rating = data["aggregateRating"]
    assert rating["@type"] == "AggregateRating"
    assert rating["ratingValue"] == summary.average and rating["reviewCount"] == summary.count == 3
    assert rating["bestRating"] == 5 and rating["worstRating"] == 1
    assert len(data["review"]) == 3
    assert all(r["reviewRating"]["@type"] == "Rating" for r in data["review"])
    check_breadcrumbs(of_type(html, "BreadcrumbList"), ["Home", "Shop", "Firming Peptide Serum"])


def test_sold_out_variants_are_out_of_stock_offers(client, demo_store):
    from shop.catalog.models import Variant

    db.session.scalars(select(Variant).where(Variant.sku == "FPS-50")).one().stock = 0
    db.session.commit()
    data = of_type(client.get("/products/peptide-serum").get_data(as_text=True), "Product")
    offers = {offer["sku"]: offer for offer in data["offers"]}
    assert offers["FPS-50"]["availability"] == "https://schema.org/OutOfStock"


def test_a_product_without_reviews_has_no_aggregate_rating(client, demo_store):
    with unit_of_work():
        for review in reviews.pending_reviews():
            reviews.reject_review(review.id)
        gel_id = db.session.scalar(select(Product.id).where(Product.handle == "conductive-gel"))
        for review in reviews.approved_reviews(gel_id):
            reviews.reject_review(review.id)
    data = of_type(client.get("/products/conductive-gel").get_data(as_text=True), "Product")
    assert "aggregateRating" not in data and "review" not in data
    assert data["offers"][0]["price"] == "24.00"


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/guides/{GUIDE}", f"{BASE}/guides/{GUIDE}"),
        ("/products/microcurrent-device?variant=2", f"{BASE}/products/microcurrent-device"),
        ("/articles?kind=review", f"{BASE}/articles?kind=review"),
        ("/articles?utm_source=x", f"{BASE}/articles"),
        ("/products", f"{BASE}/products"),
    ],
)
def test_canonical_links(client, demo_store, path, expected):
    assert canonical(client.get(path).get_data(as_text=True)) == expected


def test_sharing_tags_on_articles_and_products(client, demo_store):
    guide = client.get(f"/guides/{GUIDE}").get_data(as_text=True)
    assert meta(guide, "og:type") == "article"
    assert meta(guide, "og:title") == "Benefits of Microcurrent Therapy: An Expert Guide"
    assert meta(guide, "og:url") == f"{BASE}/guides/{GUIDE}"
    assert meta(guide, "og:image").startswith(f"{BASE}/static/img/articles/")
    assert meta(guide, "twitter:card") == "summary_large_image"
    assert meta(guide, "og:description").startswith("What microcurrent facial toning is")
    assert meta(guide, "article:published_time").startswith("2026-10-06T09:00:00")
    device = client.get("/products/microcurrent-device").get_data(as_text=True)
    assert meta(device, "og:type") == "product"
    assert meta(device, "og:image").startswith(f"{BASE}/static/img/products/")
    assert meta(device, "twitter:title").startswith("Contour Microcurrent Toning Device")


def test_error_pages_have_no_canonical_link(client, demo_store):
    response = client.get("/guides/no-such-guide")
    assert response.status_code == 404
    assert canonical(response.get_data(as_text=True)) is None
