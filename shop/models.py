"""Imports every model module, so metadata knows every table (migrations, tests)."""

from shop.admin.models import StaffUser
from shop.catalog.models import BundleComponent, Product, ProductImage, Variant

__all__ = ["BundleComponent", "Product", "ProductImage", "StaffUser", "Variant"]
