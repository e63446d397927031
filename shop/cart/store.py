"""A shopper's cart in and out of the database: one row, read with one statement and
written with one.

Every click of a visit reads and writes the cart, so this path is the store's busiest
write. The cart's lines are a JSON document on its row (`Cart.lines`): a request reads
the row into plain objects, changes them in memory, and `save` writes the row back in
one UPDATE when anything differs from what was read. The ORM model in
`shop.cart.models` owns the table and its migrations; nothing else writes cart rows.

The statements are SQLAlchemy Core, run with `Connection.execute` on the
Flask-SQLAlchemy session's connection, in its transaction: the unit of work's commit
and rollback cover them, and engine events (query counting, tracing) see them as any
other statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update

from shop.cart.models import Cart, new_cart_token
from shop.extensions import db
from shop.timeutil import utcnow

_cart = Cart.__table__


@dataclass
class ShopperCartLine:
    variant_id: int
    quantity: int
    # The article whose product card added this line (attribution, kept on the order).
    source_article_id: int | None = None

    @property
    def key(self) -> str:
        """The line's key in the JSON API: one line per variant, so the variant id."""
        return str(self.variant_id)

    def as_document(self) -> dict[str, Any]:
        return {
            "variant_id": self.variant_id,
            "quantity": self.quantity,
            "source_article_id": self.source_article_id,
        }


@dataclass
class ShopperCart:
    """A cart as a request works on it: services change it in memory and `save`
    writes it back, once, when it differs from what was read (`stored`)."""

    id: int
    token: str
    email: str | None
    codes: list[str]
    declined_gift_rule_ids: list[int]
    gift_rule_ids: list[int]
    lines: list[ShopperCartLine] = field(default_factory=list)
    # The country the shopper asked for a shipping estimate to.
    shipping_country: str | None = None
    # What the row held when read or last saved, in the shape of `as_row()`.
    stored: tuple | None = None

    def as_row(self) -> tuple:
        return (
            [line.as_document() for line in self.lines],
            list(self.codes),
            list(self.declined_gift_rule_ids),
            list(self.gift_rule_ids),
            self.shipping_country,
        )

    def line_for(self, variant_id: int) -> ShopperCartLine | None:
        return next((line for line in self.lines if line.variant_id == variant_id), None)


_COLUMNS = (
    _cart.c.id,
    _cart.c.token,
    _cart.c.email,
    _cart.c.lines,
    _cart.c.codes,
    _cart.c.declined_gift_rule_ids,
    _cart.c.gift_rule_ids,
    _cart.c.shipping_country,
)
_THIS_CART = _cart.c.id == bindparam("cart_id")
_FIND = select(*_COLUMNS).where(_cart.c.token == bindparam("token"))
_LOCK_BY_TOKEN = _FIND.with_for_update()
# Parameters in `values` take their column's type (JSON, UTC datetime).
_SAVE = (
    update(_cart)
    .where(_THIS_CART)
    .values(
        lines=bindparam("lines"),
        codes=bindparam("codes"),
        declined_gift_rule_ids=bindparam("declined"),
        gift_rule_ids=bindparam("gifts"),
        shipping_country=bindparam("shipping_country"),
        updated_at=bindparam("now"),
    )
)
_REMOVE_LINES = update(_cart).where(_THIS_CART).values(lines=[], updated_at=bindparam("now"))


def _line_from(document: dict[str, Any]) -> ShopperCartLine:
    return ShopperCartLine(
        variant_id=document["variant_id"],
        quantity=document["quantity"],
        source_article_id=document.get("source_article_id"),
    )


def _cart_from(row: Row) -> ShopperCart:
    cart_id, token, email, lines, codes, declined, gifts, shipping_country = row
    cart = ShopperCart(
        id=cart_id,
        token=token,
        email=email,
        codes=list(codes or []),
        declined_gift_rule_ids=list(declined or []),
        gift_rule_ids=list(gifts or []),
        lines=[_line_from(document) for document in lines or []],
        shipping_country=shipping_country,
    )
    cart.stored = cart.as_row()
    return cart


def find(token: str) -> ShopperCart | None:
    """The cart and its lines, for reading."""
    row = db.session.connection().execute(_FIND, {"token": token}).first()
    return _cart_from(row) if row is not None else None


def find_locked(token: str) -> ShopperCart | None:
    """The cart, its row locked until the transaction ends (PostgreSQL; on SQLite the
    write's BEGIN IMMEDIATE holds the database's write lock already). The lines are
    in the locked row, so a request that waited for the lock reads them as the other
    request left them."""
    row = db.session.connection().execute(_LOCK_BY_TOKEN, {"token": token}).first()
    return _cart_from(row) if row is not None else None


def create() -> ShopperCart:
    now = utcnow()
    token = new_cart_token()
    result = db.session.connection().execute(
        insert(_cart).values(
            token=token,
            lines=[],
            codes=[],
            declined_gift_rule_ids=[],
            gift_rule_ids=[],
            created_at=now,
            updated_at=now,
        )
    )
    cart = ShopperCart(result.inserted_primary_key[0], token, None, [], [], [])
    cart.stored = cart.as_row()
    return cart


def save(cart: ShopperCart) -> bool:
    """Write the cart's lines and choices when they differ from what was read; True
    if a write was made."""
    row = cart.as_row()
    if row == cart.stored:
        return False
    lines, codes, declined, gifts, shipping_country = row
    db.session.connection().execute(
        _SAVE,
        {
            "cart_id": cart.id,
            "lines": lines,
            "codes": codes,
            "declined": declined,
            "gifts": gifts,
            "shipping_country": shipping_country,
            "now": utcnow(),
        },
    )
    cart.stored = row
    return True


def remove_lines(cart_id: int) -> None:
    """Empty a cart that is not loaded in this request (its order was paid)."""
    db.session.connection().execute(_REMOVE_LINES, {"cart_id": cart_id, "now": utcnow()})
