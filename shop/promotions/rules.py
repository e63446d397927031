"""Promotion rules and pricing inputs as plain, frozen data.

Why frozen dataclasses and nothing else: the engine in ``engine.py`` must give the same
answer for the same inputs, in a unit test or in a request, without a database or an app.
So everything it reads is an immutable value built here: the shopper's cart lines, the
rules (condition + reward, as in django-oscar's offers), and the shopper's context.
The loader turns database rows into these values; nothing here knows about rows.

Money is always an ``int`` of minor units (cents). Times are timezone-aware.

Validation happens once, when a value is built, so a bad rule fails loudly at load time
rather than pricing a cart strangely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

__all__ = [
    "CartLineInput",
    "CodeEntered",
    "Condition",
    "ContainsProducts",
    "ContainsVariants",
    "DateWindow",
    "FirstOrder",
    "FixedAmountOff",
    "FreeGift",
    "FreeShipping",
    "GiftOption",
    "MinSubtotal",
    "PercentOff",
    "Reward",
    "Rule",
    "ShopperContext",
    "normalize_code",
]


def normalize_code(code: str) -> str:
    """Return the form codes are compared in: shoppers type codes in any case and spacing."""
    return code.strip().casefold()


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class CartLineInput:
    """One line the shopper put in the cart.

    There is deliberately no gift flag: gift lines are only ever created by the engine,
    so no request, however crafted, can produce a free line.
    """

    key: str
    variant_id: int
    product_id: int
    title: str
    quantity: int
    unit_price: int

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a cart line needs a key")
        if self.quantity < 1:
            raise ValueError(f"line {self.key!r}: quantity must be at least 1")
        if self.unit_price < 0:
            raise ValueError(f"line {self.key!r}: unit price cannot be negative")

    @property
    def line_price(self) -> int:
        """Price of the whole line before any promotion."""
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class GiftOption:
    """A variant the store can give away, with what it would cost the shopper to buy it.

    ``available`` is how many units the store can give right now, after what shoppers'
    own lines need; the loader computes it so the engine never reads stock itself.
    """

    variant_id: int
    product_id: int
    title: str
    reference_price: int
    available: int

    def __post_init__(self) -> None:
        if self.reference_price < 0:
            raise ValueError(f"gift {self.title!r}: reference price cannot be negative")


@dataclass(frozen=True, slots=True)
class ShopperContext:
    """What the engine knows about the shopper beyond the cart lines.

    ``previous_gift_rule_ids`` are the rules that had a gift line in the cart before this
    change: only with them can the engine tell the shopper why a gift disappeared.
    ``is_first_order`` is ``None`` while the shopper's email is not known yet.
    """

    entered_codes: tuple[str, ...] = ()
    declined_gift_rule_ids: frozenset[int] = frozenset()
    previous_gift_rule_ids: frozenset[int] = frozenset()
    is_first_order: bool | None = None

    def __post_init__(self) -> None:
        # Callers naturally hold lists and sets; freeze them so the context stays hashable.
        object.__setattr__(self, "entered_codes", tuple(self.entered_codes))
        object.__setattr__(self, "declined_gift_rule_ids", frozenset(self.declined_gift_rule_ids))
        object.__setattr__(self, "previous_gift_rule_ids", frozenset(self.previous_gift_rule_ids))


# ----------------------------------------------------------------------- conditions
# Every condition is evaluated on the shopper's own (non-gift) lines only, so a gift can
# never help unlock another reward.


@dataclass(frozen=True, slots=True)
class MinSubtotal:
    """Pre-discount subtotal of the shopper's lines is at least ``amount`` (inclusive)."""

    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a minimum subtotal cannot be negative")


@dataclass(frozen=True, slots=True)
class ContainsProducts:
    """At least ``min_quantity`` units of any of these products (a bundle is a product)."""

    product_ids: frozenset[int]
    min_quantity: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "product_ids", frozenset(self.product_ids))
        if not self.product_ids:
            raise ValueError("ContainsProducts needs at least one product id")
        if self.min_quantity < 1:
            raise ValueError("ContainsProducts.min_quantity must be at least 1")


@dataclass(frozen=True, slots=True)
class ContainsVariants:
    """At least ``min_quantity`` units of any of these variants."""

    variant_ids: frozenset[int]
    min_quantity: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant_ids", frozenset(self.variant_ids))
        if not self.variant_ids:
            raise ValueError("ContainsVariants needs at least one variant id")
        if self.min_quantity < 1:
            raise ValueError("ContainsVariants.min_quantity must be at least 1")


