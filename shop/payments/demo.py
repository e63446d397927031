"""Offline demo payments: a test-card form, no network, clearly labelled as demo.

Any card number that passes the Luhn check is approved, except the declining test
number, so a shopper (or a test) can see both outcomes.
"""

from __future__ import annotations

import secrets

from shop.payments.provider import PaymentRequest, PaymentSession, PaymentState

APPROVING_TEST_CARD = "4242424242424242"
DECLINING_TEST_CARD = "4000000000000002"


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


class CardDeclined(Exception):
    pass


class DemoProvider:
    name = "demo"

    def create_payment(self, request: PaymentRequest) -> PaymentSession:
        return PaymentSession(
            payment_id=f"demo_{request.order_reference[:16]}_{secrets.token_hex(4)}",
            client_secret=None,
            status="requires_payment_method",
        )

    def charge(self, card_number: str) -> None:
        """Approve or decline a test card; raises CardDeclined with the reason."""
        number = "".join(ch for ch in card_number if ch.isdigit())
        if not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise CardDeclined("That card number is not valid. Please check it.")
        if number == DECLINING_TEST_CARD:
            raise CardDeclined("Your card was declined. Please try another card.")

    def retrieve_payment(self, payment_id: str) -> PaymentState:
        # The demo provider keeps no state of its own: the order is the record.
        return PaymentState(payment_id=payment_id, status="unknown", amount=None, currency="")

    def refund(self, payment_id: str, amount: int, idempotency_key: str) -> str:
        return f"demo_re_{idempotency_key}"
