"""Order e-mails through an outbox: queued in the same transaction as the change
they report, sent after commit, retried later when the mail server is down. A
failed send never fails the order."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import EmailStatus, Order, OutboxEmail
from shop.timeutil import utcnow
from shop.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
SUBJECTS = {
    "order_confirmation": "Your order {number} is confirmed",
    "order_shipped": "Your order {number} is on its way",
}


def queue_order_email(order: Order, kind: str, order_url: str) -> OutboxEmail:
    """Render and queue an e-mail about `order`; nothing is sent until `send_due`."""
    context = {
        "order": order,
        "order_url": order_url,
        "store_name": current_app.config["STORE_NAME"],
    }
    email = OutboxEmail(
        order_id=order.id,
        kind=kind,
        recipient=order.email,
        subject=SUBJECTS[kind].format(number=order.number),
        text_body=_render(f"emails/{kind}.txt", context),
        html_body=_render(f"emails/{kind}.html", context),
    )
    db.session.add(email)
    return email


def _render(template: str, context: dict) -> str:
    """Straight from the Jinja environment: an e-mail needs none of the storefront's
    context processors (cart, announcement), and may be rendered outside a request."""
    return current_app.jinja_env.get_template(template).render(context)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 240))


def send_due(
    now: datetime | None = None, limit: int = 50, order_id: int | None = None
) -> tuple[int, int]:
    """Send the e-mails that are due (of one order, or all); returns (sent, still
    failing). Each in a unit of work of its own (call it outside one), so one bad
    address never holds up the rest."""
    now = now or utcnow()
    query = (
        select(OutboxEmail)
        .where(
            OutboxEmail.status == EmailStatus.PENDING,
            OutboxEmail.next_attempt_at <= now,
            OutboxEmail.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    )
    if order_id is not None:
        query = query.where(OutboxEmail.order_id == order_id)
    with unit_of_work():
        due = db.session.scalars(query).all()
    sent = failed = 0
    for email in due:
        with unit_of_work():
            try:
                _deliver(email)
            except (OSError, smtplib.SMTPException) as error:
                email.attempts += 1
                email.last_error = f"{error.__class__.__name__}: {error}"[:300]
                email.next_attempt_at = now + _retry_delay(email.attempts)
                failed += 1
                log.warning("e-mail %s to %s not sent: %s", email.id, email.recipient, error)
            else:
                email.attempts += 1
                email.status = EmailStatus.SENT
                email.sent_at = utcnow()
                email.last_error = ""
                sent += 1
    return sent, failed


def _deliver(email: OutboxEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    # A timeout is an OSError, so a slow server is retried like a down one.
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
    ) as smtp:
        smtp.send_message(message)
