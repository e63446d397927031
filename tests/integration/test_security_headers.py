"""Security headers on every kind of response, and cookie flags in production."""

from __future__ import annotations

import pytest

from shop import create_app
from shop.config import ProductionConfig
from tests.integration.cart_helpers import variant_id


@pytest.mark.parametrize(
    "path", ["/", "/products/peptide-serum", "/cart.js", "/cart", "/no-such-page", "/products.json"]
)
def test_every_response_carries_the_security_headers(client, demo_store, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # plain http in development


def test_no_inline_script_in_the_pages(client, demo_store):
    import re

    for path in ("/", "/products/microcurrent-device", "/cart"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or "application/ld+json" in tag, (path, tag)


def test_production_sets_hsts_and_secure_cookies(app, demo_store):
    production = create_app(
        ProductionConfig,
        {"SECRET_KEY": "p" * 48, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
    )
    client = production.test_client()
    page = client.get("/products", base_url="https://shop.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/cart/add.js",
        json={"id": variant_id("CHG-100"), "quantity": 1},
        headers={"X-CSRFToken": token, "Referer": "https://shop.example/products"},
        base_url="https://shop.example",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    cookies = {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("cart", "session"):
        if name in cookies:
            flags = cookies[name].lower()
            assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
    assert "cart" in cookies
