"""Where transactions end: services add and flush, and only a unit of work commits.

Every view runs as one unit of work (`UnitOfWorkFlask.dispatch_request`): what it
changed is committed when it returns and rolled back when it raises (an `abort`
included). A view that must not hold a transaction across a slow call (checkout and
the payment pages call the payment provider) is marked `@separate_transactions` and
opens its own units with `with unit_of_work():`, so every boundary is in sight in
one function. Commands (the CLI) open their own units the same way.

Units do not nest: opening one inside another raises, so a function that ends a
transaction of its own cannot be called by accident from a view that expects to own
it. Work that must wait for the commit (sending the e-mails an order change queued)
is handed to `after_commit`.

A write whose values depend on what it read (a cart quantity, the order already
placed for a cart) is marked `@reads_then_writes`: its unit begins with SQLite's
write lock (BEGIN IMMEDIATE) and the cart row is read `FOR UPDATE` on PostgreSQL
(`is_read_then_write`), so two such requests run one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from shop.db_setup import discard_transaction
from shop.extensions import db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Keys in the session's `info`, alive while a unit is open.
OPEN_UNIT = "unit_of_work.open"
READ_THEN_WRITE = "unit_of_work.read_then_write"
AFTER_COMMIT = "unit_of_work.after_commit"

# Attributes the view markers set on a view function.
_SEPARATE_TRANSACTIONS = "separate_transactions"
_READS_THEN_WRITES = "reads_then_writes"


class UnitOfWorkError(RuntimeError):
    """A unit of work was opened inside another one."""


@contextmanager
def unit_of_work(
    *,
    read_then_write: bool = False,
    commit_despite: tuple[type[BaseException], ...] = (),
    of_a_read: bool = False,
) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back when it raises.

    `read_then_write` takes the locks described in the module's docstring.
    `commit_despite` names exceptions that end the block after changes meant to be
    kept (a cart corrected before an order is refused): those commit, then raise.
    `of_a_read` is for a page being read (a GET): if the database connection is lost
    at the commit (a restart, a failover), the page already made is still the answer
    and the failure is logged. What such a request writes is bookkeeping the next
    read redoes (a reservation that ran out, the gifts a cart showed)."""
    session = db.session
    if session.info.get(OPEN_UNIT):
        raise UnitOfWorkError(
            "a unit of work is already open: call this from a view marked "
            "@separate_transactions or from a command"
        )
    if read_then_write and session().in_transaction():
        # What ran before (a request's before-hooks read the staff session) ends here,
        # so the lock is taken when the unit's own transaction begins.
        session.commit()
    session.info[OPEN_UNIT] = True
    session.info[READ_THEN_WRITE] = read_then_write
    session.info[AFTER_COMMIT] = []
    committed = False
    try:
        try:
            yield
        except commit_despite:
            session.commit()
            committed = True
            raise
        except BaseException:
            session.rollback()
            raise
        committed = _commit(of_a_read)
    finally:
        callbacks = session.info.pop(AFTER_COMMIT, [])
        session.info.pop(OPEN_UNIT, None)
        session.info.pop(READ_THEN_WRITE, None)
        for callback in callbacks if committed else ():
            callback()


def _commit(of_a_read: bool) -> bool:
    try:
        db.session.commit()
    except DBAPIError as error:
        if not (of_a_read and error.connection_invalidated):
            raise
        log.warning("could not end the request's database transaction: %s", error.orig)
        discard_transaction()
        return False
    return True


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the open unit has committed (never if it rolls back).

    Without an open unit (a command between units) there is nothing to wait for."""
    pending = db.session.info.get(AFTER_COMMIT)
    if pending is None or not db.session.info.get(OPEN_UNIT):
        callback()
    else:
        pending.append(callback)


def is_read_then_write() -> bool:
    """True inside a unit opened for a read-then-write."""
    return bool(db.session.info.get(READ_THEN_WRITE))


def reads_then_writes(view):
    """Mark a view whose writes depend on what it read first: its POSTs run as a
    read-then-write unit. Views that call slow things (a password hash, a payment
    provider) must not be marked: the lock would be held for that long."""
    setattr(view, _READS_THEN_WRITES, True)
    return view


def separate_transactions(view):
    """Mark a view that opens its own units of work (`with unit_of_work():`) instead of
    running as one: it calls something slow between them."""
    setattr(view, _SEPARATE_TRANSACTIONS, True)
    return view


class UnitOfWorkFlask(Flask):
    """Flask whose views each run as one unit of work (see the module docstring)."""

    def dispatch_request(self):
        rule = request.url_rule
        view = self.view_functions.get(rule.endpoint) if rule is not None else None
        if getattr(view, _SEPARATE_TRANSACTIONS, False):
            return super().dispatch_request()
        read_then_write = (
            getattr(view, _READS_THEN_WRITES, False) and request.method not in SAFE_METHODS
        )
        with unit_of_work(
            read_then_write=read_then_write, of_a_read=request.method in SAFE_METHODS
        ):
            return super().dispatch_request()


def init_app(app: Flask) -> None:
    """Hook the sessions so a read-then-write unit takes SQLite's write lock."""
    if not event.contains(db.session, "after_begin", _take_sqlite_write_lock):
        event.listen(db.session, "after_begin", _take_sqlite_write_lock)


def _take_sqlite_write_lock(session, transaction, connection) -> None:
    """A read-then-write takes SQLite's write lock when its transaction begins, before
    it reads. A deferred transaction that read first would overwrite, or fail at its
    first write, when another request wrote in between (WAL does not move a reader's
    snapshot forward); this way the second writer waits its turn (busy timeout) and
    reads fresh rows. Everything else is left to the driver, which begins a
    (deferred) transaction only at the first write: reads never wait for a writer."""
    if transaction.nested:  # a savepoint inside a transaction that has the lock
        return
    if connection.dialect.name == "sqlite" and session.info.get(READ_THEN_WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
