"""Stripe payments: PaymentIntents paid with the Payment Element, webhooks verified
with the endpoint secret. The only module in the project that imports `stripe`."""

from __future__ import annotations

import json
import math
import time

import stripe

from shop.payments.provider import (
    MalformedWebhookError,
    PaymentProviderError,
    PaymentRequest,
    PaymentSession,
    PaymentState,
    WebhookEvent,
    WebhookVerificationError,
)
from shop.request_body import MAX_JSON_DEPTH, nests_deeper_than

# Seconds: a slow provider must not hold a checkout request for long.
STRIPE_TIMEOUT_SECONDS = 10

# Seconds a signature's timestamp may differ from our clock. The SDK refuses older
# ones (replays); it does not look ahead, so later ones are refused here: a signature
# dated in the future could be replayed for that much longer.
WEBHOOK_TOLERANCE_SECONDS = 300

# The longest ids and event type the payment_event columns hold; an order reference
# (a public token) is shorter still.
MAX_ID_LENGTH = 120
MAX_EVENT_TYPE_LENGTH = 80


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        api_base: str = "",
        timeout: float = STRIPE_TIMEOUT_SECONDS,
    ) -> None:
        base = {"api": api_base} if api_base else {}
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses=base,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        self._webhook_secret = webhook_secret

    def create_payment(self, request: PaymentRequest) -> PaymentSession:
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": request.amount,
                    "currency": request.currency.lower(),
                    "payment_method_types": ["card"],
                    "metadata": {
                        "order_reference": request.order_reference,
                        "order_number": str(request.order_number),
                    },
                },
                # The same order and amount always maps to the same PaymentIntent,
                # so a retried checkout cannot create a second payment.
                options={"idempotency_key": f"pi-{request.order_reference}-{request.amount}"},
            )
        except stripe.StripeError as error:
            raise PaymentProviderError(_describe(error)) from error
        return PaymentSession(intent.id, intent.client_secret, intent.status)

    def retrieve_payment(self, payment_id: str) -> PaymentState:
        try:
            intent = self._client.v1.payment_intents.retrieve(payment_id)
        except stripe.StripeError as error:
            raise PaymentProviderError(_describe(error)) from error
        return _state_of(intent)

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> str:
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": payment_id, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise PaymentProviderError(_describe(error)) from error
        return refund.id

    def parse_webhook(self, payload: bytes, signature_header: str) -> WebhookEvent:
        """Verify the signature and its age, then read the event.

        Raises WebhookVerificationError for a forged, stale or future-dated signature,
        MalformedWebhookError for a signed body that is not an event we can read.
        """
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookVerificationError(str(error)) from None
        _refuse_future_timestamps(signature_header, time.time())
        return _read_event(payload)


def _refuse_future_timestamps(signature_header: str, now: float) -> None:
    """Refuse a verified header dated more than the tolerance ahead of `now`.

    Every `t=` is checked, not only the one the SDK signed with, so the check holds
    whichever of them the SDK reads.
    """
    for item in signature_header.split(","):
        key, _, value = item.partition("=")
        if key.strip() != "t":
            continue
        try:
            signed_at = int(value)
        except ValueError:
            raise WebhookVerificationError("the timestamp is not a number") from None
        if signed_at > now + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookVerificationError(
                f"the timestamp is more than {WEBHOOK_TOLERANCE_SECONDS // 60} minutes "
                "in the future"
            )


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are not JSON, and PostgreSQL's JSON columns refuse them.
    raise ValueError(f"{name} is not a JSON value")


def _finite_number(text: str) -> float:
    # 1e400 is valid JSON but reads as infinity, which would then fail to store.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def _read_event(payload: bytes) -> WebhookEvent:
    """The event in a verified body; MalformedWebhookError when it is not one.

    Stripe events are objects with an id, a type and the object they are about in
    `data.object`; anything else is refused whole, so nothing half-read is recorded.
    """
    try:
        body = json.loads(payload, parse_constant=_refuse_constant, parse_float=_finite_number)
    except RecursionError:
        raise MalformedWebhookError("the body is not valid JSON (nested too deeply)") from None
    except ValueError as error:
        raise MalformedWebhookError(f"the body is not valid JSON ({error})") from None
    # Parsed is not yet safe: storing the payload walks it again, with less stack left.
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        raise MalformedWebhookError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    if not isinstance(body, dict):
        raise MalformedWebhookError(f"the body must be an object, not {_kind(body)}")
    event_id = _short_text(body.get("id"), MAX_ID_LENGTH)
    if event_id is None:
        raise MalformedWebhookError(
            f"the event has no id (a string of 1 to {MAX_ID_LENGTH} characters)"
        )
    event_type = _short_text(body.get("type"), MAX_EVENT_TYPE_LENGTH)
    if event_type is None:
        raise MalformedWebhookError(
            f"the event has no type (a string of 1 to {MAX_EVENT_TYPE_LENGTH} characters)"
        )
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedWebhookError("the event's data must be an object holding an object")
    subject = data["object"]
    is_intent = subject.get("object") == "payment_intent"
    payment = _payment_of(subject) if is_intent else None
    payment_id = payment.payment_id if payment else subject.get("payment_intent")
    metadata = subject.get("metadata")
    reference = metadata.get("order_reference") if isinstance(metadata, dict) else None
    return WebhookEvent(
        event_id=event_id,
        event_type=event_type,
        payment_id=_short_text(payment_id, MAX_ID_LENGTH),
        order_reference=_short_text(reference, MAX_ID_LENGTH),
        failure_message=payment.failure_message if payment else "",
        payload=body,
        payment=payment,
    )


def _payment_of(intent: dict) -> PaymentState:
    """A PaymentIntent, as a plain dict from the API or from an event, read the same
    way for both. Fields of the wrong type read as unknown, never as a value."""
    amount = intent.get("amount")
    received = intent.get("amount_received")
    currency = intent.get("currency")
    status = intent.get("status")
    last_error = intent.get("last_payment_error")
    message = last_error.get("message") if isinstance(last_error, dict) else None
    return PaymentState(
        payment_id=_short_text(intent.get("id"), MAX_ID_LENGTH) or "",
        status=status if isinstance(status, str) else "",
        amount=amount if _is_whole_number(amount) else None,
        currency=currency.upper() if isinstance(currency, str) else "",
        failure_message=message if isinstance(message, str) else "",
        amount_received=received if _is_whole_number(received) else None,
    )


def _is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short_text(value: object, limit: int) -> str | None:
    """A non-empty printable string up to `limit` characters, else None."""
    if isinstance(value, str) and 0 < len(value) <= limit and value.isprintable():
        return value
    return None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _state_of(intent) -> PaymentState:
    return _payment_of(intent.to_dict())


def _describe(error: stripe.StripeError) -> str:
    return getattr(error, "user_message", None) or str(error) or error.__class__.__name__
