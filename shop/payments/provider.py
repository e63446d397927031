"""The payment-provider interface the checkout and order services talk to.

Two implementations: `StripeProvider` (real payments, the only module that imports
`stripe`) and `DemoProvider` (offline test cards, so a fresh `make run` can finish an
order). The choice is made from configuration in `get_provider`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the request; safe to retry."""


@dataclass(frozen=True)
class PaymentRequest:
    order_reference: str  # the order's public token: metadata and idempotency keys
    order_number: int
    amount: int  # minor units
    currency: str
    email: str


@dataclass(frozen=True)
class PaymentSession:
    """What the payment page needs: the provider's payment id and, for Stripe, the
    client secret the Payment Element confirms with."""

    payment_id: str
    client_secret: str | None
    status: str


@dataclass(frozen=True)
class PaymentState:
    """The provider's view of a payment, normalised: succeeded, processing,
    requires_payment_method (failed, may retry), requires_action, canceled.

    Amounts are in minor units of `currency` (upper case): `amount` is what was asked
    for, `amount_received` what came in. Each is None (the currency empty) when the
    provider's answer did not say; `orders.settlement_problem` decides which counts.
    """

    payment_id: str
    status: str
    amount: int | None
    currency: str
    failure_message: str = ""
    amount_received: int | None = None


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    event_type: str
    payment_id: str | None
    order_reference: str | None
    failure_message: str
    payload: dict
    # The payment the event reports, when it is about one (amount and currency).
    payment: PaymentState | None = None


class WebhookError(ValueError):
    """A webhook the store refuses (400) and records nothing of; says why."""


class WebhookVerificationError(WebhookError):
    """The webhook's signature is missing, forged, too old or dated in the future."""


class MalformedWebhookError(WebhookError):
    """The webhook is correctly signed but is not an event the store can read."""


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, request: PaymentRequest) -> PaymentSession: ...

    def retrieve_payment(self, payment_id: str) -> PaymentState: ...

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> str: ...
