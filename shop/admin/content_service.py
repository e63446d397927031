"""Back-office work on articles and shopper reviews, on top of the content feature.

`content.service.save_article` validates (shortcodes included) and stores, and
`shop.catalog.reviews` moderates; this module adds what the back office needs around
them: the audit entry, written in the same unit of work so both land together (or
neither, when they refuse), a check that nobody saved the article since the form was
opened, and publishing by date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from content import shortcodes
from content.models import Article, ArticleKind, ArticleStatus
from content.service import ArticleError, products_by_handle, save_article, validation_problems
from shop.admin import audit
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.models import StaffUser
from shop.catalog import reviews
from shop.catalog.models import Product, ProductType
from shop.extensions import db

ARTICLE_FIELDS = (
    "kind",
    "title",
    "slug",
    "summary",
    "body",
    "hero_image",
    "hero_alt",
    "author",
    "status",
    "published_at",
    "seo_title",
    "seo_description",
    "verdict",
    "score",
    "pros",
    "cons",
    "product_id",
)


@dataclass(frozen=True)
class ArticleData:
    kind: str
    title: str
    slug: str
    author: str
    body: str = ""
    summary: str = ""
    hero_image: str = ""
    hero_alt: str = ""
    seo_title: str = ""
    seo_description: str = ""
    tags: tuple[str, ...] = ()
    product_id: int | None = None
    score: float | None = None
    verdict: str = ""
    pros: tuple[str, ...] = ()
    cons: tuple[str, ...] = ()


# ------------------------------------------------------------------------ reading


def list_articles(status: str = "", kind: str = "", query: str = "") -> Sequence[Article]:
    statement = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if status in tuple(ArticleStatus):
        statement = statement.where(Article.status == status)
    if kind in tuple(ArticleKind):
        statement = statement.where(Article.kind == kind)
    text = query.strip().lower()
    if text:
        pattern = f"%{text}%"
        statement = statement.where(or_(Article.title.ilike(pattern), Article.slug.ilike(pattern)))
    return db.session.scalars(statement.options(selectinload(Article.tag_rows))).all()


def get_article(article_id: int) -> Article | None:
    return db.session.get(Article, article_id)


def shortcode_products() -> Sequence[Product]:
    """What an editor may embed: products for sale, with their handles."""
    return db.session.scalars(
        select(Product)
        .where(Product.is_active.is_(True), Product.product_type != ProductType.GIFT)
        .order_by(Product.position, Product.id)
    ).all()


def snapshot(article: Article) -> dict:
    return {**audit.snapshot(article, ARTICLE_FIELDS), "tags": list(article.tags)}


def version_token(article: Article) -> str:
    """What the edit form carries to notice a save by someone else in the meantime."""
    return article.updated_at.isoformat() if article.updated_at else ""


# ------------------------------------------------------------------------ preview


def preview(body: str) -> Markup:
    """The body as readers will see it: Markdown rendered and sanitised, each shortcode
    shown as the product it embeds (or a warning when it names none)."""
    found = products_by_handle(shortcodes.handles_in(body))

    def card(code: shortcodes.Shortcode) -> str:
        product = found.get(code.handle)
        problems = shortcodes.problems(code.source + "\n", found)
        if product is None or problems:
            message = problems[0] if problems else f"{code.source} names an unknown product."
            return f'<p class="preview-card preview-card-problem" role="note">{escape(message)}</p>'
        return (
            f'<p class="preview-card" role="note">Product card: <strong>{escape(product.title)}'
            f"</strong> ({escape(product.handle)})</p>"
        )

    return shortcodes.render(body, card)


# ------------------------------------------------------------------------ saving

# Which form field each of content.service's messages is about.
_PROBLEM_FIELDS = (
    ("Title", "title"),
    ("Author", "author"),
    ("Summary", "summary"),
    ("SEO title", "seo_title"),
    ("SEO description", "seo_description"),
    ("Hero description", "hero_alt"),
    ("Hero image", "hero_image"),
    ("Slug", "slug"),
    ("Another article already uses the slug", "slug"),
    ("At most", "tag_list"),
    ("Tag ", "tag_list"),
    ("A review needs the product", "reviewed_product"),
    ("The reviewed product", "reviewed_product"),
    ("A review needs a score", "score"),
    ("A review needs a verdict", "verdict"),
    ("A scheduled or published article", "published_at"),
    ("{{", "body"),
    ("Kind", "kind"),
)


def _as_admin_error(error: ArticleError) -> AdminActionError:
    fields: dict[str, str] = {}
    general: list[str] = []
    for problem in error.problems:
        name = next((f for prefix, f in _PROBLEM_FIELDS if problem.startswith(prefix)), None)
        if name is None:
            general.append(problem)
        else:
            fields[name] = f"{fields[name]} {problem}" if name in fields else problem
    message = " ".join(general) or "Please correct the highlighted fields."
    return AdminActionError(message, fields)


def _apply(article: Article, data: ArticleData) -> None:
    article.kind = data.kind
    article.title = data.title.strip()
    article.slug = data.slug.strip()
    article.author = data.author.strip()
    article.body = data.body.replace("\r\n", "\n")
    article.summary = data.summary.strip()
    article.hero_image = data.hero_image.strip()
    article.hero_alt = data.hero_alt.strip()
    article.seo_title = data.seo_title.strip()
    article.seo_description = data.seo_description.strip()
    is_review = data.kind == ArticleKind.REVIEW
    article.product_id = data.product_id if is_review else None
    article.product = (
        db.session.get(Product, data.product_id) if is_review and data.product_id else None
    )
    article.score = data.score if is_review else None
    article.verdict = data.verdict.strip() if is_review else ""
    article.pros = [p.strip() for p in data.pros if p.strip()] if is_review else []
    article.cons = [c.strip() for c in data.cons if c.strip()] if is_review else []


def _save(article: Article, tags, staff: StaffUser, action: str, summary: str, before) -> Article:
    """Audit, then let content.service validate: both land in the same unit of work."""
    after = {**audit.snapshot(article, ARTICLE_FIELDS), "tags": list(tags)}
    audit.record(staff, action, "article", article.id, summary, before=before, after=after)
    try:
        return save_article(article, tags)
    except ArticleError as error:
        db.session.rollback()
        raise _as_admin_error(error) from None


def create_article(data: ArticleData, staff: StaffUser) -> Article:
    """A new article, saved as a draft."""
    with db.session.no_autoflush:
        article = Article(status=ArticleStatus.DRAFT, pros=[], cons=[])
        _apply(article, data)
        problems = validation_problems(article, list(data.tags))
    if problems:
        raise _as_admin_error(ArticleError(problems))
    db.session.add(article)
    db.session.flush()  # the audit entry names the new article's id
    return _save(article, data.tags, staff, "article.created", f"Created {article.title}", None)


def _article_or_error(article_id: int) -> Article:
    article = get_article(article_id)
    if article is None:
        raise AdminActionError("This article no longer exists.")
    return article


def _check_unchanged(article: Article, token: str | None) -> None:
    if not token or token != version_token(article):
        raise StaleEditError("article", 0, snapshot(article))


def update_article(
    article_id: int, token: str | None, data: ArticleData, staff: StaffUser
) -> Article:
    article = _article_or_error(article_id)
    _check_unchanged(article, token)
    before = snapshot(article)
    with db.session.no_autoflush:  # a flush would lose the old slug's redirect
        _apply(article, data)
    return _save(article, data.tags, staff, "article.updated", f"Edited {article.title}", before)


def publish(
    article_id: int,
    token: str | None,
    staff: StaffUser,
    now: datetime,
    when: datetime | None = None,
) -> Article:
    """Publish now, or schedule for `when` (the article goes live by itself then)."""
    article = _article_or_error(article_id)
    _check_unchanged(article, token)
    before = snapshot(article)
    if when is not None and when <= now:
        raise AdminActionError(
            "Choose a time in the future.", {"published_at": "Choose a time in the future."}
        )
    if when is None:
        article.status = ArticleStatus.PUBLISHED
        # An article published before keeps its first date; a new one starts now.
        if article.published_at is None or article.published_at > now:
            article.published_at = now
        action, summary = "article.published", f"Published {article.title}"
    else:
        article.status = ArticleStatus.SCHEDULED
        article.published_at = when
        action = "article.scheduled"
        summary = f"Scheduled {article.title} for {when:%Y-%m-%d %H:%M} UTC"
    return _save(article, article.tags, staff, action, summary, before)


def unpublish(article_id: int, token: str | None, staff: StaffUser) -> Article:
    """Back to a draft: shoppers no longer see it."""
    article = _article_or_error(article_id)
    _check_unchanged(article, token)
    before = snapshot(article)
    article.status = ArticleStatus.DRAFT
    return _save(
        article, article.tags, staff, "article.unpublished", f"Unpublished {article.title}", before
    )


# ------------------------------------------------------------------------ reviews


def review_queue() -> Sequence[reviews.ProductReview]:
    return reviews.pending_reviews()


def moderate(review_id: int, approve: bool, staff: StaffUser) -> reviews.ProductReview:
    """Approve or reject a pending review; the audit entry lands with the decision."""
    review = db.session.get(reviews.ProductReview, review_id)
    if review is None:
        raise AdminActionError("This review no longer exists.")
    if review.status != reviews.ReviewStatus.PENDING:
        raise AdminActionError(f"This review was already {review.status}.")
    target = reviews.ReviewStatus.APPROVED if approve else reviews.ReviewStatus.REJECTED
    audit.record(
        staff,
        f"review.{target}",
        "review",
        review.id,
        f"{target.capitalize()} a {review.rating}-star review by {review.author_name}",
        before={"status": review.status},
        after={"status": target},
    )
    try:
        if approve:
            return reviews.approve_review(review.id)
        return reviews.reject_review(review.id)
    except reviews.ReviewError as error:
        db.session.rollback()
        raise AdminActionError(str(error)) from None
