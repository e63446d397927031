"""Price a cart against promotion rules: one pure function, ``price_cart``.

Why pure: the cart page, the JSON cart API, checkout and the admin preview must all agree
on a price, and a test must be able to check that price without an app or a database.
So the engine reads only its arguments (frozen values from ``rules.py``, ``now``, and an
injected money formatter) and returns frozen values; it never mutates what it is given.

How a price is decided
======================

1. Order. Rules are considered highest ``priority`` first, then lowest ``id``. Nothing
   depends on the order the rules or the lines were passed in.

2. Applicability. A rule is applicable when its date window covers ``now``, it is not used
   up, every code it needs was entered (case-insensitively), every condition holds on the
   shopper's own lines, and its reward can do something: a gift that was not declined, is
   in stock and has a quantity of at least one; a discount with something to discount.

3. Candidates. All applicable *combinable* rules together form one candidate. Every
   applicable *non-combinable* rule is a candidate on its own.

4. Benefit. Each candidate is priced in full: discounts apply in rule order, each on what
   earlier rules left of every line, so no line goes below zero; gifts draw on a shared
   stock count, so two rules cannot give away the same last unit. Benefit to the shopper
   is the money taken off plus the reference value of the gifts.

5. Winner. The candidate with the biggest benefit wins. Ties go to the candidate whose
   first rule has the higher priority, then the lower id. Rules of losing candidates are
   reported as not combinable with the winner (a code among them gets status
   ``not_combinable``).

Rounding. A percentage is taken per line, rounded half up. A fixed amount is spread over
the lines in proportion to what is left of each: every line gets the floor of its share,
and the cents left over go one each to the lines with the largest remainders, ties broken
by line key. Both are exact to the cent and independent of line order.

Gift lines are created here only. They come after the shopper's lines, cost nothing, carry
their reference value in ``gift_value`` and are never discounted by another rule. When the
primary gift lacks stock the first backup with enough stock is given ('gift_backup'); if
none has enough, the first option with some stock gives what it has ('gift_out_of_stock'
says how many); if none has any, there is no line ('gift_out_of_stock'). 'gift_added' is
only for gifts whose rule had no gift line before; 'gift_removed' is for rules that had
one (``previous_gift_rule_ids``), have none now and were not declined, with the reason.
An empty cart never earns a gift.

Shopper-facing texts never name a code the shopper has not typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import itemgetter

from shop.promotions.rules import (
    CartLineInput,
    CodeEntered,
    ContainsProducts,
    ContainsVariants,
    DateWindow,
    FirstOrder,
    FixedAmountOff,
    FreeGift,
    GiftOption,
    MinSubtotal,
    PercentOff,
    Rule,
    ShopperContext,
    normalize_code,
)

__all__ = [
    "GIFT_KEY_PREFIX",
    "Adjustment",
    "AppliedPromotion",
    "CodeResult",
    "CodeStatus",
    "Explanation",
    "Notice",
    "NoticeKind",
    "PricedCart",
    "PricedLine",
    "Progress",
    "price_cart",
    "threshold_base",
]

GIFT_KEY_PREFIX = "gift-"
"""Gift line keys look like ``gift-<rule id>-<variant id>``; shopper keys may not start so."""


# =========================================================================== results


@dataclass(frozen=True, slots=True)
class Adjustment:
    """Money one rule took off one line."""

    rule_id: int
    label: str
    amount: int


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A cart line after promotions.

    ``unit_price`` and ``line_price`` are what the shopper would pay without promotions;
    for a gift line that is the gift's reference price, which is also ``gift_value``.
    ``final_unit_price`` is ``None`` when the line's discount does not split evenly into
    whole cents per unit (then only ``final_line_price`` is exact).
    """

    key: str
    variant_id: int
    product_id: int
    title: str
    quantity: int
    unit_price: int
    line_price: int
    final_line_price: int
    final_unit_price: int | None
    adjustments: tuple[Adjustment, ...] = ()
    is_gift: bool = False
    gift_value: int = 0
    gift_rule_id: int | None = None


