"""Imports every model module, so metadata knows every table (migrations, tests)."""

from shop.admin.models import StaffUser
from shop.cart.models import Cart, CartLine
from shop.catalog.models import BundleComponent, Product, ProductImage, Variant
from shop.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderPromotion,
    OutboxEmail,
    Refund,
)
from shop.payments.models import PaymentEvent
from shop.promotions.models import Promotion

__all__ = [
    "BundleComponent",
    "Cart",
    "CartLine",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderPromotion",
    "OutboxEmail",
    "PaymentEvent",
    "Product",
    "ProductImage",
    "Promotion",
    "Refund",
    "StaffUser",
    "Variant",
]
