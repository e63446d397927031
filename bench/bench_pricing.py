"""Micro-benchmark: how long does ``price_cart`` take for a big cart and many rules?

Run with ``python bench/bench_pricing.py`` (``make bench``); it is never part of the tests.
The cart is priced on every cart page, cart API call and checkout step, so the target is
under 1 ms for 50 lines and 25 rules. The baseline prices the same cart with no rules,
which is the floor: building the priced lines themselves.

Both runs use a plain f-string money formatter so the number measures the engine. A third
run uses Babel's formatter, as the app does, to show what formatting messages costs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a plain script from anywhere: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shop.promotions.engine import PricedCart, price_cart
from shop.promotions.rules import (
    CartLineInput,
    CodeEntered,
    ContainsProducts,
    ContainsVariants,
    DateWindow,
    FirstOrder,
    FixedAmountOff,
    FreeGift,
    FreeShipping,
    GiftOption,
    MinSubtotal,
    PercentOff,
    Rule,
    ShopperContext,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
RUNS = 5
ITERATIONS = 500
TARGET_SECONDS = 0.001


def plain_money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def build_cart() -> list[CartLineInput]:
    """50 lines over 20 products, two variants each, varied quantities and prices."""
    return [
        CartLineInput(
            key=f"line-{n:02d}",
            variant_id=(n % 20) * 10 + n % 2,
            product_id=n % 20,
            title=f"Product {n % 20}",
            quantity=1 + n % 4,
            unit_price=995 + 137 * n,
        )
        for n in range(50)
    ]


def build_rules() -> list[Rule]:
    """25 rules of every kind, met and unmet, combinable and exclusive, coded and not."""
    device = GiftOption(900, 90, "Device & Serum", 24500, available=10)
    sold_out = GiftOption(901, 91, "Eye Cream", 4200, available=0)
    mini = GiftOption(902, 92, "Mini Cleanser", 1500, available=100)
    week = timedelta(days=7)
    specs = [
        ("FREE device & serum", (MinSubtotal(10000),), FreeGift((device, mini)), 10, True),
        ("FREE eye cream", (MinSubtotal(5000),), FreeGift((sold_out, mini)), 9, True),
        ("FREE minis", (ContainsProducts(frozenset({3, 4})),), FreeGift((mini,), 2, 3), 8, True),
        ("Gift too far", (MinSubtotal(10_000_000),), FreeGift((device,)), 8, True),
        ("10% off serums", (), PercentOff(10, frozenset({1, 2, 3})), 7, True),
        ("5% off", (MinSubtotal(20000),), PercentOff(5), 6, True),
        ("$15 off $150", (MinSubtotal(15000),), FixedAmountOff(1500), 5, True),
        ("Free shipping", (MinSubtotal(5000),), FreeShipping(), 5, True),
        ("WELCOME20", (FirstOrder(),), PercentOff(20), 4, False),
        ("VIP 30%", (CodeEntered("VIP"),), PercentOff(30), 4, False),
        ("Summer 15%", (DateWindow(NOW - week, NOW + week),), PercentOff(15), 3, False),
        ("Spring 25%", (DateWindow(NOW - 3 * week, NOW - week),), PercentOff(25), 3, False),
        ("Winter 25%", (DateWindow(NOW + week, NOW + 3 * week),), PercentOff(25), 3, False),
        ("Bundle 12%", (ContainsVariants(frozenset({11, 31}), 2),), PercentOff(12), 2, True),
        ("$5 off masks", (ContainsProducts(frozenset({7}), 3),), FixedAmountOff(500), 2, True),
        ("Huge cart", (MinSubtotal(5_000_000),), PercentOff(50), 2, False),
        ("Toner 20%", (), PercentOff(20, frozenset({5, 6})), 1, True),
        ("$3 off", (ContainsProducts(frozenset({99})),), FixedAmountOff(300), 1, True),
        ("Eye duo", (ContainsVariants(frozenset({80, 81})),), FixedAmountOff(700), 1, True),
        ("Night set", (MinSubtotal(30000), FirstOrder()), FreeGift((mini,)), 1, True),
        ("Clearance 40%", (), PercentOff(40, frozenset({18, 19})), 0, False),
        ("$20 off", (MinSubtotal(40000),), FixedAmountOff(2000), 0, True),
        ("Flash 8%", (DateWindow(ends_at=NOW + week),), PercentOff(8), 0, True),
        ("Loyalty 10%", (CodeEntered("LOYAL"),), PercentOff(10), 0, True),
        ("Starter kit", (ContainsProducts(frozenset({0, 1}), 4),), FreeShipping(), 0, True),
    ]
    return [
        Rule(
            id=index + 1,
            version=1,
            name=label.lower(),
            label=label,
            conditions=conditions,
            reward=reward,
            priority=priority,
            combinable=combinable,
            code="SPRING" if label == "Spring 25%" else None,
        )
        for index, (label, conditions, reward, priority, combinable) in enumerate(specs)
    ]


def best_time_per_call(call: Callable[[], PricedCart]) -> float:
    """Best of RUNS runs of ITERATIONS calls: the least disturbed measure of the code."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(ITERATIONS):
            call()
        best = min(best, (time.perf_counter() - start) / ITERATIONS)
    return best


def babel_money() -> Callable[[int], str] | None:
    try:
        from babel.numbers import format_currency
    except ImportError:
        return None
    return lambda cents: format_currency(cents / 100, "USD", locale="en_US")


def main() -> None:
    lines = build_cart()
    rules = build_rules()
    context = ShopperContext(
        entered_codes=("vip", "SPRING", "BOGUS"),
        previous_gift_rule_ids=frozenset({1, 2, 20}),
        is_first_order=True,
    )
    with_rules = price_cart(lines, rules, context, NOW, plain_money)
    assert len(with_rules.explanations) == 25

    baseline = best_time_per_call(lambda: price_cart(lines, [], context, NOW, plain_money))
    priced = best_time_per_call(lambda: price_cart(lines, rules, context, NOW, plain_money))
    print(f"cart: {len(lines)} lines, subtotal {plain_money(with_rules.subtotal)}")
    print(
        f"rules: {len(rules)}, applied {len(with_rules.applied)} "
        f"({', '.join(a.label for a in with_rules.applied)}), total "
        f"{plain_money(with_rules.total)}"
    )
    print(f"best of {RUNS} runs x {ITERATIONS} pricings each")
    print(f"  baseline, no rules : {baseline * 1e6:8.1f} us per pricing")
    print(f"  with {len(rules)} rules      : {priced * 1e6:8.1f} us per pricing")
    print(f"  ratio              : {priced / baseline:8.2f}x")
    formatter = babel_money()
    if formatter is not None:
        babel = best_time_per_call(lambda: price_cart(lines, rules, context, NOW, formatter))
        print(f"  with Babel money   : {babel * 1e6:8.1f} us per pricing")
    verdict = "OK" if priced < TARGET_SECONDS else "TOO SLOW"
    print(f"target < {TARGET_SECONDS * 1e3:.0f} ms with {len(rules)} rules: {verdict}")


if __name__ == "__main__":
    main()
