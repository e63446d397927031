"""Engine event listeners that keep state on the execution context, as the SQLAlchemy
integrations of error-tracking and tracing tools do, see every statement the store
runs: cart writes, checkout, payment and staff saves all work with one installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select

from shop.admin.models import Role
from shop.catalog.models import Product
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.states import OrderStatus
from tests.integration.admin_helpers import (
    StaffClient,
    isolated_client,
    make_staff,
    product_form,
)
from tests.integration.cart_helpers import CartClient, pay_demo, place_order


class Tracer:
    """Opens a span on the context before each statement and closes it after."""

    def __init__(self) -> None:
        self.finished: list[str] = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        context.tracing_span = {"statement": statement}

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        span = context.tracing_span
        del context.tracing_span
        self.finished.append(span["statement"])


@pytest.fixture
def tracer(app, demo_store) -> Iterator[Tracer]:
    tracer = Tracer()
    event.listen(db.engine, "before_cursor_execute", tracer.before)
    event.listen(db.engine, "after_cursor_execute", tracer.after)
    yield tracer
    event.remove(db.engine, "before_cursor_execute", tracer.before)
    event.remove(db.engine, "after_cursor_execute", tracer.after)


def traced_writes(tracer: Tracer, table: str) -> list[str]:
    return [s for s in tracer.finished if s.lstrip().upper().startswith(f"UPDATE {table.upper()} ")]


def test_cart_writes_run_under_a_listener_that_keeps_state_on_the_context(app, tracer):
    shopper = CartClient(isolated_client(app))
    assert shopper.add("FPS-30", 2)[0] == 200
    assert shopper.add("CHG-100", 1)[0] == 200
    serum_key = next(i["key"] for i in shopper.cart()["items"] if i["sku"] == "FPS-30")
    assert shopper.change(serum_key, 1)[0] == 200
    assert [(i["sku"], i["quantity"]) for i in shopper.cart()["items"]] == [
        ("FPS-30", 1),
        ("CHG-100", 1),
    ]
    assert shopper.form("/cart/clear", {}).status_code == 200
    assert shopper.cart()["items"] == []
    assert shopper.add("FPS-30", 1)[0] == 200
    assert shopper.post_json("/cart/clear.js", {})[0] == 200
    assert shopper.cart()["item_count"] == 0
    assert len(traced_writes(tracer, "cart")) >= 5  # the listener saw each cart write


def test_checkout_payment_and_a_staff_save_run_under_the_listener(app, client, tracer):
    shopper = CartClient(isolated_client(app))
    assert shopper.add("FPS-30", 1)[0] == 200
    placed = place_order(shopper)
    assert placed.status_code == 302
    assert pay_demo(shopper, placed.headers["Location"]).status_code == 302
    db.session.rollback()
    order = db.session.scalars(select(Order)).one()
    assert order.status == OrderStatus.PAID
    assert shopper.cart()["item_count"] == 0  # the paid cart was emptied

    merchandiser = StaffClient(client, make_staff(Role.MERCHANDISER))
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    form = product_form(serum, title="Firming Peptide Serum+")
    assert merchandiser.post(f"/admin/products/{serum.id}", form).status_code == 302
    db.session.rollback()
    assert db.session.get(Product, serum.id).title == "Firming Peptide Serum+"
    assert traced_writes(tracer, "product")
