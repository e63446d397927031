"""The store's application factory."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shop.config import Config, ConfigError, ProductionConfig, config_for_environment

__all__ = ["ConfigError", "create_app"]


def create_app(config: type[Config] | None = None, overrides: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI, error pages.

    `config` is a Config class (default: the one SHOP_ENV names); `overrides` replaces
    single settings on top of it (tests pass their database URL this way).
    """
    project_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    from shop.unit_of_work import UnitOfWorkFlask

    app = UnitOfWorkFlask(
        __name__,
        instance_path=os.path.join(project_root, "instance"),
        template_folder=os.path.join(project_root, "templates"),
        static_folder=os.path.join(project_root, "static"),
    )
    _load_config(app, config or config_for_environment(), overrides or {})

    from shop import db_setup, unit_of_work

    db_setup.check_database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    _init_extensions(app)
    _init_caches(app)
    db_setup.init_app(app)  # after the extensions: its teardown must run before theirs
    unit_of_work.init_app(app)
    _register_blueprints(app)

    from shop import cli, errors, page_cache, request_body, security, templating

    request_body.init_app(app)
    security.init_app(app)
    page_cache.init_app(app)
    templating.init_app(app)
    _add_template_globals(app)
    errors.init_app(app)
    cli.init_app(app)
    _trust_proxies(app)  # last: the outermost layer, so everything inside sees the client
    return app


def _add_template_globals(app: Flask) -> None:
    """Features' helpers that templates of several features use."""
    from shop.addresses.rules import country_name

    app.jinja_env.globals["country_name"] = country_name


def _load_config(app: Flask, config: type[Config], overrides: dict) -> None:
    app.config.from_object(config)
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "shop.db"
        )
    if issubclass(config, ProductionConfig):
        ProductionConfig.validate(app.config)


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT proxies, take the client's address from the
    X-Forwarded-For entries those proxies appended, so the per-address sign-in limit
    and the sign-in records see each person, not the load balancer everyone shares.

    Only the address is taken from the proxies: the scheme and host the app needs come
    from its own settings (SHOP_ENV, PUBLIC_BASE_URL), never from a header."""
    count = app.config.get("TRUSTED_PROXY_COUNT") or 0
    if count < 0:
        raise ConfigError(f"TRUSTED_PROXY_COUNT must be 0 or more, got {count}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=0)


def _init_extensions(app: Flask) -> None:
    from shop.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
        render_as_batch=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"

    # Import every model module so metadata (and Alembic's autogenerate) sees all tables.
    from shop import models  # noqa: F401
    from shop.admin import auth  # noqa: F401  (registers the staff user loader)


def _init_caches(app: Flask) -> None:
    """The process caches, each with the model classes it is made from (`shop.cache`)."""
    from shop import cache
    from shop.catalog import snapshot
    from shop.promotions import loader
    from shop.shipping import service as shipping

    cache.init_app(app)
    snapshot.init_app(app)
    loader.init_app(app)
    shipping.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from content.seo import bp as seo_bp
    from content.views import bp as content_bp
    from shop.admin.views import bp as admin_bp
    from shop.admin.views.uploads import bp as uploads_bp
    from shop.cart.views import bp as cart_bp
    from shop.catalog.views import bp as catalog_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.orders.views import bp as orders_bp
    from shop.orders.webhooks import apply_verified_event
    from shop.payments.views import apply_events_with
    from shop.payments.views import bp as payments_bp

    app.register_blueprint(catalog_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    apply_events_with(app, apply_verified_event)
    app.register_blueprint(content_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(uploads_bp)
