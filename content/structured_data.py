"""JSON-LD for search engines, in the schema.org shapes: Article, Review, Product with
Offer and AggregateRating, BreadcrumbList.

Pure functions of rows and absolute URLs handed in by the views: nothing here reads
the request or builds a URL, so the shapes are easy to test and to keep valid.
Templates print each dict through `tojson`, which escapes `<`, `>` and `&`, so no
text can close the script element it sits in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from content.models import MAX_SCORE, Article
from shop.catalog.models import Product, Variant
from shop.catalog.reviews import MAX_RATING, MIN_RATING, ProductReview, RatingSummary
from shop.money import to_decimal

SCHEMA = "https://schema.org"
IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"
NEW_CONDITION = "https://schema.org/NewCondition"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def breadcrumb_list(crumbs: Sequence[tuple[str, str]]) -> dict:
    """(name, absolute URL) pairs, from the home page down to the current page."""
    return {
        "@context": SCHEMA,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": index, "name": name, "item": url}
            for index, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def organization(name: str, url: str) -> dict:
    return {"@type": "Organization", "name": name, "url": url}


def _person(article: Article) -> dict:
    person = {"@type": "Person", "name": article.author_name}
    if article.author_role:
        person["jobTitle"] = article.author_role
    return person


def article(
    item: Article,
    url: str,
    image_url: str | None,
    publisher: dict,
    product_url: str | None = None,
    product_image_url: str | None = None,
) -> dict:
    """A guide as an Article; a review as a Review of its product with its score."""
    data: dict = {
        "@context": SCHEMA,
        "@type": "Review" if item.is_review else "Article",
        "headline": item.title[:110],
        "name": item.title,
        "description": item.seo_description or item.summary,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": _iso(item.published_at),
        "dateModified": _iso(max(filter(None, (item.updated_at, item.published_at)))),
        "author": _person(item),
        "publisher": publisher,
        "keywords": ", ".join(item.tags),
    }
    if image_url:
        data["image"] = [image_url]
    if item.is_review:
        data["reviewRating"] = {
            "@type": "Rating",
            "ratingValue": item.score,
            "bestRating": MAX_SCORE,
            "worstRating": 0,
        }
        data["reviewBody"] = item.verdict
        if item.product is not None:
            reviewed = {"@type": "Product", "name": item.product.title}
            if product_url:
                reviewed["url"] = product_url
            if product_image_url:
                reviewed["image"] = product_image_url
            data["itemReviewed"] = reviewed
    return data


def _offer(variant: Variant, units: int, currency: str, seller: dict, url: str) -> dict:
    return {
        "@type": "Offer",
        "sku": variant.sku,
        "name": variant.title,
        "price": str(to_decimal(variant.price, currency)),
        "priceCurrency": currency,
        "availability": IN_STOCK if units > 0 else OUT_OF_STOCK,
        "itemCondition": NEW_CONDITION,
        "url": url,
        "seller": seller,
    }


def product(
    item: Product,
    url: str,
    image_urls: Sequence[str],
    variants: Sequence[tuple[Variant, int]],
    currency: str,
    rating: RatingSummary,
    reviews: Sequence[ProductReview],
    seller: dict,
    variant_url: Callable[[Variant], str],
) -> dict:
    """A product page: one Offer per variant for sale, and its shoppers' ratings."""
    data: dict = {
        "@context": SCHEMA,
        "@type": "Product",
        "name": item.title,
        "description": item.subtitle or item.title,
        "url": url,
        "image": list(image_urls),
        "brand": {"@type": "Brand", "name": seller["name"]},
        "offers": [
            _offer(variant, units, currency, seller, variant_url(variant))
            for variant, units in variants
        ],
    }
    if variants:
        data["sku"] = variants[0][0].sku
    if rating.count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": rating.average,
            "reviewCount": rating.count,
            "ratingCount": rating.count,
            "bestRating": MAX_RATING,
            "worstRating": MIN_RATING,
        }
        data["review"] = [
            {
                "@type": "Review",
                "name": review.title,
                "reviewBody": review.body,
                "datePublished": _iso(review.created_at),
                "author": {"@type": "Person", "name": review.author_name},
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": review.rating,
                    "bestRating": MAX_RATING,
                    "worstRating": MIN_RATING,
                },
            }
            for review in reviews[:5]
        ]
    return data
