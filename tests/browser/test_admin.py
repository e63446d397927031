"""The back office in a real browser: a merchandiser creates, simulates and publishes a
promotion that a shopper's cart then gets; a fulfilment user ships and refunds an
order; the article editor previews as the editor types; axe finds no serious or
critical problem on the pages visited."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from shop.admin.models import Role
from shop.extensions import db
from shop.orders.models import Order
from shop.shipping.models import ShippingZone
from tests.browser.conftest import serious_accessibility_violations
from tests.integration.admin_helpers import PASSWORD, isolated_client, make_staff
from tests.integration.cart_helpers import CartClient, pay_demo, place_order


def sign_in(page, email: str, check_accessibility: bool = True) -> None:
    page.goto("/admin/login")
    if check_accessibility:  # axe runs in the page: it needs JavaScript
        assert serious_accessibility_violations(page) == []
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/(?!login)"))


def test_merchandiser_publishes_a_promotion_a_shopper_then_gets(page, browser, live_server):
    make_staff(Role.MERCHANDISER)
    sign_in(page, "merchandiser@example.com")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert serious_accessibility_violations(page) == []

    page.get_by_role("navigation", name="Back office").get_by_role(
        "link", name="Promotions"
    ).click()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="New promotion").click()
    page.get_by_label("Name (for staff)").fill("Serum week")
    page.get_by_label("Label (what shoppers read)").fill("15% off the serum")
    page.get_by_label("Percentage off").check()
    page.get_by_label("Percent off").fill("15")
    page.get_by_role("group", name=re.compile("Only on these products")).get_by_label(
        re.compile("Firming Peptide Serum")
    ).check()
    # Try it before saving: the unsaved settings are simulated.
    page.get_by_role("button", name="Simulate these settings").click()
    assert "Applied: saves $8.70" in page.text_content("#simulation")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Save", exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/promotions/\d+/simulate$"))
    assert "Saved “Serum week” as a draft" in page.text_content("main")
    assert "Applied: saves $8.70" in page.text_content("#simulation")

    # The draft does not reach shoppers yet.
    shopper_context = browser.new_context(base_url=live_server.url)
    shopper = shopper_context.new_page()
    shopper.goto("/products/peptide-serum")
    shopper.get_by_role("button", name="Add to cart").click()
    expect(shopper.locator("[data-cart-count]")).to_have_text("1")
    shopper.goto("/cart")
    assert "15% off the serum" not in shopper.text_content("main")

    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/admin/promotions/\d+$"))
    assert "Published “Serum week”" in page.text_content("main")
    assert "running" in page.text_content(".panel")
    assert serious_accessibility_violations(page) == []

    shopper.reload()
    assert "15% off the serum" in shopper.text_content("main")
    assert shopper.text_content("[data-cart-total]") == "$49.30"  # $58.00 less 15%
    shopper_context.close()


def demo_paid_order(app) -> Order:
    shopper = CartClient(isolated_client(app))
    shopper.add("FPS-50", 1)
    assert pay_demo(shopper, place_order(shopper).headers["Location"]).status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def test_fulfilment_ships_and_refunds_a_demo_paid_order(page, app):
    order = demo_paid_order(app)
    make_staff(Role.FULFILMENT)
    sign_in(page, "fulfilment@example.com")
    assert page.get_by_role("heading", name="Orders").is_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name=f"#{order.number}").click()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Mark fulfilled (packed)").click()
    page.wait_for_url(re.compile(rf"/admin/orders/{order.number}$"))
    assert f"Order {order.number} is packed." in page.text_content("main")

    page.get_by_role("button", name="Mark shipped and e-mail the shopper").click()
    assert "Enter the carrier." in page.text_content("main")  # nothing typed: refused
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Mark shipped and e-mail the shopper").click()
    page.wait_for_url(re.compile(rf"/admin/orders/{order.number}$"))
    assert "is shipped; the shopper is e-mailed" in page.text_content("main")
    assert "UPS 1Z999AA10123456784" in page.text_content(".timeline")

    page.get_by_label("Amount to refund").fill("20.00")
    page.get_by_label("Reason").first.fill("Box arrived dented")
    page.get_by_role("button", name="Refund").click()
    page.wait_for_url(re.compile(rf"/admin/orders/{order.number}$"))
    assert "Refunded $20.00" in page.text_content("main")
    assert "partially refunded" in page.text_content("h1")
    assert serious_accessibility_violations(page) == []
    db.session.rollback()
    saved = db.session.get(Order, order.id)
    assert (saved.status, saved.refunded_total, saved.tracking_number) == (
        "partially_refunded",
        2000,
        "1Z999AA10123456784",
    )


def test_article_editor_previews_as_the_editor_types(page):
    make_staff(Role.EDITOR)
    sign_in(page, "editor@example.com")
    page.get_by_role("link", name="New article").click()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Body (Markdown)").fill(
        'Some **bold** advice.\n\n{{ product "peptide-serum" }}\n'
    )
    preview = page.locator("[data-preview]")
    preview.locator("strong", has_text="bold").wait_for()
    assert "Product card: Firming Peptide Serum" in preview.inner_text()
    page.get_by_label("Title", exact=True).fill("Bold advice")
    page.get_by_label("Slug (the article's web address)").fill("bold-advice")
    page.get_by_label("Author (name, role)").fill("Ana Ruiz, editor")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url(re.compile(r"/admin/articles/\d+$"))
    assert "as a draft" in page.text_content("main")
    page.get_by_role("button", name="Publish now").click()
    assert "Published “Bold advice”" in page.text_content("main")
    assert serious_accessibility_violations(page) == []


def test_the_back_office_works_without_javascript(browser, live_server, demo_store):
    make_staff(Role.OWNER)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "owner@example.com", check_accessibility=False)
    page.goto("/admin/articles/new")
    page.get_by_label("Body (Markdown)").fill("A *quiet* start.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-preview] em", has_text="quiet")).to_have_count(1)
    page.goto("/admin/dashboard")
    expect(page.locator("svg#revenue-chart > title")).to_have_count(1)
    context.close()


def test_every_area_passes_axe_for_the_owner(page, app):
    from shop.catalog.models import Product
    from shop.promotions.models import Promotion

    demo_paid_order(app)
    make_staff(Role.OWNER)
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    gift = db.session.scalar(select(Promotion).order_by(Promotion.id))
    order = db.session.scalars(select(Order)).first()
    zone = db.session.scalar(select(ShippingZone).where(ShippingZone.name == "Canada"))
    sign_in(page, "owner@example.com")
    for path in (
        "/admin/dashboard",
        "/admin/products",
        "/admin/products/new",
        f"/admin/products/{serum.id}",
        f"/admin/variants/{serum.variants[0].id}",
        "/admin/promotions",
        f"/admin/promotions/{gift.id}",
        f"/admin/promotions/{gift.id}/versions",
        "/admin/shipping",
        "/admin/shipping/zones/new",
        f"/admin/shipping/zones/{zone.id}",
        f"/admin/shipping/zones/{zone.id}/methods/new",
        f"/admin/shipping/methods/{zone.methods[0].id}",
        "/admin/shipping/tester",
        "/admin/articles",
        "/admin/reviews",
        "/admin/orders",
        f"/admin/orders/{order.number}",
        f"/admin/orders/{order.number}/packing-slip",
        "/admin/staff",
        "/admin/staff/new",
        "/admin/audit",
        "/admin/account",
    ):
        page.goto(path)
        assert serious_accessibility_violations(page) == [], path
    page.goto("/admin/shipping/tester")
    page.get_by_label("Country").select_option(label="Canada (CA)")
    page.get_by_role("button", name="Find the shipping").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.goto(f"/admin/shipping/zones/{zone.id}/methods/new")
    page.get_by_label("By the order's weight, in bands").check()
    page.get_by_label("Band 1 starts at").fill("two kilos")
    page.get_by_role("button", name="Save method").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    # A form shown again with errors is accessible too.
    page.goto("/admin/products/new")
    page.get_by_role("button", name="Create product").click()
    assert page.locator(".error-summary").is_visible()
    assert serious_accessibility_violations(page) == []