@dataclass(frozen=True, slots=True)
class AppliedPromotion:
    """A rule that changed the cart.

    ``amount`` is the shopper's benefit: money off for a discount, the reference value for
    a gift, zero for free shipping. ``qualifying_line_keys`` are sorted.
    """

    rule_id: int
    version: int
    label: str
    amount: int
    qualifying_line_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a rule did or did not apply, in plain English (one per rule)."""

    rule_id: int
    applied: bool
    reason: str


class NoticeKind(StrEnum):
    """Things about gifts the shopper should be told after a cart change."""

    GIFT_ADDED = "gift_added"
    GIFT_REMOVED = "gift_removed"
    GIFT_OUT_OF_STOCK = "gift_out_of_stock"
    GIFT_BACKUP = "gift_backup"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    rule_id: int
    message: str


@dataclass(frozen=True, slots=True)
class Progress:
    """How much more the shopper needs to spend to unlock a rule."""

    rule_id: int
    remaining: int
    message: str


class CodeStatus(StrEnum):
    """What happened to a code the shopper entered."""

    APPLIED = "applied"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    USED_UP = "used_up"
    NOT_COMBINABLE = "not_combinable"
    CONDITIONS_NOT_MET = "conditions_not_met"


@dataclass(frozen=True, slots=True)
class CodeResult:
    """One entered code (as typed, trimmed), its status and a message for the shopper."""

    code: str
    status: CodeStatus
    message: str


@dataclass(frozen=True, slots=True)
class PricedCart:
    """The whole answer. ``total == sum(line.final_line_price for line in lines)``."""

    lines: tuple[PricedLine, ...]
    subtotal: int
    total_discount: int
    total: int
    free_shipping: bool
    applied: tuple[AppliedPromotion, ...]
    explanations: tuple[Explanation, ...]
    notices: tuple[Notice, ...]
    progress: tuple[Progress, ...]
    code_results: tuple[CodeResult, ...]


# ==================================================================== threshold base


def threshold_base(subtotal: int, *, paid: int | None = None, refunded: int = 0) -> int:
    """What the shopper's own lines count toward a minimum-subtotal threshold.

    ``subtotal`` is those lines at their prices before any discount (gift lines never
    count). That is the base when a cart is priced: a discount code must not take away
    a gift or free shipping the cart has earned, so ``MinSubtotal`` is checked on it.

    After a refund the base is what the merchandise the shopper keeps counts for, and
    the refund rule (a kept gift is paid for once the rest falls below its threshold)
    asks this function rather than working it out itself. A refund is money, and money
    was paid after discounts: ``paid`` is what the shopper paid for those lines (the
    subtotal less its discounts; the subtotal itself when omitted) and ``refunded`` is
    all the money given back so far. Every unit of money paid stood for
    ``subtotal / paid`` of the base, so

        base = subtotal * (paid - refunded) / paid, rounded half up.

    A refund does not say which lines came back, so money maps back at the order's
    overall discount rate: under an order-wide percentage, giving back what a line was
    paid for takes exactly that line's pre-discount price off the base. For the same
    reason a refund counts as merchandise money until all of that is refunded; beyond
    it (the shipping) the base stays at zero. When nothing was paid for the merchandise
    (100% off), no refund can be of it and the base stays the subtotal.
    """
    paid = subtotal if paid is None else paid
    if paid <= 0:
        return subtotal
    kept = paid - min(max(refunded, 0), paid)
    return (2 * subtotal * kept + paid) // (2 * paid)


# ========================================================================= internals

MoneyFormatter = Callable[[int], str]

# Why a rule cannot apply. Kinds matter for code statuses and for progress messages.
_EXPIRED = "expired"
_NOT_STARTED = "not_started"
_USED_UP = "used_up"
_USED_BY_SHOPPER = "used_by_shopper"
_SUBTOTAL = "subtotal"
_DECLINED = "declined"
_OUT_OF_STOCK = "out_of_stock"
_EMPTY = "empty"
_OTHER = "other"

_CODE_STATUS_BY_KIND = {
    _EXPIRED: CodeStatus.EXPIRED,
    _NOT_STARTED: CodeStatus.NOT_STARTED,
    _USED_UP: CodeStatus.USED_UP,
    _USED_BY_SHOPPER: CodeStatus.USED_UP,
}

# When several rules share one code, the shopper hears about the most hopeful of them.
_CODE_STATUS_RANK = {
    CodeStatus.APPLIED: 0,
    CodeStatus.NOT_COMBINABLE: 1,
    CodeStatus.CONDITIONS_NOT_MET: 2,
    CodeStatus.USED_UP: 3,
    CodeStatus.NOT_STARTED: 4,
    CodeStatus.EXPIRED: 5,
}


@dataclass(frozen=True, slots=True)
class _Failure:
    """One reason a rule cannot apply.

    ``reason`` is the explanation ("Subtotal $77.00 is below $100.00"); ``removal`` ends
    the sentence "Your free X was removed: ..." ("your subtotal is now below $100.00").
    """

    kind: str
    reason: str
    removal: str
    shortfall: int = 0


@dataclass(slots=True)
class _Cart:
    """Facts about the shopper's lines, computed once per pricing."""

    lines: Sequence[CartLineInput]
    amounts: list[int]
    subtotal: int
    units: int
    product_units: dict[int, int]
    variant_units: dict[int, int]
    key_order: list[int]  # line indices sorted by key: the order-independent tie-breaker
    sorted_keys: tuple[str, ...]


