"""Configuration read from the environment, in one place.

Every setting a deployment may change comes from an environment variable; nothing
secret is ever written in the code. `TestConfig` and `ProductionConfig` adjust the
defaults for their setting.
"""

from __future__ import annotations

import os
from datetime import timedelta

# The key the development server falls back on. Production refuses to start with it.
INSECURE_DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the setting."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


class Config:
    """Defaults for development: SQLite under instance/, the offline demo payments."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_DEV_SECRET_KEY
    # None means "a SQLite file in the instance folder", resolved by create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    # No pre-ping: dropped server connections are replaced on checkout by a socket check
    # (shop/db_setup.py), which costs no round trip.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    STORE_NAME = os.environ.get("STORE_NAME", "The Current Edit")
    STORE_CURRENCY = os.environ.get("STORE_CURRENCY", "USD")
    STORE_LOCALE = os.environ.get("STORE_LOCALE", "en_US")
    # Canonical links, the sitemap and e-mails need an absolute address.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "The Current Edit <orders@thecurrentedit.test>")

    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    CART_COOKIE_NAME = "cart"
    CART_COOKIE_MAX_AGE = int(timedelta(days=60).total_seconds())
    # Minutes an unpaid order holds its stock before it goes back on the shelf.
    RESERVATION_MINUTES = _env_int("RESERVATION_MINUTES", 30)
    MAIL_TIMEOUT_SECONDS = 5
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(hours=8)
    # Staff sign-ins are held and ended on the server, and no page asks whether a
    # sign-in is "fresh": Flask-Login's session protection would only write a
    # freshness note into every visitor's session, making it look like more than
    # the CSRF secret it is (see `shop.page_cache`).
    SESSION_PROTECTION = None

    # Back office. A staff sign-in lasts at most this long, however active the session.
    ADMIN_SESSION_MAX_AGE = timedelta(hours=_env_int("ADMIN_SESSION_HOURS", 8))
    # Failed sign-ins allowed per account and per address (Flask-Limiter syntax).
    ADMIN_LOGIN_LIMIT_PER_ACCOUNT = os.environ.get(
        "ADMIN_LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"
    )
    ADMIN_LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
        "ADMIN_LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"
    )
    ADMIN_LOW_STOCK_THRESHOLD = _env_int("ADMIN_LOW_STOCK_THRESHOLD", 5)
    # How many proxies (web server, load balancer) stand in front of the app, each
    # appending the address it saw to X-Forwarded-For. 0 believes no such header:
    # otherwise a client could name any address it likes and dodge per-address limits.
    TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
    # Staff image uploads; None means "uploads/ in the instance folder".
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or None
    # Below MAX_CONTENT_LENGTH, which caps the whole request (the form around the file too).
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 1536 * 1024)
    UPLOAD_MAX_DIMENSION = _env_int("UPLOAD_MAX_DIMENSION", 6000)  # pixels, either side
    UPLOAD_MIN_DIMENSION = 16

    TESTING = False
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or None
    RATELIMIT_ENABLED = False
    PUBLIC_BASE_URL = "http://localhost"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls, settings: dict) -> None:
        """Refuse to serve real shoppers with a guessable session key."""
        key = settings.get("SECRET_KEY") or ""
        if key == INSECURE_DEV_SECRET_KEY or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_hex(32))')"
            )


def config_for_environment() -> type[Config]:
    """Pick the config class named by SHOP_ENV (development by default)."""
    name = os.environ.get("SHOP_ENV", "development").lower()
    return {"production": ProductionConfig, "testing": TestConfig}.get(name, Config)
