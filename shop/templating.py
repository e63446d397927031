"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from flask import Flask, current_app

from shop.markdown import render_markdown
from shop.money import format_money


def init_app(app: Flask) -> None:
    currency = app.config["STORE_CURRENCY"]
    locale = app.config["STORE_LOCALE"]
    static_prefix = (app.static_url_path or "/static").rstrip("/") + "/"

    def money(amount_minor: int | None) -> str:
        return "" if amount_minor is None else format_money(amount_minor, currency, locale)

    def static_url(path: str) -> str:
        """A static file's URL without a url_for() call per image on busy pages."""
        return static_prefix + path.lstrip("/")

    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def store_context() -> dict:
        return {
            "store_name": current_app.config["STORE_NAME"],
            "store_tagline": "Independent skincare reviews by experts who test everything.",
        }


def store_money_formatter():
    """Minor units to display text in the store's currency and locale."""
    currency = current_app.config["STORE_CURRENCY"]
    locale = current_app.config["STORE_LOCALE"]
    return lambda amount: format_money(amount, currency, locale)
