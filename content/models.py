"""Articles (guides and reviews), their tags, and the old slugs that still lead to them.

An article is visible to shoppers only once it is scheduled or published and its
publish time has come; a draft never is. Visibility is decided by `content.service`
from the clock it is handed, so a scheduled post appears on time without a job
flipping its status.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Product
from shop.extensions import db
from shop.timeutil import utcnow
from shop.types import UTCDateTime


class ArticleKind(StrEnum):
    GUIDE = "guide"  # served at /guides/<slug>
    REVIEW = "review"  # served at /reviews/<slug>, with a verdict and a score


class ArticleStatus(StrEnum):
    DRAFT = "draft"  # never shown to shoppers
    SCHEDULED = "scheduled"  # shown from `published_at` on
    PUBLISHED = "published"  # shown (from `published_at`, which is normally past)


MAX_SCORE = 10


class Article(db.Model):
    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown with shortcodes
    # A path under static/ (like product images), shown above the article and shared.
    hero_image: Mapped[str] = mapped_column(String(300), default="")
    hero_alt: Mapped[str] = mapped_column(String(300), default="")  # "" when decorative
    author: Mapped[str] = mapped_column(String(160))  # "Name, role"
    status: Mapped[str] = mapped_column(String(20), default=ArticleStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seo_title: Mapped[str] = mapped_column(String(200), default="")
    seo_description: Mapped[str] = mapped_column(String(320), default="")

    # Reviews only: what we thought of which product.
    verdict: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Numeric(3, 1, asdecimal=False))
    pros: Mapped[list[str]] = mapped_column(JSON, default=list)
    cons: Mapped[list[str]] = mapped_column(JSON, default=list)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product | None] = relationship()
    tag_rows: Mapped[list[ArticleTag]] = relationship(
        back_populates="article", order_by="ArticleTag.name", cascade="all, delete-orphan"
    )
    redirects: Mapped[list[ArticleSlugRedirect]] = relationship(
        back_populates="article", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("kind IN ('guide', 'review')", name="known_kind"),
        CheckConstraint("status IN ('draft', 'scheduled', 'published')", name="known_status"),
        CheckConstraint("status = 'draft' OR published_at IS NOT NULL", name="publish_time"),
        CheckConstraint(f"score IS NULL OR (score >= 0 AND score <= {MAX_SCORE})", name="score"),
        Index("ix_article_listing", "status", "published_at"),
    )

    @property
    def tags(self) -> list[str]:
        return [row.name for row in self.tag_rows]

    @property
    def is_review(self) -> bool:
        return self.kind == ArticleKind.REVIEW

    @property
    def author_name(self) -> str:
        """The author's name without the role that follows the first comma."""
        return self.author.split(",", 1)[0].strip()

    @property
    def author_role(self) -> str:
        parts = self.author.split(",", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    def __repr__(self) -> str:
        return f"<Article {self.kind} {self.slug}>"


class ArticleTag(db.Model):
    """One tag of one article: a row each, so listings filter by tag in SQL."""

    __tablename__ = "article_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40), index=True)

    article: Mapped[Article] = relationship(back_populates="tag_rows")

    __table_args__ = (UniqueConstraint("article_id", "name", name="uq_article_tag"),)


class ArticleSlugRedirect(db.Model):
    """A slug an article used to have: links to it answer with a permanent redirect."""

    __tablename__ = "article_slug_redirect"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(String(160), unique=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="redirects")
