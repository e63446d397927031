"""The provider-neutral payment request for an order (orders know the provider's
interface; the payment providers know nothing of orders)."""

from __future__ import annotations

from shop.orders.models import Order
from shop.payments.provider import PaymentRequest


def payment_request_for(order: Order) -> PaymentRequest:
    return PaymentRequest(
        order_reference=order.public_token,
        order_number=order.number or 0,
        amount=order.total,
        currency=order.currency,
        email=order.email,
    )
