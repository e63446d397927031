"""The dashboard's numbers: today and the last 30 days, in UTC.

An order counts once its payment is in (the states in PAID_STATES), on the day it was
paid. Revenue is what was paid less what was refunded. Gift cost is the reference value
of the free gifts given with those orders. Top articles are the articles order lines
came from (`OrderLine.source_article_id`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from shop.catalog.models import BundleComponent, Product, ProductType, Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderPromotion
from shop.orders.states import PAID_STATES
from shop.promotions.models import Promotion

WINDOW_DAYS = 30


@dataclass(frozen=True)
class WindowStats:
    label: str
    revenue: int
    orders: int
    gift_cost: int

    @property
    def average_order_value(self) -> int:
        return round(self.revenue / self.orders) if self.orders else 0


@dataclass(frozen=True)
class DayPoint:
    day: date
    revenue: int
    orders: int


@dataclass(frozen=True)
class PromotionUse:
    promotion_id: int | None
    name: str
    orders: int
    amount: int


@dataclass(frozen=True)
class ArticleRevenue:
    article_id: int
    title: str
    revenue: int
    orders: int


@dataclass(frozen=True)
class LowStock:
    product_id: int
    product_title: str
    sku: str
    variant_title: str
    stock: int


@dataclass(frozen=True)
class Dashboard:
    today: WindowStats
    month: WindowStats
    days: tuple[DayPoint, ...]
    promotions: tuple[PromotionUse, ...]
    articles: tuple[ArticleRevenue, ...]
    low_stock: tuple[LowStock, ...]
    low_stock_threshold: int


def _midnight(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _gift_cost(since: datetime, until: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.gift_value), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.is_gift.is_(True),
                Order.status.in_(PAID_STATES),
                Order.paid_at >= since,
                Order.paid_at < until,
            )
        )
        or 0
    )


def _promotion_use(since: datetime, until: datetime) -> tuple[PromotionUse, ...]:
    rows = db.session.execute(
        select(
            OrderPromotion.promotion_id,
            func.max(Promotion.name),
            func.max(OrderPromotion.label),
            func.count(),
            func.coalesce(func.sum(OrderPromotion.amount), 0),
        )
        .join(Order, Order.id == OrderPromotion.order_id)
        .outerjoin(Promotion, Promotion.id == OrderPromotion.promotion_id)
        .where(Order.status.in_(PAID_STATES), Order.paid_at >= since, Order.paid_at < until)
        .group_by(OrderPromotion.promotion_id)
        .order_by(func.count().desc())
    ).all()
    return tuple(
        PromotionUse(promotion_id, name or label, int(count), int(amount))
        for promotion_id, name, label, count, amount in rows
    )


def _top_articles(since: datetime, until: datetime, limit: int = 5):
    """Revenue of the lines each article sent (the line records the article)."""
    from content.models import Article

    column = OrderLine.source_article_id
    rows = db.session.execute(
        select(
            column,
            func.max(Article.title),
            func.coalesce(func.sum(OrderLine.final_line_price), 0),
            func.count(func.distinct(Order.id)),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Article, Article.id == column)
        .where(
            column.is_not(None),
            Order.status.in_(PAID_STATES),
            Order.paid_at >= since,
            Order.paid_at < until,
        )
        .group_by(column)
        .order_by(func.coalesce(func.sum(OrderLine.final_line_price), 0).desc())
        .limit(limit)
    ).all()
    return tuple(
        ArticleRevenue(int(article_id), title or f"Article {article_id}", int(revenue), int(orders))
        for article_id, title, revenue, orders in rows
    )


def low_stock(threshold: int, limit: int = 20) -> tuple[LowStock, ...]:
    """Active stocked variants at or below the threshold (bundles hold no stock)."""
    rows = db.session.execute(
        select(Product.id, Product.title, Variant.sku, Variant.option_value, Variant.stock)
        .join(Product, Product.id == Variant.product_id)
        .where(
            Variant.is_active.is_(True),
            Product.is_active.is_(True),
            Product.product_type != ProductType.BUNDLE,
            Variant.stock <= threshold,
            ~select(BundleComponent.id)
            .where(BundleComponent.bundle_variant_id == Variant.id)
            .exists(),
        )
        .order_by(Variant.stock, Product.title, Variant.sku)
        .limit(limit)
    ).all()
    return tuple(
        LowStock(product_id, title, sku, option or "Default", stock)
        for product_id, title, sku, option, stock in rows
    )


def dashboard(now: datetime, low_stock_threshold: int) -> Dashboard:
    today_start = _midnight(now)
    month_start = today_start - timedelta(days=WINDOW_DAYS - 1)
    end = today_start + timedelta(days=1)
    paid = db.session.execute(
        select(Order.paid_at, Order.total, Order.refunded_total).where(
            Order.status.in_(PAID_STATES), Order.paid_at >= month_start, Order.paid_at < end
        )
    ).all()
    by_day: dict[date, list[int]] = {}
    for paid_at, total, refunded in paid:
        bucket = by_day.setdefault(paid_at.astimezone(UTC).date(), [0, 0])
        bucket[0] += total - refunded
        bucket[1] += 1
    days = tuple(
        DayPoint(day, *by_day.get(day, [0, 0]))
        for day in ((month_start + timedelta(days=n)).date() for n in range(WINDOW_DAYS))
    )
    today = days[-1]
    return Dashboard(
        today=WindowStats("Today", today.revenue, today.orders, _gift_cost(today_start, end)),
        month=WindowStats(
            f"Last {WINDOW_DAYS} days",
            sum(point.revenue for point in days),
            sum(point.orders for point in days),
            _gift_cost(month_start, end),
        ),
        days=days,
        promotions=_promotion_use(month_start, end),
        articles=_top_articles(month_start, end),
        low_stock=low_stock(low_stock_threshold),
        low_stock_threshold=low_stock_threshold,
    )
