"""Property tests: invariants of ``price_cart`` over generated carts and rule sets.

The examples in test_promotions_engine.py pin the messages; these pin what must hold for
every cart: no negative prices, sums that add up, and answers that do not depend on the
order anything was passed in.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shop.promotions.engine import PricedCart, price_cart
from shop.promotions.rules import (
    CartLineInput,
    CodeEntered,
    Condition,
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
PRODUCTS = range(1, 6)
CODES = ("SAVE", "GIFT", "SHIP")


def usd(cents: int) -> str:
    return f"${cents / 100:,.2f}"


# ======================================================================= strategies


@st.composite
def cart_lines(draw, min_size: int = 0) -> list[CartLineInput]:
    keys = draw(
        st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=min_size, max_size=8)
        .map(lambda found: list(dict.fromkeys(found)))  # unique, in drawn order
        .filter(lambda found: len(found) >= min_size)
    )
    lines = []
    for key in keys:
        product_id = draw(st.sampled_from(PRODUCTS))
        lines.append(
            CartLineInput(
                key=key,
                variant_id=product_id * 10 + draw(st.integers(0, 1)),
                product_id=product_id,
                title=f"Product {product_id}",
                quantity=draw(st.integers(1, 5)),
                unit_price=draw(st.integers(0, 30000)),
            )
        )
    return lines


product_sets = st.frozensets(st.sampled_from(PRODUCTS), min_size=1, max_size=3)
variant_sets = st.frozensets(
    st.sampled_from([p * 10 + v for p in PRODUCTS for v in (0, 1)]), min_size=1, max_size=3
)
date_windows = st.sampled_from(
    [
        DateWindow(NOW - timedelta(days=1), NOW + timedelta(days=1)),
        DateWindow(starts_at=NOW),
        DateWindow(ends_at=NOW),
        DateWindow(starts_at=NOW + timedelta(seconds=1)),
    ]
)
conditions_strategy: st.SearchStrategy[Condition] = st.one_of(
    st.builds(MinSubtotal, st.integers(0, 60000)),
    st.builds(ContainsProducts, product_sets, st.integers(1, 4)),
    st.builds(ContainsVariants, variant_sets, st.integers(1, 3)),
    date_windows,
    st.builds(CodeEntered, st.sampled_from(CODES)),
    st.just(FirstOrder()),
)


def gift_options(min_available: int = 0, max_available: int = 3):
    return st.lists(
        st.builds(
            GiftOption,
            variant_id=st.sampled_from([900, 901, 902]),
            product_id=st.just(90),
            title=st.just("Gift"),
            reference_price=st.integers(0, 30000),
            available=st.integers(min_available, max_available),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple)


discounts = st.one_of(
    st.builds(PercentOff, st.integers(1, 100)),
    st.builds(PercentOff, st.integers(1, 100), product_sets),
    st.builds(FixedAmountOff, st.integers(1, 50000)),
    st.just(FreeShipping()),
)
gifts = st.builds(
    FreeGift,
    gift_options(),
    st.none() | st.integers(1, 3),
    st.integers(1, 3),
)


ANY_REWARD = discounts | gifts
ANY_COMBINABLE = st.booleans()
# Most generated rules should be live, or nothing interesting ever gets priced.
rarely = st.sampled_from([False] * 7 + [True])


@st.composite
def rule_sets(draw, rewards=ANY_REWARD, combinable=ANY_COMBINABLE) -> list[Rule]:
    ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=7))
    return [
        Rule(
            id=rule_id,
            version=1,
            name=f"rule {rule_id}",
            label=f"Offer {rule_id}",
            conditions=tuple(draw(st.lists(conditions_strategy, max_size=2))),
            reward=draw(rewards),
            priority=draw(st.integers(0, 2)),  # few values, so ties are common
            combinable=draw(combinable),
            code=draw(st.sampled_from([None, None, None, *CODES])),
            usage_exhausted=draw(rarely),
            usage_exhausted_for_email=draw(rarely),
        )
        for rule_id in ids
    ]


contexts = st.builds(
    ShopperContext,
    entered_codes=st.lists(st.sampled_from([*CODES, "save", "nope"]), max_size=3).map(tuple),
    declined_gift_rule_ids=st.frozensets(st.integers(1, 40), max_size=3),
    previous_gift_rule_ids=st.frozensets(st.integers(1, 45), max_size=3),
    is_first_order=st.none() | st.booleans(),
)


def price(lines, rules, context) -> PricedCart:
    return price_cart(lines, rules, context, NOW, usd)


def by_key(cart: PricedCart) -> PricedCart:
    """The same cart with its lines in key order, to compare carts priced from shuffles."""
    return dataclasses.replace(cart, lines=tuple(sorted(cart.lines, key=lambda p: p.key)))


# ======================================================================= properties


@settings(deadline=None)
@given(st.data(), cart_lines(), rule_sets(), contexts)
def test_result_does_not_depend_on_line_order(data, lines, rules, context):
    shuffled = data.draw(st.permutations(lines))
    first, second = price(lines, rules, context), price(shuffled, rules, context)
    assert first.total == second.total
    assert {p.key: p.final_line_price for p in first.lines} == {
        p.key: p.final_line_price for p in second.lines
    }
    assert first.applied == second.applied
    assert by_key(first) == by_key(second)
    # Shopper lines keep the order they came in.
    assert [p.key for p in second.lines if not p.is_gift] == [line.key for line in shuffled]


@settings(deadline=None)
@given(st.data(), cart_lines(), rule_sets(), contexts)
def test_result_does_not_depend_on_rule_order(data, lines, rules, context):
    shuffled = data.draw(st.permutations(rules))
    assert price(lines, rules, context) == price(lines, shuffled, context)


@settings(deadline=None)
@given(cart_lines(), rule_sets(), contexts)
def test_pricing_twice_gives_equal_results(lines, rules, context):
    assert price(lines, rules, context) == price(lines, rules, context)


@settings(deadline=None)
@given(cart_lines(), rule_sets(), contexts)
def test_money_adds_up_and_is_never_negative(lines, rules, context):
    cart = price(lines, rules, context)
    assert cart.total >= 0
    assert cart.subtotal == sum(line.unit_price * line.quantity for line in lines)
    assert cart.total == sum(p.final_line_price for p in cart.lines)
    assert cart.total_discount == cart.subtotal - cart.total
    assert cart.total_discount >= 0
    for priced in cart.lines:
        assert 0 <= priced.final_line_price <= priced.line_price
        if not priced.is_gift:
            adjusted = priced.line_price - sum(a.amount for a in priced.adjustments)
            assert adjusted == priced.final_line_price
        if priced.final_unit_price is not None:
            assert priced.final_unit_price * priced.quantity == priced.final_line_price
    assert sum(a.amount for p in cart.lines for a in p.adjustments) == cart.total_discount


@settings(deadline=None)
@given(cart_lines(), rule_sets(), contexts)
def test_every_rule_is_explained_once_and_gifts_are_free_and_undiscounted(lines, rules, context):
    cart = price(lines, rules, context)
    assert sorted(e.rule_id for e in cart.explanations) == sorted(r.id for r in rules)
    applied_ids = {a.rule_id for a in cart.applied}
    assert applied_ids == {e.rule_id for e in cart.explanations if e.applied}
    gift_rule_ids = {r.id for r in rules if isinstance(r.reward, FreeGift)}
    for priced in cart.lines:
        if priced.is_gift:
            assert priced.final_line_price == 0
            assert priced.adjustments == ()
            assert priced.gift_value == priced.line_price
            assert priced.gift_rule_id in gift_rule_ids & applied_ids
            assert priced.gift_rule_id not in context.declined_gift_rule_ids
        else:
            assert priced.gift_value == 0 and priced.gift_rule_id is None
    shopper_keys = [p.key for p in cart.lines if not p.is_gift]
    assert shopper_keys == [line.key for line in lines]
    assert all(p.is_gift for p in cart.lines[len(lines) :])


@settings(deadline=None)
@given(cart_lines(), rule_sets(rewards=discounts), contexts)
def test_no_gift_line_without_a_free_gift_rule(lines, rules, context):
    cart = price(lines, rules, context)
    assert not any(p.is_gift for p in cart.lines)
    assert len(cart.lines) == len(lines)


def conditions_hold(
    conditions: tuple[Condition, ...], lines: list[CartLineInput], context: ShopperContext
) -> bool:
    """An independent, deliberately naive reading of the conditions, for the oracle."""
    entered = {code.strip().lower() for code in context.entered_codes}
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    for condition in conditions:
        if isinstance(condition, MinSubtotal):
            ok = subtotal >= condition.amount
        elif isinstance(condition, ContainsProducts):
            units = sum(x.quantity for x in lines if x.product_id in condition.product_ids)
            ok = units >= condition.min_quantity
        elif isinstance(condition, ContainsVariants):
            units = sum(x.quantity for x in lines if x.variant_id in condition.variant_ids)
            ok = units >= condition.min_quantity
        elif isinstance(condition, DateWindow):
            ok = (condition.starts_at is None or condition.starts_at <= NOW) and (
                condition.ends_at is None or condition.ends_at > NOW
            )
        elif isinstance(condition, CodeEntered):
            ok = condition.code.lower() in entered
        else:
            ok = context.is_first_order is True
        if not ok:
            return False
    return True


@settings(deadline=None)
@given(
    cart_lines(),
    st.lists(conditions_strategy, max_size=4).map(tuple),
    gift_options(min_available=1, max_available=5).map(lambda options: options[:1]),
    rule_sets(rewards=discounts, combinable=st.just(True)),
    contexts,
)
def test_gift_line_present_iff_its_conditions_hold(lines, conditions, options, others, context):
    gift_rule = Rule(
        id=99,
        version=1,
        name="gift",
        label="FREE gift",
        conditions=conditions,
        reward=FreeGift(options),
        priority=1,
        combinable=True,
    )
    context = dataclasses.replace(
        context, declined_gift_rule_ids=context.declined_gift_rule_ids - {99}
    )
    cart = price(lines, [gift_rule, *others], context)
    has_gift = any(p.is_gift and p.gift_rule_id == 99 for p in cart.lines)
    assert has_gift == (bool(lines) and conditions_hold(conditions, lines, context))
