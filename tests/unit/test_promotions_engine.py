"""Unit tests for the promotions engine: every condition, reward, message and edge.

Thresholds are checked one cent (or one unit, or one microsecond) either side, because
that is where promotion bugs live.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shop.promotions.engine import (
    CodeStatus,
    NoticeKind,
    PricedCart,
    price_cart,
    threshold_base,
)
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
    Reward,
    Rule,
    ShopperContext,
)

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
DEVICE = GiftOption(
    variant_id=900, product_id=90, title="Device & Serum", reference_price=24500, available=5
)
BACKUP = GiftOption(
    variant_id=901, product_id=91, title="Travel Serum", reference_price=3000, available=5
)
SECOND_BACKUP = GiftOption(
    variant_id=902, product_id=92, title="Mini Cleanser", reference_price=1500, available=5
)


def usd(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def line(
    key: str = "a",
    quantity: int = 1,
    unit_price: int = 1000,
    product_id: int = 1,
    variant_id: int | None = None,
) -> CartLineInput:
    return CartLineInput(
        key=key,
        variant_id=variant_id if variant_id is not None else product_id * 10,
        product_id=product_id,
        title=f"Product {product_id}",
        quantity=quantity,
        unit_price=unit_price,
    )


def rule(
    rule_id: int,
    reward: Reward,
    *conditions: Condition,
    priority: int = 0,
    combinable: bool = True,
    code: str | None = None,
    label: str | None = None,
    usage_exhausted: bool = False,
    usage_exhausted_for_email: bool = False,
) -> Rule:
    return Rule(
        id=rule_id,
        version=3,
        name=f"rule {rule_id}",
        label=label or f"Offer {rule_id}",
        conditions=conditions,
        reward=reward,
        priority=priority,
        combinable=combinable,
        code=code,
        usage_exhausted=usage_exhausted,
        usage_exhausted_for_email=usage_exhausted_for_email,
    )


def gift_rule(rule_id: int = 1, *conditions: Condition, **kwargs) -> Rule:
    gifts = kwargs.pop("gifts", (DEVICE,))
    per_units = kwargs.pop("per_units", None)
    max_quantity = kwargs.pop("max_quantity", 1)
    kwargs.setdefault("label", "FREE device & serum")
    return rule(rule_id, FreeGift(gifts, per_units, max_quantity), *conditions, **kwargs)


def price(
    lines: list[CartLineInput],
    rules: list[Rule],
    now: datetime = NOW,
    **context,
) -> PricedCart:
    return price_cart(lines, rules, ShopperContext(**context), now, usd)


def reason(cart: PricedCart, rule_id: int) -> str:
    (found,) = [e for e in cart.explanations if e.rule_id == rule_id]
    return found.reason


def applied_ids(cart: PricedCart) -> list[int]:
    return [a.rule_id for a in cart.applied]


def gift_lines(cart: PricedCart):
    return [priced for priced in cart.lines if priced.is_gift]


def final_prices(cart: PricedCart) -> dict[str, int]:
    return {priced.key: priced.final_line_price for priced in cart.lines}


def assert_consistent(cart: PricedCart) -> None:
    assert cart.total == sum(priced.final_line_price for priced in cart.lines)
    assert cart.total_discount == cart.subtotal - cart.total
    assert all(priced.final_line_price >= 0 for priced in cart.lines)


# ============================================================== no rules, validation


def test_no_rules_prices_the_cart_as_is():
    cart = price([line("a", 2, 1250), line("b", 1, 999)], [])
    assert cart.subtotal == cart.total == 3499
    assert cart.total_discount == 0
    assert [p.final_line_price for p in cart.lines] == [2500, 999]
    assert [p.final_unit_price for p in cart.lines] == [1250, 999]
    assert cart.applied == cart.explanations == cart.notices == cart.progress == ()
    assert cart.free_shipping is False


def test_empty_cart_gets_no_gift_and_says_why():
    cart = price([], [gift_rule(1)])
    assert cart.lines == ()
    assert cart.total == 0
    assert reason(cart, 1) == "Your cart is empty"


def test_inputs_are_not_mutated():
    lines = [line("a", 2, 1000)]
    rules = [rule(1, PercentOff(10))]
    context = ShopperContext(entered_codes=("X",))
    before = (list(lines), list(rules), context)
    price_cart(lines, rules, context, NOW, usd)
    assert (lines, rules, context) == before


@pytest.mark.parametrize(
    "build",
    [
        lambda: CartLineInput("a", 1, 1, "t", 0, 100),
        lambda: CartLineInput("a", 1, 1, "t", 1, -1),
        lambda: CartLineInput("", 1, 1, "t", 1, 100),
        lambda: PercentOff(0),
        lambda: PercentOff(101),
        lambda: PercentOff(10, frozenset()),
        lambda: FixedAmountOff(0),
        lambda: FreeGift(()),
        lambda: FreeGift((DEVICE,), per_units=0),
        lambda: FreeGift((DEVICE,), max_quantity=0),
        lambda: MinSubtotal(-1),
        lambda: ContainsProducts(frozenset()),
        lambda: ContainsVariants(frozenset({1}), min_quantity=0),
        lambda: DateWindow(starts_at=datetime(2025, 1, 1)),
        lambda: DateWindow(starts_at=NOW, ends_at=NOW),
        lambda: CodeEntered("  "),
        lambda: rule(1, PercentOff(10), label=" "),
        lambda: rule(1, PercentOff(10), code=" "),
    ],
)
def test_bad_values_are_refused_when_built(build):
    with pytest.raises(ValueError):
        build()


def test_unknown_condition_or_reward_types_are_refused():
    with pytest.raises(TypeError):
        rule(1, PercentOff(10), "subtotal>100")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rule(1, "10% off")  # type: ignore[arg-type]


def test_duplicate_line_keys_are_refused():
    with pytest.raises(ValueError, match="unique"):
        price([line("a"), line("a", product_id=2)], [])


def test_shopper_line_keys_cannot_pose_as_gifts():
    with pytest.raises(ValueError, match="gift-"):
        price([line("gift-1-900")], [])


def test_duplicate_rule_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        price([line()], [rule(1, PercentOff(10)), rule(1, FreeShipping())])


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        price([line()], [], now=datetime(2025, 1, 1))


def test_collections_in_values_are_frozen():
    condition = ContainsProducts({1, 2})  # type: ignore[arg-type]
    assert condition.product_ids == frozenset({1, 2})
    context = ShopperContext(entered_codes=["A"], declined_gift_rule_ids={3})  # type: ignore[arg-type]
    assert context.entered_codes == ("A",)
    assert context.declined_gift_rule_ids == frozenset({3})
    hash(context)


# ======================================================================= conditions


@pytest.mark.parametrize(("subtotal", "applies"), [(9999, False), (10000, True), (10001, True)])
def test_min_subtotal_at_the_threshold(subtotal, applies):
    cart = price([line(unit_price=subtotal)], [rule(1, FreeShipping(), MinSubtotal(10000))])
    assert cart.free_shipping is applies
    if not applies:
        assert reason(cart, 1) == "Subtotal $99.99 is below $100.00"


def test_min_subtotal_counts_the_pre_discount_subtotal():
    # 50% off brings the cart to $60 but the $100 threshold is measured before discounts.
    rules = [
        rule(1, PercentOff(50), priority=10),
        rule(2, FreeShipping(), MinSubtotal(10000), priority=1),
    ]
    cart = price([line(unit_price=12000)], rules)
    assert applied_ids(cart) == [1, 2]
    assert cart.total == 6000


# Three $58.00 serums with 20% off: $174.00 of merchandise, $139.20 paid for it.
SERUMS, SERUMS_PAID = 17400, 13920


@pytest.mark.parametrize(
    ("refunded", "base"),
    [
        (0, 17400),  # nothing refunded: the pre-discount subtotal, as when it was priced
        (1000, 16150),  # $10.00 back is $12.50 of merchandise at its pre-discount price
        (4640, 11600),  # what one serum was paid for gives back exactly one serum
        (13920, 0),  # every cent paid for the merchandise
        (14720, 0),  # and the shipping too: nothing is left, never less than nothing
    ],
)
def test_threshold_base_after_a_refund_counts_money_back_at_pre_discount_prices(refunded, base):
    assert threshold_base(SERUMS, paid=SERUMS_PAID, refunded=refunded) == base


def test_threshold_base_of_a_cart_is_its_pre_discount_subtotal():
    assert threshold_base(12000) == 12000
    assert threshold_base(12000, paid=6000) == 12000  # a discount alone changes nothing
    assert threshold_base(12000, refunded=3000) == 9000  # undiscounted: money is list price


def test_threshold_base_rounds_half_up_and_never_goes_negative():
    assert threshold_base(1000, paid=300, refunded=1) == 997  # 996.67
    assert threshold_base(1000, paid=800, refunded=4) == 995  # exactly 995
    assert threshold_base(10, paid=4, refunded=1) == 8  # 7.5 rounds up
    assert threshold_base(1000, paid=800, refunded=-5) == 1000


def test_threshold_base_when_the_merchandise_was_free():
    # A 100% discount: no refund can be of merchandise nobody paid for.
    assert threshold_base(5000, paid=0, refunded=800) == 5000


@pytest.mark.parametrize(("quantity", "applies"), [(1, False), (2, True), (3, True)])
def test_contains_products_min_quantity(quantity, applies):
    condition = ContainsProducts(frozenset({7, 8}), min_quantity=2)
    cart = price([line("a", quantity, product_id=7)], [rule(1, FreeShipping(), condition)])
    assert cart.free_shipping is applies
    if not applies:
        assert reason(cart, 1) == "Needs 2 of the qualifying products in the cart (has 1)"


def test_contains_products_adds_units_across_lines_and_products():
    condition = ContainsProducts(frozenset({7, 8}), min_quantity=2)
    cart = price(
        [line("a", 1, product_id=7), line("b", 1, product_id=8)],
        [rule(1, FreeShipping(), condition)],
    )
    assert cart.free_shipping


def test_contains_products_default_message_and_bundles_are_products():
    bundle_id = 55
    condition = ContainsProducts(frozenset({bundle_id}))
    missing = price([line(product_id=1)], [rule(1, FreeShipping(), condition)])
    assert reason(missing, 1) == "Needs one of the qualifying products in the cart"
    present = price([line(product_id=bundle_id)], [rule(1, FreeShipping(), condition)])
    assert present.free_shipping


@pytest.mark.parametrize(("quantity", "applies"), [(2, False), (3, True), (4, True)])
def test_contains_variants_min_quantity(quantity, applies):
    condition = ContainsVariants(frozenset({71}), min_quantity=3)
    lines = [line("a", quantity, product_id=7, variant_id=71), line("b", 5, variant_id=72)]
    cart = price(lines, [rule(1, FreeShipping(), condition)])
    assert cart.free_shipping is applies
    if not applies:
        assert reason(cart, 1) == "Needs 3 of the qualifying items in the cart (has 2)"


def test_contains_variants_default_message():
    cart = price([line()], [rule(1, FreeShipping(), ContainsVariants(frozenset({999})))])
    assert reason(cart, 1) == "Needs one of the qualifying items in the cart"


START = datetime(2025, 6, 1, tzinfo=UTC)
END = datetime(2025, 7, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "applies", "why"),
    [
        (START - TICK, False, "This offer has not started yet"),
        (START, True, None),
        (START + TICK, True, None),
        (END - TICK, True, None),
        (END, False, "This offer has ended"),
        (END + TICK, False, "This offer has ended"),
    ],
)
def test_date_window_starts_inclusive_ends_exclusive(now, applies, why):
    cart = price([line()], [rule(1, FreeShipping(), DateWindow(START, END))], now=now)
    assert cart.free_shipping is applies
    if why:
        assert reason(cart, 1) == why


def test_date_window_open_ends_and_other_time_zones():
    # 04:00 at UTC+2 is 02:00 UTC: comparisons must happen in absolute time.
    plus_two = datetime(2025, 6, 1, 4, 0, tzinfo=timezone(timedelta(hours=2)))
    only_start = rule(1, FreeShipping(), DateWindow(starts_at=plus_two))
    assert not price(
        [line()], [only_start], now=datetime(2025, 6, 1, 1, 59, tzinfo=UTC)
    ).free_shipping
    assert price([line()], [only_start], now=datetime(2025, 6, 1, 2, tzinfo=UTC)).free_shipping
    only_end = rule(1, FreeShipping(), DateWindow(ends_at=END))
    assert price([line()], [only_end], now=datetime(1999, 1, 1, tzinfo=UTC)).free_shipping
    assert not price([line()], [only_end], now=END).free_shipping


@pytest.mark.parametrize("typed", ["SUMMER", "summer", "  SuMmEr ", "Summer"])
def test_code_entered_is_case_insensitive(typed):
    cart = price([line()], [rule(1, FreeShipping(), CodeEntered("Summer"))], entered_codes=(typed,))
    assert cart.free_shipping


def test_rule_code_field_requires_the_code_too():
    coded = rule(1, FreeShipping(), code="SHIPFREE")
    missing = price([line()], [coded])
    assert not missing.free_shipping
    # The explanation never reveals the code itself.
    assert reason(missing, 1) == "Needs its promo code to be entered"
    assert price([line()], [coded], entered_codes=("shipfree",)).free_shipping


@pytest.mark.parametrize(
    ("first_order", "applies", "why"),
    [
        (True, True, None),
        (False, False, "Only for a first order"),
        (None, False, "Only for a first order, and we don't know your email yet"),
    ],
)
def test_first_order(first_order, applies, why):
    cart = price([line()], [rule(1, FreeShipping(), FirstOrder())], is_first_order=first_order)
    assert cart.free_shipping is applies
    if why:
        assert reason(cart, 1) == why


def test_all_conditions_must_hold_and_the_first_failure_is_explained():
    conditions = (MinSubtotal(5000), ContainsProducts(frozenset({2})))
    cart = price([line(unit_price=6000)], [rule(1, FreeShipping(), *conditions)])
    assert reason(cart, 1) == "Needs one of the qualifying products in the cart"
    cart = price([line(unit_price=100)], [rule(1, FreeShipping(), *conditions)])
    assert reason(cart, 1) == "Subtotal $1.00 is below $50.00"


def test_gift_lines_never_count_towards_conditions():
    # Rule 2 would need the gifted variant in the cart; the gift line must not unlock it.
    rules = [
        gift_rule(1),
        rule(2, FreeShipping(), ContainsVariants(frozenset({DEVICE.variant_id}))),
        rule(3, FreeShipping(), MinSubtotal(1001)),
    ]
    cart = price([line(unit_price=1000)], rules)
    assert len(gift_lines(cart)) == 1
    assert not cart.free_shipping


# ========================================================================== rewards


def test_free_gift_line():
    shopper = [line("b", 1, 5000, product_id=2), line("a", 2, 3000)]
    cart = price(shopper, [gift_rule(1, MinSubtotal(10000))])
    assert [p.key for p in cart.lines] == ["b", "a", "gift-1-900"]
    (gift,) = gift_lines(cart)
    assert (gift.variant_id, gift.product_id, gift.title) == (900, 90, "Device & Serum")
    assert (gift.quantity, gift.unit_price, gift.line_price) == (1, 24500, 24500)
    assert (gift.final_line_price, gift.final_unit_price) == (0, 0)
    assert (gift.gift_value, gift.gift_rule_id, gift.adjustments) == (24500, 1, ())
    assert cart.subtotal == cart.total == 11000
    assert cart.total_discount == 0
    (applied,) = cart.applied
    assert applied.label == "FREE device & serum ($245.00 value)"
    assert (applied.rule_id, applied.version, applied.amount) == (1, 3, 24500)
    assert applied.qualifying_line_keys == ("a", "b")
    assert reason(cart, 1) == "Applied: free Device & Serum added ($245.00 value)"
    assert [(n.kind, n.message) for n in cart.notices] == [
        (NoticeKind.GIFT_ADDED, "Free Device & Serum added to your cart ($245.00 value)")
    ]


def test_gift_already_in_cart_is_not_announced_again():
    cart = price([line()], [gift_rule(1)], previous_gift_rule_ids=frozenset({1}))
    assert len(gift_lines(cart)) == 1
    assert cart.notices == ()


def test_gift_label_value_uses_the_injected_formatter():
    cart = price_cart([line()], [gift_rule(1)], ShopperContext(), NOW, lambda c: f"{c // 100} EUR")
    assert cart.applied[0].label == "FREE device & serum (245 EUR value)"


@pytest.mark.parametrize(
    ("units", "expected"),
    [(1, 0), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (8, 3), (20, 3)],
)
def test_gift_per_units_with_cap(units, expected):
    gift = gift_rule(1, ContainsProducts(frozenset({7})), per_units=2, max_quantity=3)
    # Units of other products never count towards the gift quantity.
    lines = [line("a", units, product_id=7), line("b", 9, product_id=8)]
    cart = price(lines, [gift])
    quantities = [p.quantity for p in gift_lines(cart)]
    assert quantities == ([expected] if expected else [])
    if expected:
        assert cart.applied[0].label == f"FREE device & serum ({usd(24500 * expected)} value)"
        assert cart.applied[0].qualifying_line_keys == ("a",)
    else:
        assert reason(cart, 1) == "Needs 2 qualifying items for a free gift"


def test_gift_per_units_without_contains_counts_every_unit():
    gift = gift_rule(1, per_units=3, max_quantity=10)
    cart = price([line("a", 4), line("b", 5, product_id=2)], [gift])
    assert [p.quantity for p in gift_lines(cart)] == [3]


def test_gift_per_units_with_two_contains_conditions_uses_the_scarcest():
    conditions = (ContainsProducts(frozenset({7})), ContainsVariants(frozenset({81})))
    gift = gift_rule(1, *conditions, per_units=1, max_quantity=10)
    lines = [line("a", 4, product_id=7), line("b", 2, product_id=8, variant_id=81)]
    assert [p.quantity for p in gift_lines(price(lines, [gift]))] == [2]


def test_gift_backup_when_primary_is_out_of_stock():
    primary = GiftOption(900, 90, "Device & Serum", 24500, available=0)
    first_backup = GiftOption(901, 91, "Travel Serum", 3000, available=0)
    cart = price([line()], [gift_rule(1, gifts=(primary, first_backup, SECOND_BACKUP))])
    (gift,) = gift_lines(cart)
    assert (gift.key, gift.title, gift.gift_value) == ("gift-1-902", "Mini Cleanser", 1500)
    assert cart.applied[0].label == "FREE device & serum ($15.00 value)"
    assert [(n.kind, n.message) for n in cart.notices] == [
        (
            NoticeKind.GIFT_BACKUP,
            "Device & Serum is out of stock, so we added Mini Cleanser as your free gift instead",
        )
    ]


def test_gift_backup_used_when_primary_has_fewer_than_needed():
    primary = GiftOption(900, 90, "Device & Serum", 24500, available=1)
    gift = gift_rule(1, gifts=(primary, BACKUP), per_units=1, max_quantity=2)
    cart = price([line("a", 2)], [gift])
    (line_out,) = gift_lines(cart)
    assert (line_out.title, line_out.quantity) == ("Travel Serum", 2)
    assert cart.notices[0].kind is NoticeKind.GIFT_BACKUP


def test_gift_partly_in_stock_gives_what_there_is():
    primary = GiftOption(900, 90, "Device & Serum", 24500, available=1)
    gift = gift_rule(1, gifts=(primary,), per_units=1, max_quantity=3)
    cart = price([line("a", 3)], [gift])
    assert [p.quantity for p in gift_lines(cart)] == [1]
    assert [(n.kind, n.message) for n in cart.notices] == [
        (
            NoticeKind.GIFT_OUT_OF_STOCK,
            "Only 1 free Device & Serum left in stock, so we added 1 instead of 3",
        )
    ]


def test_gift_out_of_stock_everywhere():
    gifts = tuple(GiftOption(900 + i, 90, f"Gift {i}", 1000, available=0) for i in range(3))
    cart = price([line()], [gift_rule(1, gifts=gifts)])
    assert gift_lines(cart) == []
    assert cart.applied == ()
    assert reason(cart, 1) == "The free gift is out of stock"
    assert [(n.kind, n.message) for n in cart.notices] == [
        (
            NoticeKind.GIFT_OUT_OF_STOCK,
            "Sorry, the free Gift 0 is out of stock, so we couldn't add it",
        )
    ]


def test_gift_out_of_stock_previously_in_cart_says_out_of_stock_not_removed():
    empty = GiftOption(900, 90, "Device & Serum", 24500, available=0)
    cart = price([line()], [gift_rule(1, gifts=(empty,))], previous_gift_rule_ids=frozenset({1}))
    assert [n.kind for n in cart.notices] == [NoticeKind.GIFT_OUT_OF_STOCK]


def test_two_gift_rules_cannot_give_away_the_same_last_unit():
    last_one = GiftOption(900, 90, "Device & Serum", 24500, available=1)
    rules = [gift_rule(1, gifts=(last_one,), priority=5), gift_rule(2, gifts=(last_one,))]
    cart = price([line()], rules)
    assert [p.gift_rule_id for p in gift_lines(cart)] == [1]
    assert applied_ids(cart) == [1]
    assert reason(cart, 2) == "The free gift is out of stock"
    assert [(n.kind, n.rule_id) for n in cart.notices] == [
        (NoticeKind.GIFT_ADDED, 1),
        (NoticeKind.GIFT_OUT_OF_STOCK, 2),
    ]


def test_two_gift_rules_each_add_their_gift():
    rules = [gift_rule(1, priority=5), gift_rule(2, gifts=(BACKUP,), label="FREE travel serum")]
    cart = price([line()], rules)
    assert [p.key for p in gift_lines(cart)] == ["gift-1-900", "gift-2-901"]


def test_declined_gift_stays_declined():
    cart = price(
        [line(unit_price=20000)],
        [gift_rule(1, MinSubtotal(10000))],
        declined_gift_rule_ids=frozenset({1}),
        previous_gift_rule_ids=frozenset({1}),
    )
    assert gift_lines(cart) == []
    assert cart.applied == cart.notices == ()
    assert reason(cart, 1) == "Declined by the shopper"


def test_declined_gift_gets_no_progress_hint():
    cart = price(
        [line(unit_price=100)], [gift_rule(1, MinSubtotal(10000))], declined_gift_rule_ids={1}
    )
    assert cart.progress == ()
    assert reason(cart, 1) == "Declined by the shopper"


def test_declining_a_non_gift_rule_changes_nothing():
    cart = price([line()], [rule(1, PercentOff(10))], declined_gift_rule_ids={1})
    assert applied_ids(cart) == [1]


def test_gift_removed_notice_when_subtotal_drops():
    cart = price(
        [line(unit_price=7700)],
        [gift_rule(1, MinSubtotal(10000))],
        previous_gift_rule_ids=frozenset({1}),
    )
    assert gift_lines(cart) == []
    assert [(n.kind, n.rule_id, n.message) for n in cart.notices] == [
        (
            NoticeKind.GIFT_REMOVED,
            1,
            "Your free Device & Serum was removed: your subtotal is now below $100.00",
        )
    ]


@pytest.mark.parametrize(
    ("gift", "context", "removal"),
    [
        (
            gift_rule(1, ContainsProducts(frozenset({5}))),
            {},
            "your cart no longer has the qualifying products",
        ),
        (gift_rule(1, DateWindow(ends_at=NOW)), {}, "the offer has ended"),
        (gift_rule(1, code="GIFT"), {}, "its promo code was removed"),
        (gift_rule(1, FirstOrder()), {"is_first_order": False}, "it is only for a first order"),
        (gift_rule(1, usage_exhausted=True), {}, "the offer has reached its usage limit"),
    ],
)
def test_gift_removed_notice_gives_the_reason(gift, context, removal):
    cart = price([line()], [gift], previous_gift_rule_ids=frozenset({1}), **context)
    assert cart.notices[0].kind is NoticeKind.GIFT_REMOVED
    assert cart.notices[0].message == f"Your free Device & Serum was removed: {removal}"


def test_gift_removed_notice_when_a_better_exclusive_offer_wins():
    rules = [gift_rule(1, gifts=(BACKUP,)), rule(2, PercentOff(50), combinable=False)]
    cart = price([line(unit_price=10000)], rules, previous_gift_rule_ids=frozenset({1}))
    assert cart.notices[0].message == (
        "Your free Travel Serum was removed: 'Offer 2' gives a bigger saving "
        "and can't be combined with it"
    )


def test_gift_removed_notice_when_its_rule_is_gone():
    cart = price([line()], [], previous_gift_rule_ids=frozenset({42}))
    assert [(n.kind, n.rule_id, n.message) for n in cart.notices] == [
        (
            NoticeKind.GIFT_REMOVED,
            42,
            "Your free gift was removed: the offer is no longer available",
        )
    ]


def test_percent_off_whole_order_rounds_half_up_per_line():
    lines = [line("a", 1, 1005), line("b", 3, 333, product_id=2)]
    cart = price(lines, [rule(1, PercentOff(10), label="10% off")])
    # 100.5 -> 101 off; 99.9 -> 100 off
    assert final_prices(cart) == {"a": 904, "b": 899}
    assert cart.lines[0].adjustments[0].amount == 101
    assert (cart.lines[0].adjustments[0].rule_id, cart.lines[0].adjustments[0].label) == (
        1,
        "10% off",
    )
    assert cart.total_discount == 201
    assert cart.applied[0].amount == 201
    assert reason(cart, 1) == "Applied: saves $2.01"
    assert cart.lines[1].final_unit_price is None  # 899 does not split into 3 whole cents
    assert_consistent(cart)


def test_percent_off_scoped_to_products():
    lines = [line("a", 1, 2000, product_id=1), line("b", 2, 1000, product_id=2)]
    cart = price(lines, [rule(1, PercentOff(25, frozenset({2, 3})))])
    assert final_prices(cart) == {"a": 2000, "b": 1500}
    assert cart.lines[0].adjustments == ()
    assert cart.applied[0].qualifying_line_keys == ("b",)


def test_percent_off_scoped_to_absent_products_does_not_apply():
    cart = price([line(product_id=1)], [rule(1, PercentOff(25, frozenset({2})))])
    assert cart.applied == ()
    assert reason(cart, 1) == "None of the discounted products are in the cart"


def test_discount_on_free_items_has_nothing_to_discount():
    cart = price([line(unit_price=0)], [rule(1, PercentOff(10)), rule(2, FixedAmountOff(5))])
    assert reason(cart, 1) == reason(cart, 2) == "Nothing in the cart to discount"


def test_hundred_percent_off_never_goes_negative_and_never_touches_gifts():
    rules = [gift_rule(1, priority=9), rule(2, PercentOff(100), priority=1)]
    cart = price([line("a", 3, 999)], rules)
    assert cart.total == 0
    (gift,) = gift_lines(cart)
    assert (gift.unit_price, gift.final_line_price, gift.adjustments) == (24500, 0, ())
    assert cart.applied[1].amount == 2997  # the gift's value is not part of the discount
    assert_consistent(cart)


def test_gift_never_discounted_by_percent_rule_of_higher_priority():
    rules = [rule(2, PercentOff(30), priority=99), gift_rule(1)]
    cart = price([line(unit_price=5000)], rules)
    (gift,) = gift_lines(cart)
    assert gift.final_line_price == 0 and gift.adjustments == ()
    assert cart.total == 3500


def test_fixed_amount_is_spread_proportionally_and_exactly():
    lines = [line("a", 1, 6000), line("b", 1, 3000, product_id=2), line("c", 1, 1000, 3)]
    cart = price(lines, [rule(1, FixedAmountOff(1000))])
    assert final_prices(cart) == {"a": 5400, "b": 2700, "c": 900}
    assert cart.total == 9000
    assert_consistent(cart)


def test_fixed_amount_remainder_goes_by_line_key_not_line_order():
    lines = [line("c", 1, 1000, 3), line("a", 1, 1000, 1), line("b", 1, 1000, 2)]
    for ordering in (lines, lines[::-1], [lines[1], lines[0], lines[2]]):
        cart = price(ordering, [rule(1, FixedAmountOff(100))])
        # 100 / 3 = 33 each, the one cent left over goes to key "a".
        assert final_prices(cart) == {"a": 966, "b": 967, "c": 967}


def test_fixed_amount_remainder_goes_to_largest_fractions_first():
    lines = [line("a", 1, 100), line("b", 1, 200, 2), line("c", 1, 700, 3)]
    cart = price(lines, [rule(1, FixedAmountOff(10))])
    # exact shares 1, 2, 7 -> no remainder
    assert final_prices(cart) == {"a": 99, "b": 198, "c": 693}
    cart = price(lines, [rule(1, FixedAmountOff(7))])
    # exact shares 0.7, 1.4, 4.9 -> floors 0, 1, 4; 2 cents to c (0.9) then a (0.7)
    assert final_prices(cart) == {"a": 99, "b": 199, "c": 695}


def test_fixed_amount_bigger_than_the_cart_clamps_to_zero():
    lines = [line("a", 2, 1234), line("b", 1, 99, 2)]
    cart = price(lines, [rule(1, FixedAmountOff(100000))])
    assert cart.total == 0
    assert cart.total_discount == cart.subtotal == 2567
    assert cart.applied[0].amount == 2567
    assert all(p.final_line_price == 0 for p in cart.lines)
    assert_consistent(cart)


def test_free_shipping():
    cart = price([line()], [rule(1, FreeShipping(), label="Free shipping")])
    assert cart.free_shipping
    assert cart.total == 1000
    assert [(a.label, a.amount) for a in cart.applied] == [("Free shipping", 0)]
    assert reason(cart, 1) == "Applied: free shipping"


@pytest.mark.parametrize(
    ("price_cents", "quantity"), [(1, 1), (3, 3), (999, 7), (101, 13), (12345, 2), (7, 11)]
)
def test_rounding_is_exact_with_stacked_discounts(price_cents, quantity):
    lines = [
        line("a", quantity, price_cents),
        line("b", 1, price_cents + 1, 2),
        line("c", quantity + 1, 333, 3),
    ]
    rules = [
        rule(1, PercentOff(33), priority=3),
        rule(2, FixedAmountOff(777), priority=2),
        rule(3, PercentOff(17, frozenset({2, 3})), priority=1),
    ]
    cart = price(lines, rules)
    assert_consistent(cart)
    per_line = {p.key: p.line_price - sum(a.amount for a in p.adjustments) for p in cart.lines}
    assert per_line == final_prices(cart)
    assert sum(a.amount for a in cart.applied) == cart.total_discount


def test_stacked_discounts_apply_in_priority_order_on_what_is_left():
    rules = [
        rule(1, FixedAmountOff(1000), priority=1),
        rule(2, PercentOff(10), priority=5),
        rule(3, PercentOff(20), priority=3),
    ]
    cart = price([line(unit_price=10000)], rules)
    # 10000 -10% -> 9000 -20% -> 7200 -$10 -> 6200
    assert cart.total == 6200
    assert [a.rule_id for a in cart.lines[0].adjustments] == [2, 3, 1]
    assert [a.amount for a in cart.lines[0].adjustments] == [1000, 1800, 1000]
    assert applied_ids(cart) == [2, 3, 1]


# ====================================================================== combination


def test_combinable_rules_all_apply_together():
    rules = [rule(1, PercentOff(10)), rule(2, FreeShipping()), gift_rule(3)]
    cart = price([line(unit_price=5000)], rules)
    assert sorted(applied_ids(cart)) == [1, 2, 3]


def test_exclusive_rule_with_bigger_saving_beats_the_combinable_ones():
    rules = [
        rule(1, PercentOff(10), label="10% off"),
        rule(2, FreeShipping(), label="Free shipping"),
        rule(3, PercentOff(30), combinable=False, label="WELCOME30"),
    ]
    cart = price([line(unit_price=10000)], rules)
    assert applied_ids(cart) == [3]
    assert cart.total == 7000
    assert reason(cart, 1) == "Not combinable with 'WELCOME30' which gives a bigger saving"
    assert reason(cart, 2) == "Not combinable with 'WELCOME30' which gives a bigger saving"


def test_combinable_group_with_bigger_saving_beats_an_exclusive_rule():
    rules = [
        rule(1, PercentOff(10), label="10% off"),
        rule(2, FixedAmountOff(1500), label="$15 off"),
        rule(3, PercentOff(20), combinable=False, label="WELCOME20"),
    ]
    cart = price([line(unit_price=10000)], rules)
    assert sorted(applied_ids(cart)) == [1, 2]
    assert reason(cart, 3) == (
        "Not combinable with '10% off' and '$15 off' which together give a bigger saving"
    )


def test_gift_value_counts_as_benefit():
    rules = [gift_rule(1), rule(2, PercentOff(50), combinable=False)]
    cart = price([line(unit_price=10000)], rules)  # $245 gift beats $50 off
    assert applied_ids(cart) == [1]


def test_two_exclusive_rules_best_one_wins():
    rules = [
        rule(1, PercentOff(10), combinable=False, priority=50),
        rule(2, PercentOff(15), combinable=False),
    ]
    cart = price([line(unit_price=10000)], rules)
    assert applied_ids(cart) == [2]


def test_equal_saving_goes_to_higher_priority_then_lower_id():
    rules = [
        rule(5, FixedAmountOff(1000), combinable=False, priority=1, label="A"),
        rule(4, PercentOff(10), combinable=False, priority=2, label="B"),
    ]
    cart = price([line(unit_price=10000)], rules)
    assert applied_ids(cart) == [4]
    assert reason(cart, 5) == "Not combinable with 'B' which takes priority"
    same_priority = [
        rule(5, FixedAmountOff(1000), combinable=False, label="A"),
        rule(4, PercentOff(10), combinable=False, label="B"),
        rule(6, FixedAmountOff(1000), label="C"),
    ]
    assert applied_ids(price([line(unit_price=10000)], same_priority)) == [4]


def test_result_does_not_depend_on_rule_input_order():
    rules = [
        rule(1, PercentOff(10), priority=1),
        rule(2, FixedAmountOff(333), priority=1),
        rule(3, PercentOff(20), combinable=False, priority=1),
        gift_rule(4, MinSubtotal(5000)),
    ]
    lines = [line("a", 3, 1999), line("b", 1, 2500, 2)]
    first = price(lines, rules)
    assert price(lines, rules[::-1]) == first
    assert price(lines, [rules[2], rules[0], rules[3], rules[1]]) == first


def test_explanations_come_one_per_rule_in_rule_order():
    rules = [rule(1, FreeShipping(), priority=1), rule(2, FreeShipping(), priority=9)]
    cart = price([line()], rules)
    assert [e.rule_id for e in cart.explanations] == [2, 1]
    assert all(e.applied for e in cart.explanations)


# ============================================================================ codes


def code_result(cart: PricedCart):
    (result,) = cart.code_results
    return result.code, result.status, result.message


def test_code_applied():
    coded = rule(1, PercentOff(10), code="WELCOME10", label="10% off your order")
    cart = price([line()], [coded], entered_codes=(" welcome10 ",))
    assert code_result(cart) == (
        "welcome10",
        CodeStatus.APPLIED,
        "Code welcome10 applied: 10% off your order",
    )


def test_gift_code_applied_message_carries_the_value():
    cart = price([line()], [gift_rule(1, code="GIFT")], entered_codes=("GIFT",))
    assert code_result(cart)[2] == "Code GIFT applied: FREE device & serum ($245.00 value)"


def test_code_unknown():
    cart = price([line()], [rule(1, PercentOff(10), code="REAL")], entered_codes=("FAKE",))
    assert code_result(cart) == ("FAKE", CodeStatus.UNKNOWN, "We don't recognize the code FAKE")


def test_code_expired():
    coded = rule(1, PercentOff(10), DateWindow(ends_at=NOW), code="SPRING")
    cart = price([line()], [coded], entered_codes=("SPRING",))
    assert code_result(cart) == ("SPRING", CodeStatus.EXPIRED, "Code SPRING has expired")


def test_code_not_started():
    coded = rule(1, PercentOff(10), DateWindow(starts_at=NOW + TICK), code="XMAS")
    cart = price([line()], [coded], entered_codes=("XMAS",))
    assert code_result(cart) == ("XMAS", CodeStatus.NOT_STARTED, "Code XMAS is not active yet")


def test_code_used_up_by_everyone():
    coded = rule(1, PercentOff(10), code="FIRST100", usage_exhausted=True)
    cart = price([line()], [coded], entered_codes=("FIRST100",))
    assert code_result(cart) == (
        "FIRST100",
        CodeStatus.USED_UP,
        "Code FIRST100 has reached its usage limit",
    )


def test_code_used_up_by_this_shopper():
    coded = rule(1, PercentOff(10), code="ONCE", usage_exhausted_for_email=True)
    cart = price([line()], [coded], entered_codes=("ONCE",))
    assert code_result(cart) == ("ONCE", CodeStatus.USED_UP, "You have already used code ONCE")
    assert reason(cart, 1) == "You have already used this offer"


def test_code_expired_wins_over_used_up():
    coded = rule(1, PercentOff(10), DateWindow(ends_at=NOW), code="OLD", usage_exhausted=True)
    cart = price([line()], [coded], entered_codes=("OLD",))
    assert code_result(cart)[1] is CodeStatus.EXPIRED


def test_code_conditions_not_met():
    coded = rule(1, PercentOff(10), MinSubtotal(10000), code="BIG")
    cart = price([line(unit_price=7700)], [coded], entered_codes=("BIG",))
    assert code_result(cart) == (
        "BIG",
        CodeStatus.CONDITIONS_NOT_MET,
        "Code BIG was not applied: subtotal $77.00 is below $100.00",
    )


def test_combinable_code_losing_to_an_exclusive_rule_is_not_combinable():
    rules = [
        rule(1, PercentOff(10), code="TEN", label="10% off"),
        rule(2, PercentOff(30), combinable=False, label="Summer sale 30% off"),
    ]
    cart = price([line(unit_price=10000)], rules, entered_codes=("TEN",))
    assert code_result(cart) == (
        "TEN",
        CodeStatus.NOT_COMBINABLE,
        "Code TEN was not applied: not combinable with 'Summer sale 30% off' "
        "which gives a bigger saving",
    )


def test_exclusive_code_displaced_by_a_better_candidate_is_not_combinable():
    rules = [
        rule(1, PercentOff(10), code="WELCOME10", combinable=False, label="WELCOME10"),
        rule(2, PercentOff(25), label="25% off everything"),
    ]
    cart = price([line(unit_price=10000)], rules, entered_codes=("welcome10",))
    assert code_result(cart)[1] is CodeStatus.NOT_COMBINABLE
    assert reason(cart, 1) == (
        "Not combinable with '25% off everything' which gives a bigger saving"
    )


def test_exclusive_code_beating_the_automatic_rules_is_applied():
    rules = [
        rule(1, PercentOff(30), code="VIP", combinable=False, label="VIP 30%"),
        rule(2, PercentOff(10)),
    ]
    cart = price([line(unit_price=10000)], rules, entered_codes=("VIP",))
    assert code_result(cart)[1] is CodeStatus.APPLIED
    assert applied_ids(cart) == [1]


def test_declined_gift_code_reports_conditions_not_met():
    cart = price(
        [line()], [gift_rule(1, code="GIFT")], entered_codes=("GIFT",), declined_gift_rule_ids={1}
    )
    assert code_result(cart) == (
        "GIFT",
        CodeStatus.CONDITIONS_NOT_MET,
        "Code GIFT was not applied: declined by the shopper",
    )


def test_out_of_stock_gift_code_says_so():
    empty = GiftOption(900, 90, "Device & Serum", 24500, available=0)
    cart = price([line()], [gift_rule(1, gifts=(empty,), code="GIFT")], entered_codes=("GIFT",))
    assert code_result(cart) == (
        "GIFT",
        CodeStatus.CONDITIONS_NOT_MET,
        "Code GIFT was not applied: the free gift is out of stock",
    )


def test_codes_are_reported_once_each_in_entered_order():
    rules = [rule(1, FreeShipping(), code="SHIP"), rule(2, PercentOff(5), code="FIVE")]
    cart = price([line()], rules, entered_codes=("five", "", "SHIP", "FIVE", "nope"))
    assert [(r.code, r.status) for r in cart.code_results] == [
        ("five", CodeStatus.APPLIED),
        ("SHIP", CodeStatus.APPLIED),
        ("nope", CodeStatus.UNKNOWN),
    ]


def test_code_shared_by_two_rules_reports_the_most_hopeful():
    rules = [
        rule(1, PercentOff(10), DateWindow(ends_at=NOW), code="SALE"),
        rule(2, PercentOff(10), DateWindow(starts_at=NOW), code="SALE"),
    ]
    cart = price([line()], rules, entered_codes=("SALE",))
    assert code_result(cart)[1] is CodeStatus.APPLIED


def test_code_through_code_entered_condition_is_reported():
    coded = rule(1, PercentOff(10), CodeEntered("Hello"), label="Hello 10%")
    cart = price([line()], [coded], entered_codes=("HELLO",))
    assert code_result(cart) == ("HELLO", CodeStatus.APPLIED, "Code HELLO applied: Hello 10%")


# ========================================================================= progress


def test_progress_towards_a_gift():
    cart = price([line(unit_price=7700)], [gift_rule(1, MinSubtotal(10000))])
    assert [(p.rule_id, p.remaining, p.message) for p in cart.progress] == [
        (1, 2300, "Spend $23.00 more to unlock the FREE device & serum ($245.00 value)")
    ]


def test_progress_towards_a_gift_from_an_empty_cart():
    cart = price([], [gift_rule(1, MinSubtotal(15000))])
    assert [(p.rule_id, p.remaining, p.message) for p in cart.progress] == [
        (1, 15000, "Spend $150.00 more to unlock the FREE device & serum ($245.00 value)")
    ]
    assert not any(line.is_gift for line in cart.lines)


def test_progress_towards_a_discount_and_sorted_by_nearest():
    rules = [
        rule(1, PercentOff(10), MinSubtotal(20000), label="10% off", priority=9),
        rule(2, FreeShipping(), MinSubtotal(5000), label="free shipping"),
    ]
    cart = price([line(unit_price=4999)], rules)
    assert [(p.rule_id, p.remaining, p.message) for p in cart.progress] == [
        (2, 1, "Spend $0.01 more to unlock free shipping"),
        (1, 15001, "Spend $150.01 more to unlock 10% off"),
    ]


def test_no_progress_once_unlocked_or_when_other_conditions_fail():
    rules = [
        rule(1, FreeShipping(), MinSubtotal(5000)),
        rule(2, FreeShipping(), MinSubtotal(20000), FirstOrder()),
        rule(3, FreeShipping(), MinSubtotal(20000), code="SECRET"),
        rule(4, FreeShipping(), MinSubtotal(20000), DateWindow(ends_at=NOW)),
    ]
    cart = price([line(unit_price=5000)], rules, is_first_order=False)
    assert cart.progress == ()


def test_progress_for_a_code_rule_once_its_code_is_entered():
    coded = rule(1, FreeShipping(), MinSubtotal(20000), code="SECRET", label="free shipping")
    cart = price([line(unit_price=5000)], [coded], entered_codes=("secret",))
    assert [p.remaining for p in cart.progress] == [15000]


def test_no_progress_for_an_out_of_stock_gift():
    empty = GiftOption(900, 90, "Device & Serum", 24500, available=0)
    cart = price([line()], [gift_rule(1, MinSubtotal(10000), gifts=(empty,))])
    assert cart.progress == ()
