"""Shopper-facing sentences about promotions that are not tied to one cart change:
the announcement bar. Pure functions of engine values."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shop.promotions.engine import PricedCart
from shop.promotions.rules import DateWindow, FreeGift, MinSubtotal, Rule


def _is_open(rule: Rule, now) -> bool:
    for condition in rule.conditions:
        if isinstance(condition, DateWindow):
            if condition.starts_at and now < condition.starts_at:
                return False
            if condition.ends_at and now >= condition.ends_at:
                return False
    return not rule.usage_exhausted


def headline_gift_rule(rules: Sequence[Rule], now) -> Rule | None:
    """The automatic (code-free) gift promotion the store is running, if any."""
    candidates = [
        r for r in rules if isinstance(r.reward, FreeGift) and not r.codes and _is_open(r, now)
    ]
    candidates.sort(key=lambda r: (-r.priority, r.id))
    return candidates[0] if candidates else None


def announcement(
    rules: Sequence[Rule], priced: PricedCart | None, now, fmt: Callable[[int], str]
) -> str | None:
    """The announcement bar: where this shopper stands with the store's gift offer."""
    rule = headline_gift_rule(rules, now)
    if rule is None:
        return None
    if priced is not None:
        for applied in priced.applied:
            if applied.rule_id == rule.id:
                return f"Your {applied.label} is in your cart."
        for progress in priced.progress:
            if progress.rule_id == rule.id and priced.lines:
                return progress.message
    gift = rule.reward.gifts[0]
    value = fmt(gift.reference_price)
    threshold = next((c.amount for c in rule.conditions if isinstance(c, MinSubtotal)), None)
    when = f" on orders of {fmt(threshold)} or more" if threshold else ""
    return f"Unlock a {rule.label} ({value} value), applied automatically in your cart{when}."