@dataclass(slots=True)
class _Assessment:
    """A rule measured against the cart, before combination."""

    rule: Rule
    codes: frozenset[str]
    failures: list[_Failure]
    gift_quantity: int = 0
    scope: list[int] | None = None  # line indices a product-scoped PercentOff works on


@dataclass(slots=True)
class _Effect:
    """What one rule of a candidate did (cuts per line, or a gift option and quantity)."""

    assessment: _Assessment
    amount: int
    cuts: list[int] | None = None
    gift: GiftOption | None = None
    gift_quantity: int = 0

    @property
    def starved(self) -> bool:
        """A gift rule that found no stock left once earlier rules took theirs."""
        return isinstance(self.assessment.rule.reward, FreeGift) and self.gift is None


@dataclass(slots=True)
class _Outcome:
    """A candidate priced in full."""

    effects: list[_Effect]
    remaining: list[int]
    benefit: int

    def rank(self) -> tuple[int, int, int]:
        lead = self.effects[0].assessment.rule
        return (self.benefit, lead.priority, -lead.id)


def _rule_order(rule: Rule) -> tuple[int, int]:
    return (-rule.priority, rule.id)


def _memoized(format_money: MoneyFormatter) -> MoneyFormatter:
    """Format each amount once per pricing: the app's Babel formatter is not cheap."""
    cache: dict[int, str] = {}

    def fmt(amount: int) -> str:
        text = cache.get(amount)
        if text is None:
            text = cache[amount] = format_money(amount)
        return text

    return fmt


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _quote_labels(labels: Sequence[str]) -> str:
    quoted = [f"'{label}'" for label in labels]
    if not quoted:
        return "another offer"
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _survey(lines: Sequence[CartLineInput]) -> _Cart:
    amounts = [line.unit_price * line.quantity for line in lines]
    product_units: dict[int, int] = {}
    variant_units: dict[int, int] = {}
    units = 0
    for line in lines:
        units += line.quantity
        product_units[line.product_id] = product_units.get(line.product_id, 0) + line.quantity
        variant_units[line.variant_id] = variant_units.get(line.variant_id, 0) + line.quantity
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise ValueError("cart line keys must be unique")
    if any(key.startswith(GIFT_KEY_PREFIX) for key in keys):
        raise ValueError(f"shopper line keys may not start with {GIFT_KEY_PREFIX!r}")
    key_order = sorted(range(len(keys)), key=keys.__getitem__)
    sorted_keys = tuple(keys[i] for i in key_order)
    return _Cart(
        lines, amounts, sum(amounts), units, product_units, variant_units, key_order, sorted_keys
    )


def _units_of(ids: frozenset[int], units_by_id: dict[int, int]) -> int:
    """Units in the cart whose id is in ``ids`` (walks the smaller of the two)."""
    if len(ids) <= len(units_by_id):
        return sum(units_by_id.get(i, 0) for i in ids)
    return sum(units for i, units in units_by_id.items() if i in ids)


def _contains_conditions(rule: Rule) -> list[ContainsProducts | ContainsVariants]:
    return [c for c in rule.conditions if isinstance(c, ContainsProducts | ContainsVariants)]


def _matching_units(condition: ContainsProducts | ContainsVariants, cart: _Cart) -> int:
    if isinstance(condition, ContainsProducts):
        return _units_of(condition.product_ids, cart.product_units)
    return _units_of(condition.variant_ids, cart.variant_units)


