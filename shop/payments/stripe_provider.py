"""Stripe payments: PaymentIntents paid with the Payment Element, webhooks verified
with the endpoint secret. The only module in the project that imports `stripe`."""

from __future__ import annotations

import stripe

from shop.payments.provider import (
    PaymentProviderError,
    PaymentRequest,
    PaymentSession,
    PaymentState,
    WebhookEvent,
)

# Seconds: a slow provider must not hold a checkout request for long.
STRIPE_TIMEOUT_SECONDS = 10


class WebhookVerificationError(ValueError):
    """The webhook's signature is missing, forged or too old."""


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

    def confirm_with_payment_method(self, payment_id: str, payment_method: str) -> PaymentState:
        """Server-side confirmation, used by tests standing in for Stripe.js."""
        try:
            self._client.v1.payment_intents.update(
                payment_id, params={"payment_method": payment_method}
            )
            intent = self._client.v1.payment_intents.confirm(payment_id)
        except stripe.CardError as error:
            return PaymentState(payment_id, "requires_payment_method", 0, _describe(error))
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

    def cancel_payment(self, payment_id: str) -> PaymentState:
        try:
            intent = self._client.v1.payment_intents.cancel(payment_id)
        except stripe.StripeError as error:
            raise PaymentProviderError(_describe(error)) from error
        return _state_of(intent)

    def parse_webhook(self, payload: bytes, signature_header: str) -> WebhookEvent:
        """Verify the signature (and its age) and read the event; raises on forgery."""
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, self._webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookVerificationError(str(error)) from None
        body = event.to_dict()
        data = body.get("data", {}).get("object") or {}
        is_intent = data.get("object") == "payment_intent"
        payment_id = data.get("id") if is_intent else data.get("payment_intent")
        metadata = data.get("metadata") or {}
        last_error = data.get("last_payment_error") or {}
        return WebhookEvent(
            event_id=body["id"],
            event_type=body["type"],
            payment_id=payment_id,
            order_reference=metadata.get("order_reference"),
            failure_message=(last_error.get("message") or "") if is_intent else "",
            payload=body,
        )


def _state_of(intent) -> PaymentState:
    last_error = getattr(intent, "last_payment_error", None)
    message = ""
    if last_error:
        message = getattr(last_error, "message", "") or ""
    return PaymentState(intent.id, intent.status, intent.amount, message)


def _describe(error: stripe.StripeError) -> str:
    return getattr(error, "user_message", None) or str(error) or error.__class__.__name__
