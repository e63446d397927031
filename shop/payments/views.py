"""Stripe webhooks: verified here, then handed to whoever applies them.

Payments know nothing of orders: the orders feature applies verified events, and the
app factory wires it in with `apply_events_with`, so the dependency points one way.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app, jsonify, request

from shop.errors import json_error
from shop.extensions import csrf
from shop.payments.provider import (
    MalformedWebhookError,
    WebhookEvent,
    WebhookVerificationError,
)
from shop.payments.registry import get_provider
from shop.unit_of_work import reads_then_writes

bp = Blueprint("payments", __name__)

MAX_WEBHOOK_BYTES = 512 * 1024
EVENT_HANDLER = "payment_event_handler"


def apply_events_with(app: Flask, handler: Callable[[WebhookEvent], str]) -> None:
    """Name the function that applies a verified event and says what it did."""
    app.extensions[EVENT_HANDLER] = handler


@bp.post("/webhooks/stripe")
@csrf.exempt  # authenticated by Stripe's signature instead
# Reads the order locked, then settles it. On SQLite this also opens the transaction
# before the event's savepoint: a savepoint that began it would commit on release,
# and a failure after it would leave the event recorded but never applied.
@reads_then_writes
def stripe_webhook():
    provider = get_provider()
    if provider.name != "stripe":
        return json_error(404, "Not Found", "Stripe is not configured for this store.")
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return json_error(413, "Payload Too Large", "Webhook body too large.")
    payload = request.get_data(cache=False)
    try:
        event = provider.parse_webhook(payload, request.headers.get("Stripe-Signature", ""))
    except WebhookVerificationError as error:
        return json_error(400, "Bad Request", f"Invalid webhook signature: {error}")
    except MalformedWebhookError as error:
        return json_error(400, "Bad Request", f"Malformed webhook event: {error}")
    outcome = current_app.extensions[EVENT_HANDLER](event)
    return jsonify({"received": True, "outcome": outcome})