def _gift_quantity(rule: Rule, reward: FreeGift, cart: _Cart) -> int:
    """One gift, or one per ``per_units`` qualifying units up to ``max_quantity``.

    With several Contains conditions the scarcest one decides: every gift must be backed
    by every condition.
    """
    if reward.per_units is None:
        return 1 if cart.units else 0
    qualifying = cart.units
    for condition in _contains_conditions(rule):
        qualifying = min(qualifying, _matching_units(condition, cart))
    return min(qualifying // reward.per_units, reward.max_quantity)


def _pick_gift(
    reward: FreeGift, quantity: int, taken: dict[int, int]
) -> tuple[GiftOption | None, int]:
    """The first option with enough stock; else the first with some (a smaller gift)."""
    partial: tuple[GiftOption | None, int] = (None, 0)
    for option in reward.gifts:
        left = option.available - taken.get(option.variant_id, 0)
        if left >= quantity:
            return option, quantity
        if left > 0 and partial[0] is None:
            partial = (option, left)
    return partial


def _condition_failure(
    condition: object, cart: _Cart, context: ShopperContext, fmt: MoneyFormatter
) -> _Failure | None:
    """Check one cart/shopper condition; dates and codes are checked by the caller."""
    if isinstance(condition, MinSubtotal):
        base = threshold_base(cart.subtotal)
        if base >= condition.amount:
            return None
        return _Failure(
            _SUBTOTAL,
            f"Subtotal {fmt(base)} is below {fmt(condition.amount)}",
            f"your subtotal is now below {fmt(condition.amount)}",
            shortfall=condition.amount - base,
        )
    if isinstance(condition, ContainsProducts | ContainsVariants):
        have = _matching_units(condition, cart)
        if have >= condition.min_quantity:
            return None
        noun = "products" if isinstance(condition, ContainsProducts) else "items"
        if condition.min_quantity == 1:
            reason = f"Needs one of the qualifying {noun} in the cart"
        else:
            reason = (
                f"Needs {condition.min_quantity} of the qualifying {noun} in the cart (has {have})"
            )
        return _Failure(_OTHER, reason, f"your cart no longer has the qualifying {noun}")
    if isinstance(condition, FirstOrder):
        if context.is_first_order is True:
            return None
        if context.is_first_order is None:
            return _Failure(
                _OTHER,
                "Only for a first order, and we don't know your email yet",
                "we can't tell yet whether this is your first order",
            )
        return _Failure(_OTHER, "Only for a first order", "it is only for a first order")
    return None


def _assess(
    rule: Rule,
    cart: _Cart,
    entered: set[str],
    context: ShopperContext,
    now: datetime,
    fmt: MoneyFormatter,
) -> _Assessment:
    """Every reason ``rule`` cannot apply to this cart.

    Order matters, as the first reason is the one explained: the shopper's own decline,
    then dates, usage limits, codes, the rule's conditions as declared, and last whether
    the reward has anything to give.
    """
    failures: list[_Failure] = []
    reward = rule.reward
    if isinstance(reward, FreeGift) and rule.id in context.declined_gift_rule_ids:
        # The shopper's choice sticks whatever else changes, so it is the reason we give.
        failures.append(_Failure(_DECLINED, "Declined by the shopper", "you declined it"))
    for condition in rule.conditions:
        if isinstance(condition, DateWindow):
            if condition.starts_at is not None and now < condition.starts_at:
                failures.append(
                    _Failure(
                        _NOT_STARTED,
                        "This offer has not started yet",
                        "the offer has not started yet",
                    )
                )
            elif condition.ends_at is not None and now >= condition.ends_at:
                failures.append(_Failure(_EXPIRED, "This offer has ended", "the offer has ended"))
    if rule.usage_exhausted:
        failures.append(
            _Failure(
                _USED_UP,
                "This offer has reached its usage limit",
                "the offer has reached its usage limit",
            )
        )
    elif rule.usage_exhausted_for_email:
        failures.append(
            _Failure(
                _USED_BY_SHOPPER,
                "You have already used this offer",
                "you have already used this offer",
            )
        )
    codes = rule.codes
    if not codes <= entered:
        # Never name the code: explanations may be shown to shoppers.
        failures.append(
            _Failure(_OTHER, "Needs its promo code to be entered", "its promo code was removed")
        )
    for condition in rule.conditions:
        if not isinstance(condition, DateWindow | CodeEntered):
            failure = _condition_failure(condition, cart, context, fmt)
            if failure is not None:
                failures.append(failure)

    assessment = _Assessment(rule, codes, failures)
    if isinstance(reward, FreeGift):
        quantity = _gift_quantity(rule, reward, cart)
        assessment.gift_quantity = quantity
        if cart.units == 0:
            failures.append(_Failure(_EMPTY, "Your cart is empty", "your cart is empty"))
        elif quantity == 0:
            failures.append(
                _Failure(
                    _OTHER,
                    f"Needs {reward.per_units} qualifying items for a free gift",
                    "your cart no longer has enough qualifying items",
                )
            )
        elif all(option.available <= 0 for option in reward.gifts):
            failures.append(
                _Failure(_OUT_OF_STOCK, "The free gift is out of stock", "it is out of stock")
            )
    elif isinstance(reward, PercentOff) and reward.product_ids is not None:
        ids = reward.product_ids
        scope = [i for i, line in enumerate(cart.lines) if line.product_id in ids]
        assessment.scope = scope
        if not any(cart.amounts[i] for i in scope):
            failures.append(
                _Failure(
                    _OTHER,
                    "None of the discounted products are in the cart",
                    "none of the discounted products are in your cart",
                )
            )
    elif isinstance(reward, PercentOff | FixedAmountOff) and cart.subtotal == 0:
        failures.append(
            _Failure(_OTHER, "Nothing in the cart to discount", "there is nothing to discount")
        )
    return assessment


def _spread(amount: int, remaining: list[int], key_order: list[int]) -> list[int]:
    """Split ``amount`` over lines in proportion to ``remaining``, exact to the cent.

    Largest remainder method: each line gets the floor of its exact share; the cents still
    missing go to the lines with the largest fractional parts, ties broken by line key.
    As ``amount <= sum(remaining)``, no line gets more than it has left.
    """
    cuts = [0] * len(remaining)
    base = sum(remaining)
    if amount <= 0 or base <= 0:
        return cuts
    given = 0
    leftovers: list[tuple[int, int]] = []
    for i in key_order:
        share, fraction = divmod(amount * remaining[i], base)
        cuts[i] = share
        given += share
        if fraction:
            leftovers.append((-fraction, i))
    missing = amount - given
    if missing:
        leftovers.sort(key=itemgetter(0))  # stable: equal fractions stay in key order
        for _, i in leftovers[:missing]:
            cuts[i] += 1
    return cuts


def _run(members: list[_Assessment], cart: _Cart) -> _Outcome:
    """Price one candidate: its rules in order, each on what the previous ones left."""
    remaining = cart.amounts.copy()
    taken: dict[int, int] = {}
    effects: list[_Effect] = []
    benefit = 0
    for assessment in members:
        reward = assessment.rule.reward
        if isinstance(reward, FreeGift):
            option, quantity = _pick_gift(reward, assessment.gift_quantity, taken)
            value = 0
            if option is not None:
                taken[option.variant_id] = taken.get(option.variant_id, 0) + quantity
                value = option.reference_price * quantity
            effects.append(_Effect(assessment, value, gift=option, gift_quantity=quantity))
            benefit += value
            continue
        if isinstance(reward, PercentOff):
            percent = reward.percent
            if assessment.scope is None:
                cuts = [(left * percent + 50) // 100 for left in remaining]
                remaining = [left - cut for left, cut in zip(remaining, cuts, strict=True)]
            else:
                cuts = [0] * len(remaining)
                for i in assessment.scope:
                    cut = (remaining[i] * percent + 50) // 100
                    cuts[i] = cut
                    remaining[i] -= cut
        elif isinstance(reward, FixedAmountOff):
            cuts = _spread(min(reward.amount, sum(remaining)), remaining, cart.key_order)
            remaining = [left - cut for left, cut in zip(remaining, cuts, strict=True)]
        else:  # FreeShipping: no money moves here
            effects.append(_Effect(assessment, 0))
            continue
        amount = sum(cuts)
        effects.append(_Effect(assessment, amount, cuts=cuts))
        benefit += amount
    return _Outcome(effects, remaining, benefit)


def _applied_label(effect: _Effect, fmt: MoneyFormatter) -> str:
    """The rule's label; for a gift, with its value computed, never typed."""
    label = effect.assessment.rule.label
    if effect.gift is not None:
        return f"{label} ({fmt(effect.amount)} value)"
    return label


def _qualifying_keys(assessment: _Assessment, cart: _Cart) -> tuple[str, ...]:
    """Lines a scoped discount worked on; else lines its Contains conditions matched; else all."""
    lines = cart.lines
    if assessment.scope is not None:
        in_scope = set(assessment.scope)
        return tuple(lines[i].key for i in cart.key_order if i in in_scope)
    contains = _contains_conditions(assessment.rule)
    if not contains:
        return cart.sorted_keys
    keys = []
    for i in cart.key_order:
        line = lines[i]
        for condition in contains:
            if isinstance(condition, ContainsProducts):
                matched = line.product_id in condition.product_ids
            else:
                matched = line.variant_id in condition.variant_ids
            if matched:
                keys.append(line.key)
                break
    return tuple(keys)


def _primary_title(rule: Rule) -> str:
    reward = rule.reward
    assert isinstance(reward, FreeGift)
    return reward.gifts[0].title


def _out_of_stock_notice(rule: Rule) -> Notice:
    return Notice(
        NoticeKind.GIFT_OUT_OF_STOCK,
        rule.id,
        f"Sorry, the free {_primary_title(rule)} is out of stock, so we couldn't add it",
    )


def _gift_notice(effect: _Effect, context: ShopperContext, fmt: MoneyFormatter) -> Notice | None:
    """Tell the shopper about a gift line: newly added, a backup, or fewer than earned."""
    rule = effect.assessment.rule
    reward = rule.reward
    option = effect.gift
    assert option is not None and isinstance(reward, FreeGift)
    wanted = effect.assessment.gift_quantity
    if effect.gift_quantity < wanted:
        return Notice(
            NoticeKind.GIFT_OUT_OF_STOCK,
            rule.id,
            f"Only {effect.gift_quantity} free {option.title} left in stock, "
            f"so we added {effect.gift_quantity} instead of {wanted}",
        )
    primary = reward.gifts[0]
    if option is not primary:
        return Notice(
            NoticeKind.GIFT_BACKUP,
            rule.id,
            f"{primary.title} is out of stock, "
            f"so we added {option.title} as your free gift instead",
        )
    if rule.id not in context.previous_gift_rule_ids:
        return Notice(
            NoticeKind.GIFT_ADDED,
            rule.id,
            f"Free {option.title} added to your cart ({fmt(effect.amount)} value)",
        )
    return None


def _progress_for(assessment: _Assessment, fmt: MoneyFormatter) -> Progress | None:
    """'Spend $X more' only when the subtotal is all that stands in the rule's way.

    An empty cart counts as "spend the whole threshold": product pages and the
    announcement bar show the way to a gift before anything is in the cart.
    """
    failures = assessment.failures
    subtotal_failures = [f for f in failures if f.kind == _SUBTOTAL]
    if not subtotal_failures or any(f.kind not in (_SUBTOTAL, _EMPTY) for f in failures):
        return None
    shortfall = max(f.shortfall for f in subtotal_failures)
    rule = assessment.rule
    reward = rule.reward
    if isinstance(reward, FreeGift):
        option, quantity = _pick_gift(reward, max(assessment.gift_quantity, 1), {})
        if option is None:
            return None
        value = option.reference_price * quantity
        target = f"the {rule.label} ({fmt(value)} value)"
    else:
        target = rule.label
    return Progress(rule.id, shortfall, f"Spend {fmt(shortfall)} more to unlock {target}")


# ============================================================================ engine


def price_cart(
    lines: Sequence[CartLineInput],
    rules: Iterable[Rule],
    context: ShopperContext,
    now: datetime,
    format_money: MoneyFormatter,
) -> PricedCart:
    """Price ``lines`` under ``rules`` for this shopper at ``now``.

    ``rules`` should be every rule that could be relevant, including coded rules that have
    expired or are used up, so an entered code can be told apart from an unknown one.
    ``format_money`` turns minor units into display text (the app passes a Babel
    formatter); it is only used for messages. See the module docstring for the rules of
    combination and rounding.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    fmt = _memoized(format_money)
    cart = _survey(lines)
    ordered = sorted(rules, key=_rule_order)
    if len({rule.id for rule in ordered}) != len(ordered):
        raise ValueError("rule ids must be unique")
    entered = {normalize_code(code) for code in context.entered_codes}
    entered.discard("")

    assessments = [_assess(rule, cart, entered, context, now, fmt) for rule in ordered]
    applicable = [a for a in assessments if not a.failures]
    candidates = [[a] for a in applicable if not a.rule.combinable]
    together = [a for a in applicable if a.rule.combinable]
    if together:
        candidates.append(together)
    outcomes = [_run(candidate, cart) for candidate in candidates]
    winner = max(outcomes, key=_Outcome.rank) if outcomes else None
    if winner is None:
        winner = _Outcome([], cart.amounts, 0)

    effects_by_rule = {effect.assessment.rule.id: effect for effect in winner.effects}
    lost_reasons = _lost_reasons(outcomes, winner, fmt)
    lines_out, applied, free_shipping = _priced_lines(cart, winner, fmt)
    explanations, notices, progress = _report(
        assessments, effects_by_rule, lost_reasons, context, fmt
    )
    total = sum(winner.remaining)
    return PricedCart(
        lines=lines_out,
        subtotal=cart.subtotal,
        total_discount=cart.subtotal - total,
        total=total,
        free_shipping=free_shipping,
        applied=applied,
        explanations=explanations,
        notices=notices,
        progress=progress,
        code_results=_code_results(context, assessments, effects_by_rule, lost_reasons, fmt),
    )


def _lost_reasons(
    outcomes: list[_Outcome], winner: _Outcome, fmt: MoneyFormatter
) -> dict[int, tuple[str, str]]:
    """For each rule of a losing candidate: (explanation, end of a gift-removed notice).

    A loser either saves less than the winner, or saves as much but ranks lower.
    """
    labels = [_applied_label(effect, fmt) for effect in winner.effects if not effect.starved]
    quoted = _quote_labels(labels)
    alone = len(labels) == 1
    bigger = "gives a bigger saving" if alone else "together give a bigger saving"
    first = "takes priority" if alone else "together take priority"
    reasons: dict[int, tuple[str, str]] = {}
    for outcome in outcomes:
        if outcome is winner:
            continue
        why = bigger if outcome.benefit < winner.benefit else first
        for effect in outcome.effects:
            reasons[effect.assessment.rule.id] = (
                f"Not combinable with {quoted} which {why}",
                f"{quoted} {why} and can't be combined with it",
            )
    return reasons


def _priced_lines(
    cart: _Cart, winner: _Outcome, fmt: MoneyFormatter
) -> tuple[tuple[PricedLine, ...], tuple[AppliedPromotion, ...], bool]:
    """The shopper's lines in their order with the winner's cuts, then the gift lines."""
    adjustments: list[list[Adjustment]] = [[] for _ in cart.lines]
    applied: list[AppliedPromotion] = []
    gift_lines: list[PricedLine] = []
    free_shipping = False
    for effect in winner.effects:
        rule = effect.assessment.rule
        if effect.starved:
            continue
        if effect.cuts is not None:
            for i, cut in enumerate(effect.cuts):
                if cut:
                    adjustments[i].append(Adjustment(rule.id, rule.label, cut))
        elif effect.gift is not None:
            option = effect.gift
            gift_lines.append(
                PricedLine(
                    key=f"{GIFT_KEY_PREFIX}{rule.id}-{option.variant_id}",
                    variant_id=option.variant_id,
                    product_id=option.product_id,
                    title=option.title,
                    quantity=effect.gift_quantity,
                    unit_price=option.reference_price,
                    line_price=effect.amount,
                    final_line_price=0,
                    final_unit_price=0,
                    is_gift=True,
                    gift_value=effect.amount,
                    gift_rule_id=rule.id,
                )
            )
        else:
            free_shipping = True
        applied.append(
            AppliedPromotion(
                rule.id,
                rule.version,
                _applied_label(effect, fmt),
                effect.amount,
                _qualifying_keys(effect.assessment, cart),
            )
        )
    priced: list[PricedLine] = []
    for line, price, final, line_adjustments in zip(
        cart.lines, cart.amounts, winner.remaining, adjustments, strict=True
    ):
        quantity = line.quantity
        # Positional arguments: this runs once per line on every pricing.
        priced.append(
            PricedLine(
                line.key,
                line.variant_id,
                line.product_id,
                line.title,
                quantity,
                line.unit_price,
                price,
                final,
                final // quantity if final % quantity == 0 else None,
                tuple(line_adjustments),
            )
        )
    priced.extend(gift_lines)
    return tuple(priced), tuple(applied), free_shipping


def _report(
    assessments: list[_Assessment],
    effects_by_rule: dict[int, _Effect],
    lost_reasons: dict[int, tuple[str, str]],
    context: ShopperContext,
    fmt: MoneyFormatter,
) -> tuple[tuple[Explanation, ...], tuple[Notice, ...], tuple[Progress, ...]]:
    """One explanation per rule, the gift notices and the progress hints, in rule order."""
    explanations: list[Explanation] = []
    notices: list[Notice] = []
    progress: list[Progress] = []
    previous = context.previous_gift_rule_ids
    for assessment in assessments:
        rule = assessment.rule
        had_gift = isinstance(rule.reward, FreeGift) and rule.id in previous
        effect = effects_by_rule.get(rule.id)
        if assessment.failures:
            first = assessment.failures[0]
            explanations.append(Explanation(rule.id, False, first.reason))
            if first.kind == _OUT_OF_STOCK:
                notices.append(_out_of_stock_notice(rule))
            elif had_gift and first.kind != _DECLINED:
                notices.append(_removed_notice(rule, first.removal))
            step = _progress_for(assessment, fmt)
            if step is not None:
                progress.append(step)
        elif effect is None:
            reason, removal = lost_reasons[rule.id]
            explanations.append(Explanation(rule.id, False, reason))
            if had_gift:
                notices.append(_removed_notice(rule, removal))
        elif effect.starved:
            explanations.append(Explanation(rule.id, False, "The free gift is out of stock"))
            notices.append(_out_of_stock_notice(rule))
        else:
            explanations.append(Explanation(rule.id, True, _applied_reason(effect, fmt)))
            if effect.gift is not None:
                notice = _gift_notice(effect, context, fmt)
                if notice is not None:
                    notices.append(notice)
    # A gift whose rule is no longer even loaded (ended, deleted): still say it went.
    known_ids = {assessment.rule.id for assessment in assessments}
    for rule_id in sorted(previous - known_ids):
        notices.append(
            Notice(
                NoticeKind.GIFT_REMOVED,
                rule_id,
                "Your free gift was removed: the offer is no longer available",
            )
        )
    progress.sort(key=lambda step: step.remaining)  # stable: ties stay in rule order
    return tuple(explanations), tuple(notices), tuple(progress)


def _removed_notice(rule: Rule, removal: str) -> Notice:
    return Notice(
        NoticeKind.GIFT_REMOVED,
        rule.id,
        f"Your free {_primary_title(rule)} was removed: {removal}",
    )


def _applied_reason(effect: _Effect, fmt: MoneyFormatter) -> str:
    if effect.gift is not None:
        return f"Applied: free {effect.gift.title} added ({fmt(effect.amount)} value)"
    if effect.cuts is not None:
        return f"Applied: saves {fmt(effect.amount)}"
    return "Applied: free shipping"


def _code_results(
    context: ShopperContext,
    assessments: list[_Assessment],
    effects_by_rule: dict[int, _Effect],
    lost_reason: dict[int, tuple[str, str]],
    fmt: MoneyFormatter,
) -> tuple[CodeResult, ...]:
    """One result per distinct entered code, in the order the shopper entered them."""
    by_code: dict[str, list[_Assessment]] = {}
    for assessment in assessments:
        for code in assessment.codes:
            by_code.setdefault(code, []).append(assessment)
    results: list[CodeResult] = []
    seen: set[str] = set()
    for typed in context.entered_codes:
        normalized = normalize_code(typed)
        if not normalized or normalized in seen:
            continue
        seen.add(normalized)
        shown = typed.strip()
        matches = by_code.get(normalized)
        if not matches:
            results.append(
                CodeResult(shown, CodeStatus.UNKNOWN, f"We don't recognize the code {shown}")
            )
            continue
        verdicts = [
            _code_verdict(shown, a, effects_by_rule.get(a.rule.id), lost_reason, fmt)
            for a in matches
        ]
        results.append(min(verdicts, key=lambda result: _CODE_STATUS_RANK[result.status]))
    return tuple(results)


def _code_verdict(
    shown: str,
    assessment: _Assessment,
    effect: _Effect | None,
    lost_reason: dict[int, tuple[str, str]],
    fmt: MoneyFormatter,
) -> CodeResult:
    """What one rule carrying the code says about it."""
    failures = assessment.failures
    if failures:
        for failure in failures:
            status = _CODE_STATUS_BY_KIND.get(failure.kind)
            if status is CodeStatus.EXPIRED:
                return CodeResult(shown, status, f"Code {shown} has expired")
            if status is CodeStatus.NOT_STARTED:
                return CodeResult(shown, status, f"Code {shown} is not active yet")
            if status is CodeStatus.USED_UP:
                if failure.kind == _USED_BY_SHOPPER:
                    return CodeResult(shown, status, f"You have already used code {shown}")
                return CodeResult(shown, status, f"Code {shown} has reached its usage limit")
        return CodeResult(
            shown,
            CodeStatus.CONDITIONS_NOT_MET,
            f"Code {shown} was not applied: {_lower_first(failures[0].reason)}",
        )
    if effect is None:
        return CodeResult(
            shown,
            CodeStatus.NOT_COMBINABLE,
            f"Code {shown} was not applied: {_lower_first(lost_reason[assessment.rule.id][0])}",
        )
    if effect.starved:
        return CodeResult(
            shown,
            CodeStatus.CONDITIONS_NOT_MET,
            f"Code {shown} was not applied: the free gift is out of stock",
        )
    return CodeResult(
        shown, CodeStatus.APPLIED, f"Code {shown} applied: {_applied_label(effect, fmt)}"
    )
