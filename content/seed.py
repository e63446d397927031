"""Demo content: the articles in content/articles/*.md and a few shopper reviews.

Both seeders create what is missing and keep what exists (matched by slug, and by
product + e-mail for reviews), so running seed-demo again never duplicates or
overwrites what editors changed. Neither commits: seed-demo commits once at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import frontmatter
from sqlalchemy import select

from content import service
from content.models import Article, ArticleKind, ArticleSlugRedirect, ArticleStatus, ArticleTag
from shop.catalog.models import Product
from shop.catalog.reviews import ProductReview, ReviewStatus
from shop.extensions import db
from shop.timeutil import utcnow

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
STATIC_PREFIX = "/static/"


def _as_utc(value) -> datetime | None:
    """Front matter times: YAML timestamps, or ISO strings; naive ones are UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _static_path(hero: str) -> str:
    hero = (hero or "").strip()
    return hero[len(STATIC_PREFIX) :] if hero.startswith(STATIC_PREFIX) else hero.lstrip("/")


def article_from_file(path: Path, now: datetime) -> tuple[Article, list[str]]:
    """An unsaved Article (and its tags) from a Markdown file with front matter."""
    post = frontmatter.load(path)
    meta = post.metadata
    published_at = _as_utc(meta.get("published_at"))
    if meta.get("status"):
        status = str(meta["status"])
    elif published_at is None:
        status = ArticleStatus.DRAFT
    else:
        status = ArticleStatus.PUBLISHED if published_at <= now else ArticleStatus.SCHEDULED
    product = None
    if meta.get("product"):
        product = db.session.scalar(select(Product).where(Product.handle == meta["product"]))
    article = Article(
        kind=str(meta.get("kind", ArticleKind.GUIDE)),
        title=str(meta.get("title", "")),
        slug=str(meta.get("slug") or path.stem),
        summary=str(meta.get("summary", "")),
        body=post.content.strip() + "\n",
        hero_image=_static_path(str(meta.get("hero", ""))),
        hero_alt=str(meta.get("hero_alt", "")),
        author=str(meta.get("author", "")),
        status=status,
        published_at=published_at,
        seo_title=str(meta.get("seo_title", "")),
        seo_description=str(meta.get("seo_description", "")),
        verdict=str(meta.get("verdict", "")),
        score=float(meta["score"]) if meta.get("score") is not None else None,
        pros=[str(p) for p in meta.get("pros", [])],
        cons=[str(c) for c in meta.get("cons", [])],
        product=product,
    )
    return article, service.normalize_tags(meta.get("tags", []))


def seed_articles(now: datetime | None = None, directory: Path = ARTICLES_DIR) -> tuple[int, int]:
    """Returns (created, already present). Raises ArticleError on a broken file."""
    now = now or utcnow()
    created = kept = 0
    for path in sorted(directory.glob("*.md")):
        article, tags = article_from_file(path, now)
        taken = db.session.scalar(select(Article.id).where(Article.slug == article.slug))
        renamed = db.session.scalar(
            select(ArticleSlugRedirect.id).where(ArticleSlugRedirect.old_slug == article.slug)
        )
        if taken or renamed:
            kept += 1
            continue
        with db.session.no_autoflush:
            problems = service.validation_problems(article, tags)
        if problems:
            raise service.ArticleError([f"{path.name}: {p}" for p in problems])
        for name in tags:
            article.tag_rows.append(ArticleTag(name=name))
        db.session.add(article)
        db.session.flush()
        created += 1
    return created, kept


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=UTC)


