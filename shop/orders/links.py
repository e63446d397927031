"""Signed order links: `/orders/<token>` carries a signature, never a guessable id."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from shop.orders.models import Order

_SALT = "order-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def order_token(order: Order) -> str:
    return _serializer().dumps(order.public_token)


def public_token_from(signed: str) -> str | None:
    try:
        value = _serializer().loads(signed)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def order_url(order: Order, *, external: bool = False) -> str:
    token = order_token(order)
    if has_request_context():
        path = url_for("orders.order_page", token=token)
    else:  # CLI jobs (reconciliation, e-mail retries) have no request to build from
        path = current_app.url_map.bind("localhost").build("orders.order_page", {"token": token})
    if external:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    return path


def external_order_url(order: Order) -> str:
    return order_url(order, external=True)
