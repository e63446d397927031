"""From a product page to a paid order in demo mode, gift included, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import serious_accessibility_violations


def fill_checkout(page) -> None:
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Full name").fill("Riley Reader")
    page.get_by_label("Street address").fill("12 Garden Lane")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State").select_option(label="Illinois")
    page.get_by_label("ZIP code").fill("62704")


def test_product_page_to_paid_order_with_the_gift(page):
    page.goto("/products/device-serum-bundle")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/cart")
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout$"))
    summary = page.locator(".order-summary").inner_text()
    assert "FREE" in summary and "$245.00 value" in summary
    assert serious_accessibility_violations(page) == []
    fill_checkout(page)
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url(re.compile(r"/orders/[^/]+/pay$"))
    assert "Demo mode" in page.text_content("main")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    assert "Your card was declined" in page.text_content("[data-payment-message]")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r"/orders/[^/]+$"))
    main = page.text_content("main")
    assert "Paid." in main and "Order 1" in main
    assert "FREE" in main and "$245.00 value" in main
    assert page.text_content("[data-cart-count]") == "0"
    assert serious_accessibility_violations(page) == []


def test_checkout_errors_are_shown_by_their_fields(page):
    page.goto("/products/conductive-gel")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/checkout")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Place order and pay").click()
    email = page.get_by_label("Email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "valid e-mail" in page.text_content("#email-error")
    assert page.get_by_label("Email").input_value() == "not an email"
    assert serious_accessibility_violations(page) == []


def add_gel_and_open_checkout(page) -> None:
    page.goto("/products/conductive-gel")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/checkout")


def test_a_canadian_shopper_gets_provinces_and_a_postal_code_check_in_place(page):
    add_gel_and_open_checkout(page)
    expect(page.get_by_role("button", name="Show the address form for this country")).to_be_hidden()
    page.get_by_label("Street address").fill("80 Wellington St")
    page.get_by_label("Country").focus()  # as a shopper's click or Tab does
    page.get_by_label("Country").select_option(label="Canada")
    expect(page.get_by_label("Province")).to_be_visible()
    expect(page.get_by_label("State")).to_have_count(0)
    assert page.get_by_label("Street address").input_value() == "80 Wellington St"
    assert page.get_by_label("Country").evaluate("element => element === document.activeElement")
    expect(page.locator("[data-address-status]")).to_contain_text("Canada")
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Full name").fill("Riley Reader")
    page.get_by_label("City").fill("Ottawa")
    page.get_by_label("Province").select_option(label="Ontario")
    page.get_by_label("Postal code").fill("12345")
    page.get_by_role("button", name="Place order and pay").click()
    assert "Enter a valid postal code" in page.text_content("#postal_code-error")
    assert page.get_by_label("Postal code").input_value() == "12345"
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Postal code").fill("K1A 0B1")
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url(re.compile(r"/orders/[^/]+/pay$"))


def test_without_javascript_the_country_button_brings_its_form(browser, live_server, demo_store):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/products/conductive-gel")
        page.get_by_role("button", name="Add to cart").click()
        page.goto("/checkout")
        page.get_by_label("Street address").fill("80 Wellington St")
        page.get_by_label("Country").select_option(label="Canada")
        page.get_by_role("button", name="Show the address form for this country").click()
        expect(page.get_by_label("Province")).to_be_visible()
        assert page.get_by_label("Street address").input_value() == "80 Wellington St"
    finally:
        context.close()


def shipping_choices(page) -> list[str]:
    return [
        " ".join(text.split()) for text in page.locator("#shipping-options label").all_inner_texts()
    ]


def test_a_us_shopper_sees_the_methods_of_their_state_change_in_place(page):
    add_gel_and_open_checkout(page)  # $24.00, 120 g
    expect(
        page.get_by_role("button", name="Update shipping options for this address")
    ).to_be_hidden()
    page.get_by_label("State").select_option(label="Illinois")
    expect(
        page.get_by_role("radio", name=re.compile(r"^Express, arrives in 1 to 2"))
    ).to_be_visible()
    assert shipping_choices(page) == [
        "Standard, arrives in 3 to 5 business days: $8.00",
        "Express, arrives in 1 to 2 business days: $20.00",
    ]
    page.get_by_role("radio", name=re.compile(r"^Express")).check()
    expect(page.locator("[data-order-total]")).to_have_text("$44.00")
    page.get_by_label("State").focus()
    page.get_by_label("State").select_option(label="Alaska")
    expect(page.get_by_role("radio", name=re.compile(r"^Express"))).to_have_count(0)
    assert shipping_choices(page) == ["Standard, arrives in 5 to 9 business days: $18.00"]
    expect(page.locator("[data-order-total]")).to_have_text("$42.00")
    expect(page.locator("[data-address-status]")).to_contain_text("1 shipping method")
    assert page.get_by_label("State").evaluate("element => element === document.activeElement")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Email").fill("reader@example.com")
    page.get_by_label("Full name").fill("Riley Reader")
    page.get_by_label("Street address").fill("1 Harbor Way")
    page.get_by_label("City").fill("Anchorage")
    page.get_by_label("ZIP code").fill("99501")
    page.get_by_role("button", name="Place order and pay").click()
    page.wait_for_url(re.compile(r"/orders/[^/]+/pay$"))
    assert "$42.00" in page.text_content("main")


def test_a_canadian_shopper_gets_the_canadian_methods(page):
    add_gel_and_open_checkout(page)
    page.get_by_label("Country").select_option(label="Canada")
    expect(page.get_by_label("Province")).to_be_visible()
    expect(
        page.get_by_role("radio", name=re.compile(r"^Standard, arrives in 4 to 8"))
    ).to_be_visible()
    assert shipping_choices(page) == [
        "Standard, arrives in 4 to 8 business days: $15.00",
        "Express, arrives in 2 to 3 business days: $35.00",
    ]
    expect(page.locator("[data-address-status]")).to_contain_text("Canada")


def test_without_javascript_the_cart_estimates_and_checkout_updates_shipping(
    browser, live_server, demo_store
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/products/conductive-gel")
        page.get_by_role("button", name="Add to cart").click()
        page.goto("/cart")
        assert "Calculated at checkout" in page.text_content("main")
        page.get_by_label("Estimate shipping to").select_option(label="Canada")
        page.get_by_role("button", name="Estimate").click()
        main = page.text_content("main")
        assert "Shipping to Canada" in main and "$15.00" in main
        page.goto("/checkout")
        expect(page.get_by_label("Province")).to_be_visible()  # the cart's country
        page.get_by_label("Country").select_option(label="United States")
        page.get_by_role("button", name="Show the address form for this country").click()
        page.get_by_label("State").select_option(label="Hawaii")
        page.get_by_role("button", name="Update shipping options for this address").click()
        assert shipping_choices(page) == ["Standard, arrives in 5 to 9 business days: $18.00"]
        assert page.get_by_label("State").input_value() == "HI"
    finally:
        context.close()
