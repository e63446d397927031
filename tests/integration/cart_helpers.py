"""Small helpers for driving the cart through HTTP like a browser would."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from shop.cart.models import Cart
from shop.catalog.models import Variant
from shop.extensions import db


def variant_id(sku: str) -> int:
    return db.session.scalar(select(Variant.id).where(Variant.sku == sku))


@dataclass(frozen=True)
class StoredLine:
    sku: str | None
    quantity: int
    source_article_id: int | None


def stored_cart_lines() -> list[StoredLine]:
    """Every cart line in the database, cart by cart, each cart's in the order added."""
    skus = dict(db.session.execute(select(Variant.id, Variant.sku)).all())
    return [
        StoredLine(skus.get(line["variant_id"]), line["quantity"], line["source_article_id"])
        for lines in db.session.scalars(select(Cart.lines).order_by(Cart.id))
        for line in lines
    ]


def csrf_token(client) -> str:
    html = client.get("/products").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class CartClient:
    """A shopper: a test client plus the CSRF header the JSON API wants."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = csrf_token(client)

    def post_json(self, path: str, body) -> tuple[int, dict]:
        response = self.client.post(path, json=body, headers={"X-CSRFToken": self.token})
        return response.status_code, response.get_json()

    def add(self, sku: str, quantity: int = 1, **extra) -> tuple[int, dict]:
        return self.post_json(
            "/cart/add.js", {"id": variant_id(sku), "quantity": quantity, **extra}
        )

    def change(self, key, quantity) -> tuple[int, dict]:
        return self.post_json("/cart/change.js", {"id": key, "quantity": quantity})

    def cart(self) -> dict:
        return self.client.get("/cart.js").get_json()

    def form(self, path: str, data: dict, follow: bool = True):
        return self.client.post(
            path, data={"csrf_token": self.token, **data}, follow_redirects=follow
        )


def gift_lines(cart: dict) -> list[dict]:
    return [item for item in cart["items"] if item["is_gift"]]


ADDRESS = {
    "email": "ana@example.com",
    "name": "Ana Li",
    "line1": "1 Main Street",
    "line2": "",
    "city": "Springfield",
    "country_area": "IL",
    "postal_code": "62704",
    "country": "US",
}


def shipping_method_id(name: str = "Standard", country="US", area="", postcode="") -> str:
    """The id (as the checkout form sends it) of the method called `name` in the zone
    that covers this address."""
    from shop.shipping import service as shipping
    from shop.shipping.rates import Destination, zone_for

    zone = zone_for(shipping.snapshot().zones, Destination(country, area, postcode))
    if zone is None:  # not shipped to: any method, the form is refused for the address
        zone = shipping.snapshot().zones[-1]
    return next(str(m.id) for m in zone.methods if m.name == name)


def checkout_data(method: str = "Standard", **overrides) -> dict:
    """The checkout form filled in with ADDRESS (changed by `overrides`) and the
    shipping method called `method` in the address's zone."""
    data = {**ADDRESS, **overrides}
    if "shipping_method" not in overrides:
        data["shipping_method"] = shipping_method_id(
            method, data["country"], data.get("country_area", ""), data.get("postal_code", "")
        )
    return data


def place_order(shopper: CartClient, **overrides):
    """Submit the checkout form; returns the response (a redirect to payment on success)."""
    return shopper.form("/checkout", checkout_data(**overrides), follow=False)


def pay_demo(shopper: CartClient, pay_path: str, card: str = "4242 4242 4242 4242"):
    return shopper.form(
        pay_path, {"card_number": card, "expiry": "12/30", "cvc": "123"}, follow=False
    )
