"""The dashboard: today and the last 30 days, charts as SVG with text alternatives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shop.admin import metrics
from shop.admin.charts import bar_chart
from shop.admin.models import Role
from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.timeutil import utcnow
from tests.integration.admin_helpers import StaffClient, isolated_client, make_staff
from tests.integration.cart_helpers import CartClient, pay_demo, place_order


@pytest.fixture
def merchandiser(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.MERCHANDISER))


def paid_order(app, sku: str) -> Order:
    shopper = CartClient(isolated_client(app))
    shopper.add(sku, 1)
    assert pay_demo(shopper, place_order(shopper).headers["Location"]).status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def test_numbers_for_today_and_the_month(app, merchandiser, demo_store):
    device = paid_order(app, "CMD-ROSE")  # $199, free gift ($245 value), free shipping
    gel = paid_order(app, "CHG-100")  # $24 + $8 shipping
    old = paid_order(app, "FPS-30")  # paid 40 days ago: outside both windows
    demo_store.execute(
        update(Order).where(Order.id == old.id).values(paid_at=utcnow() - timedelta(days=40))
    )
    demo_store.commit()
    numbers = metrics.dashboard(utcnow(), 5)
    expected = device.total + gel.total
    assert numbers.today.revenue == numbers.month.revenue == expected
    assert numbers.today.orders == numbers.month.orders == 2
    assert numbers.today.average_order_value == round(expected / 2)
    assert numbers.today.gift_cost == numbers.month.gift_cost == 24500
    gift_use = next(use for use in numbers.promotions if use.name.startswith("Free device"))
    assert gift_use.orders == 1 and gift_use.amount == 24500
    html = merchandiser.html("/admin/dashboard")
    assert "$245.00" in html and "Free device &amp; serum gift set" in html


def test_refunds_come_off_revenue(app, merchandiser, demo_store):
    order = paid_order(app, "CHG-100")
    demo_store.execute(update(Order).where(Order.id == order.id).values(refunded_total=1000))
    demo_store.commit()
    assert metrics.dashboard(utcnow(), 5).today.revenue == order.total - 1000


def test_low_stock_lists_stocked_variants_only(merchandiser, demo_store):
    demo_store.execute(update(Variant).where(Variant.sku == "CMD-PEARL").values(stock=2))
    demo_store.commit()
    low = metrics.low_stock(5)
    assert [row.sku for row in low] == ["CMD-PEARL"]
    html = merchandiser.html("/admin/dashboard")
    assert "Low stock (5 or fewer)" in html and "CMD-PEARL" in html


def test_charts_are_svg_with_a_name_a_description_and_a_table(app, merchandiser):
    paid_order(app, "FPS-30")
    html = merchandiser.html("/admin/dashboard")
    assert '<svg class="chart" id="revenue-chart"' in html
    assert (
        'role="img"' in html and 'aria-labelledby="revenue-chart-title revenue-chart-desc"' in html
    )
    assert '<title id="revenue-chart-title">Revenue per day' in html
    assert "The numbers behind the charts" in html
    assert f'<th scope="row">{utcnow().date().isoformat()}</th>' in html
    assert "<script" not in html  # readable without JavaScript


def test_chart_text_is_escaped():
    svg = str(bar_chart([("<b>", 1)], chart_id="c", title="<script>", description="&"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg


def test_top_articles_by_attributed_revenue(app, merchandiser, demo_store):
    if not hasattr(OrderLine, "source_article_id"):
        pytest.skip("orders do not record their source article")
    from content.models import Article

    article = Article(kind="guide", title="How to tone", slug="how-to-tone", author="Ana")
    demo_store.add(article)
    demo_store.commit()
    order = paid_order(app, "CMD-PEARL")
    demo_store.execute(
        update(OrderLine)
        .where(OrderLine.order_id == order.id, OrderLine.is_gift.is_(False))
        .values(source_article_id=article.id)
    )
    demo_store.commit()
    (top,) = metrics.dashboard(utcnow(), 5).articles
    assert (top.title, top.revenue, top.orders) == ("How to tone", 19900, 1)
    assert "How to tone" in merchandiser.html("/admin/dashboard")


def test_an_empty_store_has_an_empty_dashboard(merchandiser):
    html = merchandiser.html("/admin/dashboard")
    assert "No promotion was used." in html
