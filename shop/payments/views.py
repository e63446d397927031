"""Stripe webhooks: verified, recorded once, applied idempotently."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from shop.errors import json_error
from shop.extensions import csrf
from shop.orders import links
from shop.payments import webhooks
from shop.payments.provider import MalformedWebhookError, WebhookVerificationError
from shop.payments.registry import get_provider

bp = Blueprint("payments", __name__)

MAX_WEBHOOK_BYTES = 512 * 1024


@bp.post("/webhooks/stripe")
@csrf.exempt  # authenticated by Stripe's signature instead
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
    outcome = webhooks.handle_event(event, links.external_order_url)
    return jsonify({"received": True, "outcome": outcome})
