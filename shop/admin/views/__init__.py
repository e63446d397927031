"""The back office at /admin: one module per area, all on the one `admin` blueprint.

Every view is protected by `staff_required` (see `shop.admin.access`); importing the
area modules below registers their routes on `bp`.
"""

from __future__ import annotations

from shop.admin.views import (  # noqa: F401  (each module registers its routes)
    audit_log,
    auth,
    content,
    dashboard,
    orders,
    products,
    promotions,
    shipping,
    staff,
)
from shop.admin.views.blueprint import bp

__all__ = ["bp"]
