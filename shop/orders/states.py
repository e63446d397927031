"""Order states and the transitions allowed between them, in one place.

pending -> paid -> fulfilled -> shipped is the happy path. An unpaid order can be
cancelled (by the shopper abandoning it, by expiry, or by staff); a paid order can
be cancelled by staff (its stock returns, its money is refunded separately).
Refunds move a paid, fulfilled or shipped order to partially_refunded or refunded.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset(
        {
            OrderStatus.FULFILLED,
            OrderStatus.CANCELLED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.FULFILLED: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
    ),
    OrderStatus.SHIPPED: frozenset({OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}),
    OrderStatus.PARTIALLY_REFUNDED: frozenset(
        {
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.REFUNDED,
            OrderStatus.FULFILLED,
            OrderStatus.SHIPPED,
        }
    ),
    OrderStatus.CANCELLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.REFUNDED: frozenset(),
}

# States in which the money has been taken.
PAID_STATES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.FULFILLED,
        OrderStatus.SHIPPED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)


class TransitionError(ValueError):
    """An order cannot move from its state to the one asked for."""


def check_transition(current: str, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        raise TransitionError(f"an order that is {current} cannot become {target}")
