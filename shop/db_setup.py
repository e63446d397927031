"""Connection settings that make SQLite a safe default and PostgreSQL resilient."""

from __future__ import annotations

import logging
import select
import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.pool import Pool

from shop.config import ConfigError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _connection_record) -> None:
    """Foreign keys on (SQLite leaves them off), WAL so readers never block the writer,
    and a busy timeout so a second writer waits instead of failing at once."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Pool, "checkout")
def _replace_closed_server_connections(dbapi_connection, _record, _proxy) -> None:
    """Pre-ping without the round trip: hand out a PostgreSQL connection only if the
    server has not closed it.

    An idle connection has nothing to read. A server that ends it (a restart, a
    failover, `pg_terminate_backend`, an idle timeout) sends its goodbye and closes
    the socket, so the socket turns readable; looking costs one poll() where a
    "SELECT 1" costs a round trip on every request. Raising DisconnectionError makes
    the pool drop the connection and check out a fresh one (SQLAlchemy's documented
    pessimistic-disconnect hook). A connection whose network silently vanished is
    not caught here, nor was it by a ping: both wait for TCP to give up.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg; SQLite has no socket
    if pgconn is None:
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the database connection is closed")
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the database server closed this connection")


def discard_transaction() -> None:
    """Roll back the session's transaction, even when the server has dropped its
    connection (a restart, a failover) since the last statement.

    Such a rollback fails: SQLAlchemy then invalidates the connection (the pool opens
    a new one for the next request) and the session lets go of it. The transaction
    died with the connection, so nothing of it was written and the failure is only
    logged: the caller already has its answer to send. (A rollback failing for any
    other reason still returns the connection to the pool, whose reset on return
    rolls it back or discards it.)"""
    from shop.extensions import db

    try:
        db.session.rollback()
    except DBAPIError as error:
        log.warning("could not end the request's database transaction: %s", error.orig)


def init_app(app: Flask) -> None:
    """End each app context's transaction with `discard_transaction`.

    Flask-SQLAlchemy's own teardown closes the session, and a close that must roll
    back on a dead connection raises outside every error handler: the WSGI server
    then answers its own 500 in place of the response the app made. Flask runs
    teardowns in the reverse order of registration, so this one (registered after
    `db.init_app`) runs first and leaves that close nothing to roll back."""

    @app.teardown_appcontext
    def end_the_transaction(_error: BaseException | None) -> None:
        discard_transaction()


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def check_database_url(url: str) -> None:
    """Refuse a malformed DATABASE_URL with a sentence that names the setting."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL is not a valid database URL: {url!r} "
            "(expected e.g. sqlite:///instance/shop.db or "
            "postgresql+psycopg://user:password@host:5432/dbname)"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"DATABASE_URL names an unsupported database {parsed.get_backend_name()!r}; "
            "use sqlite or postgresql+psycopg"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ConfigError(
            "DATABASE_URL must use the psycopg driver for PostgreSQL: "
            "postgresql+psycopg://user:password@host:5432/dbname"
        )
