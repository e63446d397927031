"""Order e-mails over real SMTP (a local aiosmtpd server): sent after payment, HTML
and text, retried when the mail server was down, never failing the order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.orders import emails
from shop.orders.models import Order, OutboxEmail
from shop.orders.service import mark_fulfilled, mark_shipped
from shop.timeutil import utcnow
from tests.integration.cart_helpers import CartClient, pay_demo, place_order


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def paid_order(shopper: CartClient, sku: str = "CMD-PEARL") -> Order:
    shopper.add(sku, 1)
    response = pay_demo(shopper, place_order(shopper).headers["Location"])
    assert response.status_code == 302
    db.session.rollback()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def parts(message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
    }


def test_confirmation_is_sent_in_html_and_text_when_the_order_is_paid(shopper, mail):
    order = paid_order(shopper)
    [message] = mail.messages
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == f"Your order {order.number} is confirmed"
    bodies = parts(message)
    assert "Contour Microcurrent Toning Device - Pearl White" in bodies["text/plain"]
    assert "FREE ($245.00 value)" in bodies["text/plain"]
    assert "<strong>FREE</strong>" in bodies["text/html"]
    assert "/orders/" in bodies["text/plain"]  # the signed link back to the order
    outbox = db.session.scalars(select(OutboxEmail)).one()
    assert outbox.status == "sent" and outbox.attempts == 1


def test_smtp_down_never_fails_the_order_and_the_mail_goes_out_later(shopper, app, mail):
    app.config["MAIL_PORT"] = 9  # nothing listens there: the server is "down"
    order = paid_order(shopper)
    assert order.status == "paid"
    assert mail.messages == []
    pending = db.session.scalars(select(OutboxEmail)).one()
    assert pending.status == "pending" and pending.attempts == 1 and pending.last_error
    # Not due yet: the retry waits.
    assert emails.send_due() == (0, 0)
    app.config["MAIL_PORT"] = mail.port  # the server is back
    result = app.test_cli_runner().invoke(args=["send-emails"])
    assert "sent 0" in result.output  # still backing off
    sent, failed = emails.send_due(now=utcnow() + timedelta(minutes=5))
    assert (sent, failed) == (1, 0)
    assert len(mail.messages) == 1
    db.session.rollback()
    assert db.session.scalars(select(OutboxEmail)).one().status == "sent"


def test_shipped_email_carries_the_tracking_number(shopper, mail):
    order = paid_order(shopper, "CHG-100")
    mail.clear()
    mark_fulfilled(order, "staff:test")
    mark_shipped(order, "staff:test", "UPS", "1Z999AA10123456784", "http://x/orders/t")
    db.session.commit()
    emails.send_due(order_id=order.id)
    [message] = mail.messages
    assert message["Subject"] == f"Your order {order.number} is on its way"
    assert "1Z999AA10123456784" in parts(message)["text/plain"]
    assert [e.kind for e in order.events][-2:] == ["fulfilled", "shipped"]


def test_both_e_mails_print_the_address_as_its_country_does(shopper, mail):
    order = paid_order(shopper, "CHG-100")
    [confirmation] = mail.messages
    text = parts(confirmation)["text/plain"].replace("\r\n", "\n")
    assert "Shipping to:\nAna Li\n1 Main Street\nSpringfield, IL 62704\nUnited States" in text
    assert "Springfield, IL 62704<br>United States" in parts(confirmation)["text/html"]
    mail.clear()
    mark_fulfilled(order, "staff:test")
    mark_shipped(order, "staff:test", "UPS", "1Z999AA10123456784", "http://x/orders/t")
    db.session.commit()
    emails.send_due(order_id=order.id)
    [shipped] = mail.messages
    assert "Springfield, IL 62704" in parts(shipped)["text/plain"]
    assert "Springfield, IL 62704<br>United States" in parts(shipped)["text/html"]
