from __future__ import annotations

from itertools import pairwise

import pytest

from shop.orders.states import ALLOWED_TRANSITIONS, OrderStatus, TransitionError, check_transition


def test_the_happy_path_is_allowed():
    path = [
        OrderStatus.PENDING,
        OrderStatus.PAID,
        OrderStatus.FULFILLED,
        OrderStatus.SHIPPED,
        OrderStatus.REFUNDED,
    ]
    for current, target in pairwise(path):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (OrderStatus.PENDING, OrderStatus.SHIPPED),
        (OrderStatus.PENDING, OrderStatus.REFUNDED),
        (OrderStatus.CANCELLED, OrderStatus.PAID),
        (OrderStatus.REFUNDED, OrderStatus.PAID),
        (OrderStatus.SHIPPED, OrderStatus.PENDING),
        (OrderStatus.PAID, OrderStatus.PENDING),
    ],
)
def test_forbidden_moves_are_refused(current, target):
    with pytest.raises(TransitionError, match=f"{current} cannot become {target}"):
        check_transition(current, target)


def test_every_state_is_described_and_refunded_is_final():
    assert set(ALLOWED_TRANSITIONS) == set(OrderStatus)
    assert ALLOWED_TRANSITIONS[OrderStatus.REFUNDED] == frozenset()
