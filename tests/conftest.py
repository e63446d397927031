"""Shared fixtures: the app on a real database, SQLite always and PostgreSQL when
TEST_DATABASE_URL is set, migrated from empty with the project's own migrations.

Every test that takes `app` (directly or through `client`, `db_session`, ...) runs
once per backend; pytest shows the backend in the test id.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shop import create_app
from shop.config import TestConfig


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production.

    The fixtures keep an app context open for the test's own database work; without
    this, every request of a test would share its `g` (CSRF token, cart, signed-in
    staff) and its database session, and hide bugs that only show between requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


Flask.test_client_class = IsolatedClient

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _create_postgres_database(server_url: str) -> tuple[str, str]:
    """Make a throwaway database on the server TEST_DATABASE_URL names."""
    name = f"shop_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    server_url = os.environ["TEST_DATABASE_URL"]
    name, url = _create_postgres_database(server_url)
    try:
        yield url
    finally:
        _drop_postgres_database(server_url, name)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory) -> Iterator[Flask]:
    application = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        },
    )
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        from shop.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator:
    """An app context and the session; every table is emptied after the test."""
    from shop.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()
        _empty_all_tables(db)


def _empty_all_tables(db) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask, db_session):
    return app.test_client()


@pytest.fixture
def demo_store(db_session):
    """The seeded demo store (catalogue and everything seed-demo loads)."""
    from shop.demo import seed_demo
    from shop.unit_of_work import unit_of_work

    with unit_of_work():
        seed_demo()
    return db_session


class LiveServer:
    """The app served by a real WSGI server thread on 127.0.0.1, for browsers."""

    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


# ---------------------------------------------------------------- outside peers


@pytest.fixture(scope="session")
def mail_server():
    from tests.support.servers import MailServer

    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail(app, mail_server):
    """Point the app's SMTP settings at the local server for one test."""
    previous = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port)
    mail_server.clear()
    yield mail_server
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = previous


@pytest.fixture(scope="session")
def localstripe():
    from tests.support.servers import LocalStripe

    server = LocalStripe().start()
    yield server
    server.stop()


STRIPE_TEST_SECRET = "sk_test_local_secret_key"
STRIPE_TEST_WEBHOOK_SECRET = "whsec_local_webhook_secret"


@pytest.fixture(scope="session")
def stripe_app(database_url: str, localstripe, tmp_path_factory):
    """The store configured for Stripe (pointed at localstripe), on the same database,
    served on 127.0.0.1 so localstripe can deliver signed webhooks to it."""
    application = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "STRIPE_SECRET_KEY": STRIPE_TEST_SECRET,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_local",
            "STRIPE_WEBHOOK_SECRET": STRIPE_TEST_WEBHOOK_SECRET,
            "STRIPE_API_BASE": localstripe.url,
            "MAIL_PORT": 9,  # nothing listens unless a test points it at the mail server
        },
    )
    server = LiveServer(application).start()
    application.config["PUBLIC_BASE_URL"] = server.url
    localstripe.register_webhook(
        "store", f"{server.url}/webhooks/stripe", STRIPE_TEST_WEBHOOK_SECRET
    )
    application.extensions["live_url"] = server.url
    yield application
    server.stop()
    with application.app_context():
        from shop.extensions import db

        db.engine.dispose()
