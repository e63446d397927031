"""Test-side Stripe helpers: payment methods for test cards, and signed events for
the cases localstripe cannot produce (duplicates, out-of-order, stale, refunds,
payments that do not match their order, malformed events)."""

from __future__ import annotations

import json
import time
import uuid

import stripe


def client_for(api_base: str, secret_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(secret_key, base_addresses={"api": api_base})


def card_payment_method(client: stripe.StripeClient, number: str) -> str:
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return method.id


def confirm_like_stripe_js(
    client: stripe.StripeClient, payment_id: str, payment_method: str
) -> tuple[str, str]:
    """What Stripe.js does when the shopper pays on our payment page: attach the card
    and confirm (the store itself never confirms a payment). Returns the payment's
    status and, after a decline, the reason given."""
    client.v1.payment_intents.update(payment_id, params={"payment_method": payment_method})
    try:
        intent = client.v1.payment_intents.confirm(payment_id)
    except stripe.CardError as error:
        return "requires_payment_method", error.user_message or str(error)
    return intent.status, ""


def signed_event(
    secret: str,
    event_type: str,
    payment_id: str,
    order_reference: str | None = None,
    *,
    amount: int | None = None,
    currency: str = "usd",
    amount_received: int | None = None,
    event_id: str | None = None,
    failure: str = "",
    timestamp: int | None = None,
) -> tuple[bytes, str]:
    """A webhook body for a PaymentIntent event and its Stripe-Signature header.

    Like Stripe's own, the PaymentIntent carries its `amount` and `currency`;
    `amount_received` is added only when given (localstripe leaves it out too).
    """
    intent = {
        "id": payment_id,
        "object": "payment_intent",
        "status": "succeeded",
        "amount": amount,
        "currency": currency,
        "metadata": {"order_reference": order_reference} if order_reference else {},
        "last_payment_error": {"message": failure} if failure else None,
    }
    if amount_received is not None:
        intent["amount_received"] = amount_received
    body = {
        "id": event_id or f"evt_test_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": intent},
    }
    return signed_body(secret, json.dumps(body), timestamp=timestamp)


def signed_body(secret: str, body: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
    """Any body, correctly signed: for events whose shape is the thing under test."""
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=timestamp or int(time.time())
    )
    return body.encode(), header
