"""A shopper's first steps in a real browser, plus axe on the pages they see."""

from __future__ import annotations

import re

from tests.browser.conftest import serious_accessibility_violations


def test_home_to_product_page(page):
    page.goto("/")
    assert "Independent skincare reviews" in page.text_content("header")
    page.get_by_role("link", name="Contour Microcurrent Toning Device").first.click()
    page.wait_for_url(re.compile(r"/products/microcurrent-device"))
    assert page.get_by_role("heading", level=1).inner_text() == "Contour Microcurrent Toning Device"
    assert page.get_by_role("button", name="Add to cart").is_enabled()


def test_variant_switch_updates_price_sku_and_address(page):
    page.goto("/products/peptide-serum")
    assert page.text_content("[data-price-amount]") == "$58.00"
    assert page.locator("[data-compare-at-display]").is_hidden()
    page.get_by_text("50 ml", exact=True).click()
    assert page.text_content("[data-price-amount]") == "$86.00"
    assert page.text_content("[data-sku-display]") == "FPS-50"
    assert page.locator("[data-compare-at-display]").is_visible()
    assert re.search(r"[?&]variant=\d+", page.url)
    assert page.locator('input[name="id"]:checked').get_attribute("data-sku") == "FPS-50"


def test_variant_picker_works_without_javascript(browser, live_server, demo_store):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/products/microcurrent-device")
    labels = page.locator(".variant-option label").all_inner_texts()
    assert any("Pearl White" in text and "$199.00" in text for text in labels)
    page.get_by_text("Pearl White", exact=True).click()
    assert page.locator('input[name="id"]:checked').get_attribute("data-sku") == "CMD-PEARL"
    context.close()


def test_home_has_no_serious_accessibility_violations(page):
    page.goto("/")
    assert serious_accessibility_violations(page) == []


def test_product_page_has_no_serious_accessibility_violations(page):
    page.goto("/products/microcurrent-device")
    assert serious_accessibility_violations(page) == []


def test_product_page_reads_on_a_phone(phone_page):
    phone_page.goto("/products/device-serum-bundle")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    assert phone_page.get_by_role("button", name="Add to cart").is_visible()
