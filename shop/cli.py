"""Command-line tools: seed the demo store, create staff, check the database."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import click
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from shop.extensions import db
from shop.unit_of_work import unit_of_work

F = TypeVar("F", bound=Callable)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def database_errors_as_messages(command: F) -> F:
    """Turn an unreachable or un-migrated database into one line naming the setting."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            from flask import current_app

            url = _safe_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"cannot use the database at DATABASE_URL={url}: {reason} "
                "(is the server running, and has `flask --app wsgi db upgrade` been run?)"
            ) from None

    return wrapper  # type: ignore[return-value]


@click.command("check-db")
@database_errors_as_messages
def check_db_command() -> None:
    """Connect to the configured database and say so, or explain why not."""
    db.session.execute(text("SELECT 1"))
    from flask import current_app

    click.echo(f"database reachable: {_safe_url(current_app.config['SQLALCHEMY_DATABASE_URI'])}")


@click.command("seed-demo")
@database_errors_as_messages
def seed_demo_command() -> None:
    """Load the demo store (idempotent: existing rows are kept as they are)."""
    from shop.demo import seed_demo

    with unit_of_work():
        report = seed_demo()
    for line in report:
        click.echo(line)


@click.command("create-staff")
@click.argument("email")
@click.option("--role", required=True, help="owner, merchandiser, editor or fulfilment")
@click.password_option("--password", prompt="Password", help="prompted when omitted")
@database_errors_as_messages
def create_staff_command(email: str, role: str, password: str) -> None:
    """Create a staff account; the password is prompted twice and never echoed."""
    from shop.admin.service import StaffAccountError, create_staff

    try:
        with unit_of_work():
            staff = create_staff(email, role, password)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {staff.role} account for {staff.email}")


@click.command("release-expired")
@database_errors_as_messages
def release_expired_command() -> None:
    """Cancel unpaid orders whose reservation ran out; their stock goes back."""
    from shop.orders.service import release_expired

    with unit_of_work():
        released = release_expired()
    click.echo(f"released {released} expired reservation(s)")


@click.command("send-emails")
@database_errors_as_messages
def send_emails_command() -> None:
    """Send queued order e-mails that are due (retries after a mail-server outage)."""
    from shop.orders.emails import send_due

    sent, failed = send_due()
    click.echo(f"sent {sent} e-mail(s), {failed} still failing")


@click.command("reconcile-payments")
@database_errors_as_messages
def reconcile_payments_command() -> None:
    """Ask the payment provider about unpaid orders and settle them (missed webhooks)."""
    from shop.orders.links import external_order_url
    from shop.orders.service import reconcile_pending
    from shop.payments.registry import get_provider

    counts = reconcile_pending(get_provider(), external_order_url)
    click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))


def init_app(app: Flask) -> None:
    for command in (
        check_db_command,
        seed_demo_command,
        create_staff_command,
        release_expired_command,
        send_emails_command,
        reconcile_payments_command,
    ):
        app.cli.add_command(command)
