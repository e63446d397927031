"""seed-demo and create-staff, through Flask's CLI runner on the test database."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.admin.models import StaffUser
from shop.catalog.models import Product
from shop.extensions import db

PASSWORD = "a long enough passphrase"


def test_seed_demo_command_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "5 products created" in first.output
    assert second.exit_code == 0 and "0 products created, 5 already present" in second.output
    assert db.session.scalar(select(func.count()).select_from(Product)) == 5


def test_create_staff_prompts_twice_and_stores_a_strong_hash(app, db_session):
    result = app.test_cli_runner().invoke(
        args=["create-staff", "Editor@Example.com", "--role", "editor"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # the prompt never echoes it
    staff = db.session.scalars(select(StaffUser)).one()
    assert staff.email == "editor@example.com"
    assert staff.role == "editor"
    assert staff.password_hash.startswith("scrypt:")
    assert PASSWORD not in staff.password_hash
    assert staff.check_password(PASSWORD) and not staff.check_password("wrong password!!")


def test_create_staff_refuses_mismatched_confirmation(app, db_session):
    result = app.test_cli_runner().invoke(
        args=["create-staff", "a@example.com", "--role", "owner"],
        input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert "do not match" in result.output


def test_create_staff_refuses_bad_input_with_a_message(app, db_session):
    runner = app.test_cli_runner()
    cases = {
        ("not-an-email", "owner", PASSWORD): "not a valid e-mail",
        ("a@example.com", "janitor", PASSWORD): "unknown role",
        ("a@example.com", "owner", "short"): "at least 12",
    }
    for (email, role, password), message in cases.items():
        result = runner.invoke(args=["create-staff", email, "--role", role, "--password", password])
        assert result.exit_code != 0
        assert message in result.output
    runner.invoke(args=["create-staff", "a@example.com", "--role", "owner", "--password", PASSWORD])
    again = runner.invoke(
        args=["create-staff", "A@example.com", "--role", "editor", "--password", PASSWORD]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 1