# Rules every promotion keeps, owned here: the engine refuses anything else, and the
# database constraints and the back office's forms and checks say the same from these.
MIN_PERCENT_OFF = 1
MAX_PERCENT_OFF = 100
PERCENT_OFF_MESSAGE = f"Use a percentage from {MIN_PERCENT_OFF} to {MAX_PERCENT_OFF}."
WINDOW_ORDER_MESSAGE = "The promotion must end after it starts."


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The offer runs from ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    Either end may be open (``None``). Both must be timezone-aware so that comparing them
    with the engine's ``now`` can never silently mix local time and UTC.
    """

    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("DateWindow times must be timezone-aware")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError(WINDOW_ORDER_MESSAGE)


@dataclass(frozen=True, slots=True)
class CodeEntered:
    """The shopper entered this code (compared case-insensitively)."""

    code: str

    def __post_init__(self) -> None:
        if not normalize_code(self.code):
            raise ValueError("CodeEntered needs a non-empty code")


@dataclass(frozen=True, slots=True)
class FirstOrder:
    """The shopper has never ordered before (unknown email means: not met yet)."""


Condition: TypeAlias = (
    MinSubtotal | ContainsProducts | ContainsVariants | DateWindow | CodeEntered | FirstOrder
)
_CONDITION_TYPES = (
    MinSubtotal,
    ContainsProducts,
    ContainsVariants,
    DateWindow,
    CodeEntered,
    FirstOrder,
)


# -------------------------------------------------------------------------- rewards


@dataclass(frozen=True, slots=True)
class FreeGift:
    """Add a free gift line.

    ``gifts[0]`` is the primary gift; the others are backups tried in order when it is out
    of stock. Without ``per_units`` the shopper gets one gift; with ``per_units=N`` one per
    N qualifying units, never more than ``max_quantity``.
    """

    gifts: tuple[GiftOption, ...]
    per_units: int | None = None
    max_quantity: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "gifts", tuple(self.gifts))
        if not self.gifts:
            raise ValueError("FreeGift needs at least one gift option")
        if self.per_units is not None and self.per_units < 1:
            raise ValueError("FreeGift.per_units must be at least 1")
        if self.max_quantity < 1:
            raise ValueError("FreeGift.max_quantity must be at least 1")


@dataclass(frozen=True, slots=True)
class PercentOff:
    """Take ``percent`` off the whole order, or only off lines of ``product_ids``."""

    percent: int
    product_ids: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if not MIN_PERCENT_OFF <= self.percent <= MAX_PERCENT_OFF:
            raise ValueError(PERCENT_OFF_MESSAGE)
        if self.product_ids is not None:
            object.__setattr__(self, "product_ids", frozenset(self.product_ids))
            if not self.product_ids:
                raise ValueError("PercentOff.product_ids, when given, cannot be empty")


@dataclass(frozen=True, slots=True)
class FixedAmountOff:
    """Take ``amount`` off the order, spread over the lines in proportion to their price."""

    amount: int

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError("FixedAmountOff.amount must be positive")


@dataclass(frozen=True, slots=True)
class FreeShipping:
    """Ship the order for free (the engine only flags it; shipping is priced elsewhere)."""


Reward: TypeAlias = FreeGift | PercentOff | FixedAmountOff | FreeShipping
_REWARD_TYPES = (FreeGift, PercentOff, FixedAmountOff, FreeShipping)


# ----------------------------------------------------------------------------- rule


@dataclass(frozen=True, slots=True)
class Rule:
    """A promotion: when every condition holds, the reward applies.

    ``label`` is what the shopper reads ("FREE device & serum"); for gifts the engine
    appends the value itself, so nobody types a price that can drift from the catalogue.
    ``code`` makes the rule a coded rule: it then also needs that code entered, exactly as
    if ``CodeEntered(code)`` were among the conditions. ``usage_exhausted`` and
    ``usage_exhausted_for_email`` are computed by the loader from redemption counts.
    """

    id: int
    version: int
    name: str
    label: str
    conditions: tuple[Condition, ...]
    reward: Reward
    priority: int
    combinable: bool
    code: str | None = None
    usage_exhausted: bool = False
    usage_exhausted_for_email: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(self.conditions))
        for condition in self.conditions:
            if not isinstance(condition, _CONDITION_TYPES):
                raise TypeError(f"rule {self.id}: unknown condition {condition!r}")
        if not isinstance(self.reward, _REWARD_TYPES):
            raise TypeError(f"rule {self.id}: unknown reward {self.reward!r}")
        if not self.label.strip():
            raise ValueError(f"rule {self.id}: a shopper-facing label is required")
        if self.code is not None and not normalize_code(self.code):
            raise ValueError(f"rule {self.id}: code, when given, cannot be blank")

    @property
    def codes(self) -> frozenset[str]:
        """Every code this rule needs, normalized: its own ``code`` and any CodeEntered."""
        found = {normalize_code(c.code) for c in self.conditions if isinstance(c, CodeEntered)}
        if self.code is not None:
            found.add(normalize_code(self.code))
        return frozenset(found)
