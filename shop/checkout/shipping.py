"""Shipping methods and their flat rates; free shipping comes from the promotions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    label: str
    price: int  # minor units
    free_with_promotion: bool  # does a free-shipping reward cover it?


SHIPPING_METHODS: tuple[ShippingMethod, ...] = (
    ShippingMethod("standard", "Standard (3 to 5 business days)", 800, True),
    ShippingMethod("express", "Express (1 to 2 business days)", 2000, False),
)


def shipping_method(code: str) -> ShippingMethod | None:
    return next((m for m in SHIPPING_METHODS if m.code == code), None)


def shipping_price(method: ShippingMethod, free_shipping: bool) -> int:
    return 0 if free_shipping and method.free_with_promotion else method.price
