"""The free gift in a real browser: it arrives, leaves with a reason, can be declined,
and stacks with a code; with JavaScript in place, without it through forms."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import serious_accessibility_violations


def gift_row(page):
    return page.locator("tr.cart-line-gift")


def test_gift_appears_with_its_value_when_the_cart_qualifies(page):
    page.goto("/products/microcurrent-device")
    notes = " ".join(page.locator("[data-cart-progress]").all_inner_texts())
    assert "Adding this unlocks: FREE device & serum ($245.00 value)." in notes
    page.get_by_role("button", name="Add to cart").click()
    # JavaScript adds in place: the count changes without leaving the page.
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    assert page.url.endswith("/products/microcurrent-device")
    assert "added to your cart" in page.text_content("[data-cart-status]")
    page.get_by_role("link", name=re.compile("Cart")).click()
    row = gift_row(page)
    assert row.count() == 1
    assert "FREE" in row.inner_text() and "$245.00 value" in row.inner_text()


def test_lowering_the_quantity_removes_the_gift_with_a_notice(page):
    page.goto("/products/peptide-serum")
    page.get_by_label("Quantity").fill("3")  # 3 x $58 = $174
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("3")
    page.goto("/cart")
    assert gift_row(page).count() == 1
    page.get_by_label(re.compile("Quantity of Firming Peptide Serum")).fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("tr.cart-line-gift")).to_have_count(0)
    status = page.text_content("[data-cart-status]")
    assert "was removed" in status and "below $150.00" in status
    assert "Spend $34.00 more" in page.text_content("[data-cart-page]")


def test_declining_the_gift_sticks(page):
    page.goto("/products/device-serum-bundle")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/cart")
    page.get_by_role("button", name="No thanks, remove the gift").click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert gift_row(page).count() == 0
    assert page.get_by_role("button", name="Add it back").is_visible()
    page.reload()
    assert gift_row(page).count() == 0


def test_applying_a_code_keeps_the_gift_free(page):
    page.goto("/products/microcurrent-device")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/cart")
    page.get_by_label("Discount code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert page.text_content("[data-cart-total]") == "$179.10"
    assert "FREE" in gift_row(page).inner_text()


def test_cart_works_without_javascript(browser, live_server, demo_store):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/products/microcurrent-device")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert "Added Contour Microcurrent Toning Device" in page.text_content("main")
    assert gift_row(page).count() == 1
    page.get_by_role("button", name=re.compile("^Remove Contour")).click()
    page.wait_for_url(re.compile(r"/cart$"))
    assert "Your cart is empty." in page.text_content("main")
    context.close()


def test_cart_page_has_no_serious_accessibility_violations(page):
    page.goto("/products/microcurrent-device")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/cart")
    assert serious_accessibility_violations(page) == []
    page.goto("/cart")
    assert serious_accessibility_violations(page) == []


def test_empty_cart_page_reads_on_a_phone(phone_page):
    phone_page.goto("/cart")
    assert "Your cart is empty." in phone_page.text_content("main")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
