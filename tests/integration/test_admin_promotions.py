"""Promotions in the back office: every rule the engine supports, drafts, the
simulator, publishing, pausing, and a version for every saved change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shop.admin import promotion_service, simulator
from shop.admin.models import AuditEntry, Role
from shop.catalog.models import Product, Variant
from shop.extensions import db
from shop.orders.models import Order, OrderPromotion
from shop.promotions.engine import price_cart
from shop.promotions.loader import load_gift_stock, to_rule
from shop.promotions.models import Promotion, PromotionVersion
from shop.promotions.rules import (
    ContainsProducts,
    ContainsVariants,
    DateWindow,
    FirstOrder,
    FreeGift,
    MinSubtotal,
    PercentOff,
    ShopperContext,
)
from shop.timeutil import utcnow
from tests.integration.admin_helpers import StaffClient, isolated_client, make_staff
from tests.integration.cart_helpers import CartClient, pay_demo, place_order
from tests.support.digits import FULLWIDTH_ZERO, SUPERSCRIPT_TWO, written_in


@pytest.fixture
def merchandiser(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.MERCHANDISER))


def promotion_named(name: str) -> Promotion | None:
    db.session.rollback()
    return db.session.scalar(select(Promotion).where(Promotion.name == name))


def product_id(handle: str) -> int:
    return db.session.scalar(select(Product.id).where(Product.handle == handle))


def variant_id(sku: str) -> int:
    return db.session.scalar(select(Variant.id).where(Variant.sku == sku))


def promotion_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Promotion))


SERUM_WEEK = {
    "name": "Serum week",
    "label": "15% off the serum",
    "reward_type": "percent_off",
    "percent_off": "15",
    "priority": "20",
    "combinable": "y",
    "required_min_quantity": "1",
    "gift_max_quantity": "1",
    "sample_first_order": "",
}


def serum_week(**changes) -> dict:
    return {**SERUM_WEEK, "percent_products": str(product_id("peptide-serum")), **changes}


def shopper_cart(app, *skus: str, codes: tuple[str, ...] = ()) -> dict:
    shopper = CartClient(isolated_client(app))
    for sku in skus:
        shopper.add(sku, 1)
    for code in codes:
        shopper.form("/cart/code", {"code": code})
    return shopper.cart()


def applied_labels(cart: dict) -> list[str]:
    return [promotion["label"] for promotion in cart["promotions"]]


# ---------------------------------------------------------------- create as a draft


def test_a_new_promotion_is_a_draft_with_its_first_version(app, merchandiser):
    response = merchandiser.post("/admin/promotions/new", {**serum_week(), "save": "Save"})
    assert response.status_code == 302
    promotion = promotion_named("Serum week")
    assert response.headers["Location"].endswith(f"/admin/promotions/{promotion.id}/simulate")
    assert (promotion.status, promotion.version, promotion.percent_off) == ("draft", 1, 15)
    assert promotion.percent_product_ids == [product_id("peptide-serum")]
    (version,) = db.session.scalars(select(PromotionVersion)).all()
    assert version.version == 1 and version.settings["percent_off"] == 15
    assert version.staff_id is not None
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "promotion.created" and entry.after["status"] == "draft"
    # A draft is never applied to a shopper's cart.
    assert "15% off the serum" not in applied_labels(shopper_cart(app, "FPS-30"))


def test_every_rule_the_engine_supports_can_be_set(merchandiser):
    starts = (utcnow() - timedelta(days=1)).replace(second=0, microsecond=0)
    ends = starts + timedelta(days=10)
    form = {
        "name": "Everything",
        "label": "A gift for loyal device buyers",
        "reward_type": "gift",
        "gift_skus": "GIFT-SET, FPS-30",
        "gift_per_units": "2",
        "gift_max_quantity": "3",
        "code": "LOYAL",
        "min_subtotal": "100.00",
        "required_products": [str(product_id("microcurrent-device"))],
        "required_variants": [str(variant_id("CMD-ROSE")), str(variant_id("CMD-PEARL"))],
        "required_min_quantity": "2",
        "first_order_only": "y",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
        "priority": "70",
        "usage_limit_total": "100",
        "usage_limit_per_email": "1",
        "sample_first_order": "",
        "save": "Save",
    }
    assert merchandiser.post("/admin/promotions/new", form).status_code == 302
    saved = promotion_named("Everything")
    assert saved.gift_variant_ids == [variant_id("GIFT-SET"), variant_id("FPS-30")]
    assert (saved.gift_per_units, saved.gift_max_quantity) == (2, 3)
    assert (saved.code, saved.min_subtotal, saved.required_min_quantity) == ("LOYAL", 10000, 2)
    assert saved.starts_at == starts and saved.ends_at == ends
    assert saved.first_order_only and not saved.combinable and saved.priority == 70
    assert (saved.usage_limit_total, saved.usage_limit_per_email) == (100, 1)
    rule = to_rule(saved, load_gift_stock([saved]))
    kinds = {type(condition) for condition in rule.conditions}
    assert kinds == {MinSubtotal, ContainsProducts, ContainsVariants, DateWindow, FirstOrder}
    assert isinstance(rule.reward, FreeGift) and len(rule.reward.gifts) == 2
    assert rule.code == "LOYAL" and not rule.combinable
    # The edit form shows it all again, gifts in their order.
    html = merchandiser.html(f"/admin/promotions/{saved.id}")
    assert 'value="GIFT-SET FPS-30"' in html and 'value="100.00"' in html
    assert f'value="{starts.strftime("%Y-%m-%dT%H:%M")}"' in html


def test_amount_off_and_free_shipping_rewards(merchandiser):
    amount = {**SERUM_WEEK, "name": "Ten off", "reward_type": "amount_off", "amount_off": "10"}
    assert merchandiser.post("/admin/promotions/new", {**amount, "save": "Save"}).status_code == 302
    assert promotion_named("Ten off").amount_off == 1000
    assert promotion_named("Ten off").percent_off is None  # only the chosen reward is kept
    shipping = {**SERUM_WEEK, "name": "Ship free", "reward_type": "free_shipping"}
    assert (
        merchandiser.post("/admin/promotions/new", {**shipping, "save": "Save"}).status_code == 302
    )
    assert promotion_named("Ship free").reward_type == "free_shipping"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"starts_at": "2030-05-02T10:00", "ends_at": "2030-05-01T10:00"},
            "The promotion must end after it starts.",
        ),
        ({"percent_off": ""}, "Enter the percentage off."),
        ({"percent_off": "150"}, "Use a percentage from 1 to 100."),
        ({"code": "welcome10"}, "already used by another promotion"),
        ({"code": "no spaces!"}, "Use 3 to 40 letters"),
        ({"reward_type": "gift", "gift_skus": "NOPE-1"}, "No variant has the SKU NOPE-1."),
        ({"reward_type": "gift", "gift_skus": ""}, "Enter the SKU of the gift."),
        ({"reward_type": "amount_off", "amount_off": "0"}, "must be more than zero"),
        ({"min_subtotal": "-1"}, "Minimum subtotal cannot be below zero."),
        ({"name": ""}, "Enter a name."),
        ({"starts_at": "someday"}, "Enter a date and time for Starts (UTC)."),
        # Python reads every script's digits as numbers: the form takes 0-9 only.
        ({"percent_off": written_in("15")}, "Enter a whole number with the digits 0-9."),
        ({"priority": written_in("1", FULLWIDTH_ZERO)}, "Enter a whole number with the digits"),
        ({"usage_limit_total": written_in("5")}, "Enter a whole number with the digits 0-9."),
        ({"min_subtotal": written_in("50")}, "Enter an amount such as 19.99 for Minimum subtotal."),
        ({"sample_cart": "FPS-30 " + written_in("2")}, "Line 1: write a SKU and a quantity"),
        ({"sample_cart": "FPS-30 " + SUPERSCRIPT_TWO}, "Line 1: write a SKU and a quantity"),
        ({"percent_products": written_in("1")}, "could not be coerced"),
        ({"name": "Serum \u202eweek"}, "invisible characters that change the direction"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(merchandiser, changes, message):
    before = promotion_count()
    response = merchandiser.post("/admin/promotions/new", {**serum_week(**changes), "save": "Save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="15% off the serum"' in html
    assert promotion_count() == before


# ---------------------------------------------------------------- simulate, publish


def paid_order(app, *skus: str, email: str = "ana@example.com") -> Order:
    shopper = CartClient(isolated_client(app))
    for sku in skus:
        shopper.add(sku, 1)
    placed = place_order(shopper, email=email)
    assert pay_demo(shopper, placed.headers["Location"]).status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def test_simulating_unsaved_settings_saves_nothing_and_explains(app, merchandiser):
    order = paid_order(app, "FPS-30")
    before = promotion_count()
    response = merchandiser.post(
        "/admin/promotions/new",
        {**serum_week(), "sample_cart": "FPS-30 2\nCHG-100", "simulate": "Simulate"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert promotion_count() == before
    assert "Simulation" in html and "Your sample cart" in html
    assert "Applied: saves $17.40" in html  # 15% of 2 x $58.00
    assert "(these settings)" in html
    # Last month's paid order is priced too: 15% of $58.00 more discount.
    assert f"#{order.number}" in html
    assert "Orders re-priced</dt><dd>1<" in html
    assert "Would apply to</dt><dd>1<" in html
    # The form keeps every value for the save that follows.
    assert 'value="Serum week"' in html and "FPS-30 2" in html


def test_simulation_of_an_unknown_sample_sku_is_a_field_error(merchandiser):
    response = merchandiser.post(
        "/admin/promotions/new", {**serum_week(), "sample_cart": "NOPE 1", "simulate": "Simulate"}
    )
    assert "No variant has the SKU NOPE." in response.get_data(as_text=True)
    assert response.status_code == 422


def test_draft_then_simulate_then_publish_reaches_the_shoppers_cart(app, merchandiser):
    merchandiser.post("/admin/promotions/new", {**serum_week(), "save": "Save"})
    promotion = promotion_named("Serum week")
    page = merchandiser.html(f"/admin/promotions/{promotion.id}/simulate")
    assert "Applied: saves $8.70" in page  # 15% of the 30 ml serum in its sample cart
    assert "Publish" in page
    response = merchandiser.post(
        f"/admin/promotions/{promotion.id}/publish", {"version": str(promotion.version)}
    )
    assert response.status_code == 302
    published = promotion_named("Serum week")
    assert (published.status, published.version) == ("active", 2)
    versions = db.session.scalars(
        select(PromotionVersion.version).order_by(PromotionVersion.version)
    ).all()
    assert versions == [1, 2]
    cart = shopper_cart(app, "FPS-30")
    assert "15% off the serum" in applied_labels(cart)
    # An order priced now records version 2.
    order = paid_order(app, "FPS-30", email="bo@example.com")
    used = {p.label: p.promotion_version for p in order.promotions}
    assert used["15% off the serum"] == 2
    # Pausing takes it off carts again; resuming brings it back.
    merchandiser.post(f"/admin/promotions/{published.id}/pause", {"version": "2"})
    assert promotion_named("Serum week").status == "paused"
    assert "15% off the serum" not in applied_labels(shopper_cart(app, "FPS-30"))
    merchandiser.post(f"/admin/promotions/{published.id}/resume", {"version": "3"})
    assert promotion_named("Serum week").status == "active"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "promotion.created",
        "promotion.published",
        "promotion.paused",
        "promotion.resumed",
    ]


def test_a_status_change_with_an_old_version_is_refused(merchandiser):
    merchandiser.post("/admin/promotions/new", {**serum_week(), "save": "Save"})
    promotion = promotion_named("Serum week")
    merchandiser.post(f"/admin/promotions/{promotion.id}/publish", {"version": "1"})
    stale = merchandiser.post(
        f"/admin/promotions/{promotion.id}/pause", {"version": "1"}, follow=True
    )
    assert "changed by someone else" in stale.get_data(as_text=True)
    assert promotion_named("Serum week").status == "active"


def test_a_refused_status_change_writes_nothing(merchandiser):
    """A seeded promotion has no stored version yet; a pause sent with an old version
    is refused before one is stored, so the refusal leaves no row behind."""
    gift = promotion_named("Free device & serum gift set")
    stale = merchandiser.post(f"/admin/promotions/{gift.id}/pause", {"version": "0"}, follow=True)
    assert "changed by someone else" in stale.get_data(as_text=True)
    db.session.rollback()
    versions = select(func.count()).where(PromotionVersion.promotion_id == gift.id)
    assert db.session.scalar(versions) == 0
    assert promotion_named("Free device & serum gift set").status == "active"


# ---------------------------------------------------------------- editing and versions


def edit_form(promotion: Promotion, **changes) -> dict:
    return {
        "name": promotion.name,
        "label": promotion.label,
        "reward_type": promotion.reward_type,
        "percent_off": str(promotion.percent_off or ""),
        "amount_off": "",
        "code": promotion.code or "",
        "min_subtotal": ""
        if promotion.min_subtotal is None
        else f"{promotion.min_subtotal / 100:.2f}",
        "gift_skus": " ".join(promotion_service.skus_for(promotion.gift_variant_ids)),
        "gift_max_quantity": str(promotion.gift_max_quantity),
        "required_min_quantity": str(promotion.required_min_quantity),
        "priority": str(promotion.priority),
        "combinable": "y" if promotion.combinable else "",
        "usage_limit_per_email": str(promotion.usage_limit_per_email or ""),
        "version": str(promotion.version),
        "sample_first_order": "",
        "save": "Save",
        **changes,
    }


def test_editing_a_seeded_promotion_keeps_both_versions(merchandiser):
    gift = promotion_named("Free device & serum gift set")
    response = merchandiser.post(
        f"/admin/promotions/{gift.id}", edit_form(gift, min_subtotal="120.00")
    )
    assert response.status_code == 302
    edited = promotion_named("Free device & serum gift set")
    assert edited.min_subtotal == 12000 and edited.version == 2
    rows = db.session.scalars(
        select(PromotionVersion)
        .where(PromotionVersion.promotion_id == gift.id)
        .order_by(PromotionVersion.version)
    ).all()
    assert [(r.version, r.settings["min_subtotal"], r.staff_id is None) for r in rows] == [
        (1, 15000, True),  # the settings before the back office touched it
        (2, 12000, False),
    ]
    html = merchandiser.html(f"/admin/promotions/{gift.id}/versions")
    assert "Version 2 (current)" in html and "before version history was kept" in html
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.before["min_subtotal"] == 15000 and entry.after["min_subtotal"] == 12000
    assert (entry.before["version"], entry.after["version"]) == (1, 2)


def test_two_staff_editing_a_promotion_the_second_is_told(app, merchandiser):
    gift = promotion_named("Free device & serum gift set")
    owner = StaffClient(app.test_client(), make_staff(Role.OWNER))
    first = merchandiser.post(f"/admin/promotions/{gift.id}", edit_form(gift, priority="90"))
    assert first.status_code == 302
    late = owner.post(f"/admin/promotions/{gift.id}", edit_form(gift, label="FREE gift set"))
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "changed by someone else" in html and 'value="FREE gift set"' in html
    kept = promotion_named("Free device & serum gift set")
    assert kept.priority == 90 and kept.label == "FREE device & serum" and kept.version == 2


def test_order_detail_links_the_version_it_was_priced_under(app, demo_store):
    order = paid_order(app, "CMD-ROSE")
    fulfilment = StaffClient(app.test_client(), make_staff(Role.FULFILMENT))
    html = fulfilment.html(f"/admin/orders/{order.number}")
    used = db.session.scalars(select(OrderPromotion).where(OrderPromotion.order_id == order.id))
    for row in used:
        assert f"/admin/promotions/{row.promotion_id}/versions#v{row.promotion_version}" in html


def test_list_shows_schedule_usage_and_version(merchandiser):
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    merchandiser.post("/admin/promotions/new", {**serum_week(starts_at=future), "save": "Save"})
    promotion = promotion_named("Serum week")
    merchandiser.post(f"/admin/promotions/{promotion.id}/publish", {"version": "1"})
    html = merchandiser.html("/admin/promotions")
    assert "badge-scheduled" in html and "v2" in html
    assert "badge-running" in html  # the seeded ones


# ---------------------------------------------------------------- the simulator itself


def test_simulator_prices_with_and_without_the_draft(app, merchandiser):
    fmt = lambda amount: f"${amount / 100:.2f}"  # noqa: E731
    data = promotion_service.PromotionData(
        name="Device code",
        label="20% off devices",
        reward_type="percent_off",
        percent_off=20,
        percent_product_ids=(product_id("microcurrent-device"),),
        code="DEVICE20",
        combinable=False,
        priority=200,
    )
    draft = promotion_service.build_draft(data)
    assert draft.id is not None and draft not in db.session
    samples = simulator.default_sample_carts(codes=("DEVICE20",))
    result = simulator.simulate(draft, samples, fmt)
    device = next(r for r in result.samples if "Contour" in r.cart.name)
    # Not combinable: the engine picks the bigger saving, the gift set ($245) wins.
    assert not device.draft_applies
    assert "Not combinable with" in device.draft_outcome.reason
    assert device.winners_after == device.winners_before
    gel = next(r for r in result.samples if "Gel" in r.cart.name)
    assert gel.draft_outcome.reason == "None of the discounted products are in the cart"
    assert promotion_count() == 3  # the seeded ones: nothing was saved


def test_a_scheduled_draft_is_simulated_at_its_start():
    start = datetime(2031, 1, 1, tzinfo=UTC)
    draft = Promotion(id=99, name="x", label="x", reward_type="free_shipping", starts_at=start)
    assert simulator.simulation_moment(draft, utcnow()) == start


def test_history_carts_rebuild_paid_orders(app, merchandiser):
    order = paid_order(app, "FPS-30", "CHG-100", email="new@example.com")
    carts = simulator.history_carts(utcnow())
    (cart,) = carts
    assert cart.reference == str(order.number) and cart.is_first_order is True
    assert sorted(line.unit_price for line in cart.lines) == [2400, 5800]
    priced = price_cart(cart.lines, [], ShopperContext(), utcnow(), str)
    assert priced.subtotal == 8200
    assert isinstance(PercentOff(10), PercentOff)
