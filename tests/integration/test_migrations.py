"""Migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from shop.extensions import db


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_migrated_schema_has_no_drift_from_the_models(app, db_session):
    assert schema_drift() == []


def test_migrations_go_down_to_empty_and_back_up(app, db_session):
    db_session.remove()
    downgrade(revision="base")
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    assert {"product", "variant", "bundle_component", "staff_user"} <= set(
        inspect(db.engine).get_table_names()
    )
    assert schema_drift() == []
