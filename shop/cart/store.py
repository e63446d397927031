"""A shopper's cart in and out of the database, one plain statement per change.

Every click of a visit reads and writes the cart, so this path is the store's busiest
write. Through the ORM, loading a one-line cart and flushing one changed line took
several times the CPU of the statements themselves (identity map, unit of work,
relationship loaders), so carts are read into plain objects and each change is
written by the statement it needs. The ORM models in `shop.cart.models` still own the
tables and their migrations; nothing else writes these rows by the ORM.

All statements run on the Flask-SQLAlchemy session's connection, in its transaction:
`db.session.commit()` and `rollback()` cover them, and SQLite's BEGIN IMMEDIATE
(`shop.db_setup`) applies as to any other statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from shop.cart.models import Cart, CartLine, new_cart_token
from shop.direct_sql import DirectStatement
from shop.extensions import db
from shop.timeutil import utcnow

_cart = Cart.__table__
_line = CartLine.__table__


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


@dataclass
class ShopperCart:
    """A cart as a request works on it. Lines are written as they change (`add_line`,
    `update_line`, `remove_line`, `remove_lines`); the shopper's choices (codes,
    declined gifts, gifts shown) by `save_choices`, which writes only when they differ
    from what was read."""

    id: int
    token: str
    email: str | None
    codes: list[str]
    declined_gift_rule_ids: list[int]
    gift_rule_ids: list[int]
    lines: list[ShopperCartLine] = field(default_factory=list)
    stored_choices: tuple = ()

    def choices(self) -> tuple:
        return (list(self.codes), list(self.declined_gift_rule_ids), list(self.gift_rule_ids))

    def line_for(self, variant_id: int) -> ShopperCartLine | None:
        return next((line for line in self.lines if line.variant_id == variant_id), None)


_CART_COLUMNS = (
    _cart.c.id,
    _cart.c.token,
    _cart.c.email,
    _cart.c.codes,
    _cart.c.declined_gift_rule_ids,
    _cart.c.gift_rule_ids,
)
_LINE_COLUMNS = (_line.c.variant_id, _line.c.quantity, _line.c.source_article_id)

# Built once with SQLAlchemy, run directly on the driver (`shop.direct_sql`).
_FIND_WITH_LINES = DirectStatement(
    select(*_CART_COLUMNS, *_LINE_COLUMNS)
    .select_from(_cart.outerjoin(_line, _line.c.cart_id == _cart.c.id))
    .where(_cart.c.token == bindparam("token"))
    .order_by(_line.c.id)
)
_LOCK_BY_TOKEN = DirectStatement(
    select(*_CART_COLUMNS).where(_cart.c.token == bindparam("token")).with_for_update()
)
_LOCK_BY_ID = DirectStatement(
    select(*_CART_COLUMNS).where(_cart.c.id == bindparam("cart_id")).with_for_update()
)
_LINES = DirectStatement(
    select(*_LINE_COLUMNS).where(_line.c.cart_id == bindparam("cart_id")).order_by(_line.c.id)
)
_INSERT_LINE = DirectStatement(
    insert(_line).values(
        cart_id=bindparam("cart"),
        variant_id=bindparam("variant"),
        quantity=bindparam("quantity"),
        source_article_id=bindparam("article"),
        created_at=bindparam("now"),
    )
)
_UPDATE_LINE = DirectStatement(
    update(_line)
    .where(_line.c.cart_id == bindparam("cart"), _line.c.variant_id == bindparam("variant"))
    .values(quantity=bindparam("quantity"), source_article_id=bindparam("article"))
)
_DELETE_LINE = DirectStatement(
    delete(_line).where(
        _line.c.cart_id == bindparam("cart"), _line.c.variant_id == bindparam("variant")
    )
)
_DELETE_LINES = DirectStatement(delete(_line).where(_line.c.cart_id == bindparam("cart")))
_UPDATE_CHOICES = DirectStatement(
    update(_cart)
    .where(_cart.c.id == bindparam("cart"))
    .values(
        codes=bindparam("codes"),
        declined_gift_rule_ids=bindparam("declined"),
        gift_rule_ids=bindparam("gifts"),
        updated_at=bindparam("now"),
    )
)


def _connection() -> Connection:
    return db.session.connection()


def _cart_from(row: tuple) -> ShopperCart:
    cart_id, token, email, codes, declined, gifts = row[:6]
    cart = ShopperCart(
        id=cart_id,
        token=token,
        email=email,
        codes=list(codes or []),
        declined_gift_rule_ids=list(declined or []),
        gift_rule_ids=list(gifts or []),
    )
    cart.stored_choices = cart.choices()
    return cart


def find(token: str) -> ShopperCart | None:
    """The cart and its lines in one statement, for reading."""
    rows = _FIND_WITH_LINES.rows(_connection(), {"token": token})
    if not rows:
        return None
    cart = _cart_from(rows[0])
    cart.lines = [
        ShopperCartLine(variant_id, quantity, article)
        for *_cart_columns, variant_id, quantity, article in rows
        if variant_id is not None
    ]
    return cart


def find_locked(token: str) -> ShopperCart | None:
    """The cart, its row locked until the transaction ends (PostgreSQL; on SQLite the
    marked view's BEGIN IMMEDIATE holds the write lock already), then its lines.

    Lock first, then read the lines in a second statement: PostgreSQL re-reads a row
    it waited for, but rows joined to it in the same statement would still come from
    before the other request committed.
    """
    connection = _connection()
    row = _LOCK_BY_TOKEN.first(connection, {"token": token})
    if row is None:
        return None
    cart = _cart_from(row)
    cart.lines = _read_lines(connection, cart.id)
    return cart


def relock(cart: ShopperCart) -> None:
    """Lock the cart again in a new transaction and bring the object up to date: what
    was read before the last commit may have changed since."""
    connection = _connection()
    row = _LOCK_BY_ID.first(connection, {"cart_id": cart.id})
    if row is None:
        cart.lines = []
        return
    fresh = _cart_from(row)
    fresh.lines = _read_lines(connection, cart.id)
    vars(cart).update(vars(fresh))  # in place: the request's `g.cart` is this object


def _read_lines(connection: Connection, cart_id: int) -> list[ShopperCartLine]:
    return [
        ShopperCartLine(variant_id, quantity, article)
        for variant_id, quantity, article in _LINES.rows(connection, {"cart_id": cart_id})
    ]


def create() -> ShopperCart:
    now = utcnow()
    token = new_cart_token()
    result = _connection().execute(
        insert(_cart).values(
            token=token,
            codes=[],
            declined_gift_rule_ids=[],
            gift_rule_ids=[],
            created_at=now,
            updated_at=now,
        )
    )
    cart = ShopperCart(result.inserted_primary_key[0], token, None, [], [], [])
    cart.stored_choices = cart.choices()
    return cart


def add_line(cart: ShopperCart, line: ShopperCartLine) -> None:
    _INSERT_LINE.run(
        _connection(),
        {
            "cart": cart.id,
            "variant": line.variant_id,
            "quantity": line.quantity,
            "article": line.source_article_id,
            "now": utcnow(),
        },
    )
    cart.lines.append(line)


def update_line(cart: ShopperCart, line: ShopperCartLine) -> None:
    """Write a line's quantity and attribution as they are on the object now."""
    _UPDATE_LINE.run(
        _connection(),
        {
            "cart": cart.id,
            "variant": line.variant_id,
            "quantity": line.quantity,
            "article": line.source_article_id,
        },
    )


def remove_line(cart: ShopperCart, line: ShopperCartLine) -> None:
    _DELETE_LINE.run(_connection(), {"cart": cart.id, "variant": line.variant_id})
    cart.lines.remove(line)


def remove_lines(cart: ShopperCart) -> None:
    if cart.lines:
        _DELETE_LINES.run(_connection(), {"cart": cart.id})
        cart.lines = []


def save_choices(cart: ShopperCart) -> bool:
    """Write codes, declined gifts and gifts shown when they changed; True if so."""
    choices = cart.choices()
    if choices == cart.stored_choices:
        return False
    codes, declined, gifts = choices
    _UPDATE_CHOICES.run(
        _connection(),
        {"cart": cart.id, "codes": codes, "declined": declined, "gifts": gifts, "now": utcnow()},
    )
    cart.stored_choices = choices
    return True
