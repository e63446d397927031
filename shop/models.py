"""Imports every model module, so metadata knows every table (migrations, tests)."""

from content.models import Article, ArticleSlugRedirect, ArticleTag
from shop.admin.models import AuditEntry, StaffUser
from shop.cache import CacheGeneration
from shop.cart.models import Cart
from shop.catalog.models import BundleComponent, Product, ProductImage, StockAdjustment, Variant
from shop.catalog.reviews import ProductReview
from shop.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderPromotion,
    OutboxEmail,
    Refund,
)
from shop.payments.models import PaymentEvent
from shop.promotions.models import Promotion, PromotionVersion
from shop.shipping.models import (
    SellingCountry,
    ShippingMethod,
    ShippingRateBand,
    ShippingSettings,
    ShippingZone,
    ShippingZoneArea,
    ShippingZoneCountry,
    ShippingZonePostcode,
)

__all__ = [
    "Article",
    "ArticleSlugRedirect",
    "ArticleTag",
    "AuditEntry",
    "BundleComponent",
    "CacheGeneration",
    "Cart",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderPromotion",
    "OutboxEmail",
    "PaymentEvent",
    "Product",
    "ProductImage",
    "ProductReview",
    "Promotion",
    "PromotionVersion",
    "Refund",
    "SellingCountry",
    "ShippingMethod",
    "ShippingRateBand",
    "ShippingSettings",
    "ShippingZone",
    "ShippingZoneArea",
    "ShippingZoneCountry",
    "ShippingZonePostcode",
    "StaffUser",
    "StockAdjustment",
    "Variant",
]