# (product handle, stars, title, text, name, e-mail, status, written on)
DEMO_REVIEWS: list[tuple[str, int, str, str, str, str, str, datetime]] = [
    (
        "microcurrent-device",
        5,
        "My jawline noticed before I did",
        "Five minutes most mornings for a month. A friend asked if I had changed my hair. "
        "The puffiness under my eyes is gone by the time the coffee is ready.",
        "Hannah K.",
        "hannah.k@example.com",
        ReviewStatus.APPROVED,
        _at(8),
    ),
    (
        "microcurrent-device",
        4,
        "Gentle and easy, results take patience",
        "I barely feel it on the lowest setting, which I like. The lift is subtle and "
        "builds slowly; I skipped a week and could tell. Worth it if you keep at it.",
        "Marco D.",
        "marco.d@example.com",
        ReviewStatus.APPROVED,
        _at(12),
    ),
    (
        "microcurrent-device",
        5,
        "Feels well made",
        "Solid, charges quickly, and the rounded head follows the cheekbone nicely. "
        "Use plenty of gel or it drags.",
        "Sofia R.",
        "sofia.r@example.com",
        ReviewStatus.APPROVED,
        _at(20),
    ),
    (
        "microcurrent-device",
        3,
        "Nice, but I expected faster results",
        "Three weeks in and the change is small. Still using it.",
        "Leo P.",
        "leo.p@example.com",
        ReviewStatus.PENDING,
        _at(27),
    ),
    (
        "peptide-serum",
        5,
        "Finally a serum my sensitive skin accepts",
        "No stinging, no redness, and it sits under sunscreen without pilling. "
        "My skin feels softer after two weeks.",
        "Amira S.",
        "amira.s@example.com",
        ReviewStatus.APPROVED,
        _at(9),
    ),
    (
        "peptide-serum",
        4,
        "Light texture, gradual results",
        "Absorbs in seconds. Firmness is modest but my skin looks smoother. "
        "The 50 ml bottle is better value.",
        "Grace T.",
        "grace.t@example.com",
        ReviewStatus.APPROVED,
        _at(15),
    ),
    (
        "peptide-serum",
        5,
        "Great after my device sessions",
        "I apply it straight after microcurrent and it feels like it sinks right in. "
        "Lovely routine.",
        "Nina W.",
        "nina.w@example.com",
        ReviewStatus.APPROVED,
        _at(22),
    ),
    (
        "peptide-serum",
        2,
        "Not for me",
        "Pleasant to use but I did not see much change after a month.",
        "Oliver B.",
        "oliver.b@example.com",
        ReviewStatus.PENDING,
        _at(28),
    ),
    (
        "conductive-gel",
        5,
        "Does exactly what it should",
        "The device glides and the current feels even. No scent, no residue after rinsing.",
        "Priya M.",
        "priya.m@example.com",
        ReviewStatus.APPROVED,
        _at(11),
    ),
    (
        "conductive-gel",
        4,
        "Good gel, goes quickly",
        "Works well. I use a generous layer, so a tube lasts me about a month.",
        "Tom H.",
        "tom.h@example.com",
        ReviewStatus.APPROVED,
        _at(18),
    ),
    (
        "conductive-gel",
        4,
        "Hydrating too",
        "My skin feels comfortable afterwards instead of tight.",
        "Ines F.",
        "ines.f@example.com",
        ReviewStatus.PENDING,
        _at(26),
    ),
    (
        "device-serum-bundle",
        5,
        "The easiest way to start",
        "Everything I needed in one box, and the free gift set arrived with it. "
        "The serum and device work nicely together.",
        "Claire V.",
        "claire.v@example.com",
        ReviewStatus.APPROVED,
        _at(13),
    ),
    (
        "device-serum-bundle",
        4,
        "Good value",
        "Cheaper than buying both separately. Rose gold is prettier in person.",
        "Daniel O.",
        "daniel.o@example.com",
        ReviewStatus.APPROVED,
        _at(19),
    ),
    (
        "device-serum-bundle",
        5,
        "Bought one for my sister too",
        "We compare notes every week. Both of us see less morning puffiness.",
        "Eva L.",
        "eva.l@example.com",
        ReviewStatus.PENDING,
        _at(29),
    ),
]


def seed_reviews() -> tuple[int, int]:
    """Returns (created, already present)."""
    products = {p.handle: p for p in db.session.scalars(select(Product))}
    created = kept = 0
    for handle, stars, title, text, name, email, status, written in DEMO_REVIEWS:
        product = products.get(handle)
        if product is None:
            raise LookupError(f"the demo reviews need product {handle}; seed the catalogue first")
        exists = db.session.scalar(
            select(ProductReview.id).where(
                ProductReview.product_id == product.id, ProductReview.email == email
            )
        )
        if exists:
            kept += 1
            continue
        db.session.add(
            ProductReview(
                product_id=product.id,
                rating=stars,
                title=title,
                body=text,
                author_name=name,
                email=email,
                status=status,
                created_at=written,
                moderated_at=written if status != ReviewStatus.PENDING else None,
            )
        )
        created += 1
    return created, kept
