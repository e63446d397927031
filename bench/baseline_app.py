"""The load benchmark's floors: a bare Flask app.

``GET /`` returns a short text. ``bench/load.py`` serves it with the same gunicorn
settings as the store, so a page's requests per second divided by this app's says
how much of the server's capacity the store's own work takes, whatever the machine.

``POST /write`` (only when ``BASELINE_DATABASE_URL`` is set) inserts one row and
commits, through a plain SQLAlchemy engine, and nothing else: no session, no ORM, no
CSRF, no cookie, no check of the pooled connection. It is the most any write on this
stack can do on the same database, so the store's add-to-cart ratio can be read
against it. ``POST /write-async`` is the same write committed as the store commits a
cart change on PostgreSQL: without waiting for the disk (``SET LOCAL
synchronous_commit TO OFF``, one more round trip); on SQLite it equals ``/write``.
"""

from __future__ import annotations

import os

from flask import Flask, Response
from sqlalchemy import create_engine, event, text

WRITE_TABLE = "bench_write_floor"

app = Flask(__name__)


@app.get("/")
def index() -> Response:
    return Response("ok\n", mimetype="text/plain")


def write_engine(url: str):
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        # The store's own SQLite settings (see shop/db_setup.py): without a busy
        # timeout the two workers' writes would fail instead of waiting their turn.
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout = 5000")
            dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    return engine


def create_write_table(url: str) -> None:
    """Run by the benchmark before the server starts (two workers must not race)."""
    engine = write_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA journal_mode = WAL"))
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {WRITE_TABLE} (note VARCHAR(20))"))
    engine.dispose()


_write_url = os.environ.get("BASELINE_DATABASE_URL")
if _write_url:
    _engine = write_engine(_write_url)

    _insert = text(f"INSERT INTO {WRITE_TABLE} (note) VALUES (:note)")

    @app.post("/write")
    def write() -> Response:
        with _engine.begin() as connection:
            connection.execute(_insert, {"note": "x"})
        return Response("ok\n", mimetype="text/plain")

    @app.post("/write-async")
    def write_without_waiting_for_the_disk() -> Response:
        with _engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            connection.execute(_insert, {"note": "x"})
        return Response("ok\n", mimetype="text/plain")
