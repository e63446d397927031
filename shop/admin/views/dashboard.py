"""The dashboard: today and the last 30 days at a glance."""

from __future__ import annotations

from flask import current_app, render_template

from shop.admin import metrics
from shop.admin.access import Area, staff_required
from shop.admin.charts import bar_chart
from shop.admin.views.blueprint import bp
from shop.templating import store_money_formatter
from shop.timeutil import utcnow


@bp.get("/dashboard")
@staff_required(*Area.DASHBOARD)
def dashboard():
    numbers = metrics.dashboard(utcnow(), current_app.config["ADMIN_LOW_STOCK_THRESHOLD"])
    money = store_money_formatter()
    points = [(point.day.strftime("%b %d"), point.revenue) for point in numbers.days]
    first, last = numbers.days[0].day, numbers.days[-1].day
    revenue_chart = bar_chart(
        points,
        chart_id="revenue-chart",
        title=f"Revenue per day, {first:%b %d} to {last:%b %d}",
        description=(
            f"{money(numbers.month.revenue)} over {len(points)} days; the table below "
            "lists every day."
        ),
        value_text=money,
    )
    orders_chart = bar_chart(
        [(point.day.strftime("%b %d"), point.orders) for point in numbers.days],
        chart_id="orders-chart",
        title=f"Paid orders per day, {first:%b %d} to {last:%b %d}",
        description=f"{numbers.month.orders} orders over {len(points)} days.",
        height=160,
    )
    return render_template(
        "admin/dashboard.html",
        numbers=numbers,
        revenue_chart=revenue_chart,
        orders_chart=orders_chart,
    )
