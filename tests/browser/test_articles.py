"""Guides and reviews in a real browser: read, add from a live card, see the gift;
accessible (axe) and readable on a phone; everything works without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from content.models import Article
from shop.extensions import db
from tests.browser.conftest import serious_accessibility_violations
from tests.integration.cart_helpers import stored_cart_lines

GUIDE = "/guides/benefits-of-microcurrent-therapy"
REVIEW = "/reviews/contour-microcurrent-device-review"


def guide_id() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(Article.id).where(Article.slug == "benefits-of-microcurrent-therapy")
    )


def bundle_card(page):
    return page.locator('[data-product-card="device-serum-bundle"]')


def test_read_the_guide_add_the_bundle_and_see_the_gift(page):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Guides & reviews").click()
    page.wait_for_url(re.compile(r"/articles$"))
    page.get_by_role("link", name=re.compile("The Benefits of Microcurrent Therapy")).click()
    page.wait_for_url(re.compile(GUIDE + "$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "The Benefits of Microcurrent Therapy" in heading
    assert "min read" in page.text_content(".article-meta")

    card = bundle_card(page)
    card.scroll_into_view_if_needed()
    assert "Qualifies for the FREE device & serum" in card.inner_text()
    card.get_by_label(re.compile("Colour")).select_option(label="Pearl White: $239.00, in stock")
    card.get_by_role("button", name=re.compile("Add to cart")).click()
    # cart.js adds in place: the reader stays on the guide.
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    assert page.url.endswith(GUIDE)
    assert "added to your cart" in page.text_content("[data-cart-status]").lower()

    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert "Device + Serum Bundle - Pearl White" in page.text_content("[data-cart-page]")
    gift = page.locator("tr.cart-line-gift")
    assert gift.count() == 1
    assert "FREE" in gift.inner_text() and "$245.00 value" in gift.inner_text()

    db.session.rollback()
    [line] = stored_cart_lines()
    assert line.source_article_id == guide_id()  # the sale is credited to the guide


def test_the_guide_card_adds_to_the_cart_without_javascript(browser, live_server, demo_store):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(GUIDE)
    bundle_card(page).get_by_role("button", name=re.compile("Add to cart")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert "Added Device + Serum Bundle to your cart." in page.text_content("main")
    assert page.locator("tr.cart-line-gift").count() == 1
    db.session.rollback()
    [line] = stored_cart_lines()
    assert line.source_article_id == guide_id()
    context.close()


def test_review_shows_the_verdict_and_next_article(page):
    page.goto(REVIEW)
    verdict = page.get_by_role("region", name="Our verdict")
    assert "8.6" in verdict.inner_text() and "out of 10" in verdict.inner_text()
    assert verdict.get_by_role("heading", name="What we liked").is_visible()
    page.get_by_role("link", name=re.compile("^Next article")).click()
    page.wait_for_url(re.compile(r"/reviews/firming-peptide-serum-review$"))


def test_articles_listing_filters_without_javascript(browser, live_server, demo_store):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/articles")
    page.get_by_role("navigation", name="Filter articles").get_by_role(
        "link", name="Reviews", exact=True
    ).click()
    page.wait_for_url(re.compile(r"kind=review"))
    titles = page.locator(".article-teaser-title").all_inner_texts()
    assert len(titles) == 2 and all("Review" in title for title in titles)
    context.close()


def test_articles_pages_have_no_serious_accessibility_violations(page):
    for path in ("/articles", GUIDE, REVIEW):
        page.goto(path)
        assert serious_accessibility_violations(page) == [], path


def test_the_guide_reads_on_a_phone(phone_page):
    for path in ("/articles", REVIEW, GUIDE):
        phone_page.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone"
    font_size = phone_page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.article-body p')).fontSize)"
    )
    assert font_size >= 16
    button = bundle_card(phone_page).get_by_role("button", name=re.compile("Add to cart"))
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44


def test_a_shopper_can_leave_a_review_from_the_product_page(page):
    page.goto("/products/conductive-gel")
    form = page.locator("form.review-form")
    form.get_by_label("4 stars").check()
    form.get_by_label("Title").fill("Glides well")
    form.get_by_label("Your review").fill("Makes every session smooth and comfortable.")
    form.get_by_label(re.compile("Your name")).fill("Sam")
    form.get_by_label(re.compile("E-mail")).fill("sam@example.com")
    form.get_by_role("button", name="Send review").click()
    page.wait_for_url(re.compile(r"/products/conductive-gel#reviews$"))
    assert "will appear once our editors" in page.text_content("main")
    assert serious_accessibility_violations(page) == []
