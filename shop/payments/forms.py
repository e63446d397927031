"""The offline demo provider's card form: every field validated, errors shown in place."""

from __future__ import annotations

import re

from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from shop.forms import ShopForm
from shop.input_rules import is_ascii_digits


# Card details in the digits 0-9 only ([0-9], never \d or isdigit(), which take every
# script's digits and would pass a card number in Arabic-Indic digits on to the
# payment provider).
def _card_number(form, field) -> None:
    digits = re.sub(r"[\s-]", "", field.data or "")
    if not is_ascii_digits(digits) or not 12 <= len(digits) <= 19:
        raise ValidationError("Please enter the card number as digits.")


def _expiry(form, field) -> None:
    match = re.fullmatch(r"\s*([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})\s*", field.data or "")
    if not match or not 1 <= int(match.group(1)) <= 12:
        raise ValidationError("Please enter the expiry as MM/YY.")


class DemoPaymentForm(ShopForm):
    card_number = StringField(
        "Card number",
        validators=[DataRequired("Please enter a card number."), Length(max=30), _card_number],
    )
    expiry = StringField(
        "Expiry (MM/YY)",
        validators=[DataRequired("Please enter the expiry."), Length(max=7), _expiry],
    )
    cvc = StringField(
        "CVC",
        validators=[
            DataRequired("Please enter the CVC."),
            Regexp(r"^[0-9]{3,4}$", message="3 or 4 digits, please."),
        ],
    )
