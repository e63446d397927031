"""The factory, configuration errors and database connection settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from shop import ConfigError, create_app
from shop.config import INSECURE_DEV_SECRET_KEY, ProductionConfig, TestConfig
from shop.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_flask(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_the_development_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig, {"SECRET_KEY": INSECURE_DEV_SECRET_KEY})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigError, match="at least 32"):
        create_app(ProductionConfig, {"SECRET_KEY": "short"})


def test_production_starts_with_a_real_secret_key_and_secure_cookies(tmp_path):
    app = create_app(
        ProductionConfig,
        {"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"},
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nonsense", "not a valid database URL"),
        ("mysql://root@localhost/shop", "unsupported database"),
        ("postgresql+psycopg2://postgres@localhost/shop", "psycopg driver"),
    ],
)
def test_malformed_database_url_is_refused_with_the_setting_named(url, reason):
    with pytest.raises(ConfigError, match=reason) as caught:
        create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    assert "DATABASE_URL" in str(caught.value)


def test_cli_reports_a_malformed_url_in_one_line_without_traceback():
    result = run_flask("check-db", env_overrides={"DATABASE_URL": "nonsense"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_reports_an_unreachable_database_in_one_line_without_traceback():
    result = run_flask(
        "seed-demo",
        env_overrides={"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/unreachable"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:9/unreachable" in result.stderr


def test_connection_settings_for_the_backend(app, db_session):
    if db.engine.dialect.name == "sqlite":
        assert db_session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db_session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db_session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    else:
        # Closed connections are caught by a socket check on checkout, not a ping.
        assert db.engine.pool._pre_ping is False
        assert db_session.execute(text("SELECT 1")).scalar() == 1


def test_foreign_keys_are_enforced(db_session):
    from sqlalchemy.exc import IntegrityError

    from shop.catalog.models import Variant

    db_session.add(Variant(product_id=999_999, sku="ORPHAN", price=100))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
