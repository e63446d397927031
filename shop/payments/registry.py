"""Which payment provider this store uses, from configuration."""

from __future__ import annotations

from flask import Flask, current_app

from shop.payments.demo import DemoProvider
from shop.payments.provider import PaymentProvider


def provider_for(app: Flask) -> PaymentProvider:
    """Stripe when a secret key is configured, the offline demo otherwise.

    Built once per app and kept in `app.extensions`, so the Stripe client (and its
    connection pool) is reused across requests.
    """
    provider = app.extensions.get("payment_provider")
    if provider is None:
        if app.config.get("STRIPE_SECRET_KEY"):
            from shop.payments.stripe_provider import StripeProvider

            provider = StripeProvider(
                app.config["STRIPE_SECRET_KEY"],
                app.config.get("STRIPE_WEBHOOK_SECRET", ""),
                app.config.get("STRIPE_API_BASE", ""),
                app.config.get("STRIPE_TIMEOUT_SECONDS", 10),
            )
        else:
            provider = DemoProvider()
        app.extensions["payment_provider"] = provider
    return provider


def get_provider() -> PaymentProvider:
    return provider_for(current_app)
