"""Checkout and demo-payment forms: every field validated, errors shown in place."""

from __future__ import annotations

import re

from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from shop.checkout.shipping import SHIPPING_METHODS
from shop.forms import ShopForm
from shop.input_rules import is_ascii_digits

COUNTRIES = [
    SelectChoice("US", "United States"),
    SelectChoice("CA", "Canada"),
    SelectChoice("GB", "United Kingdom"),
    SelectChoice("IE", "Ireland"),
    SelectChoice("AU", "Australia"),
    SelectChoice("NZ", "New Zealand"),
]

_PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Please remove control characters.")


class CheckoutForm(ShopForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Please enter your e-mail address."),
            Email("Please enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    name = StringField(
        "Full name",
        validators=[DataRequired("Please enter your name."), Length(max=120), _PRINTABLE],
    )
    line1 = StringField(
        "Address",
        validators=[DataRequired("Please enter your street address."), Length(max=200), _PRINTABLE],
    )
    line2 = StringField(
        "Apartment, suite (optional)", validators=[Optional(), Length(max=200), _PRINTABLE]
    )
    city = StringField(
        "City", validators=[DataRequired("Please enter your city."), Length(max=120), _PRINTABLE]
    )
    postal_code = StringField(
        "Postal code",
        validators=[
            DataRequired("Please enter your postal code."),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9 -]{2,20}$", message="Please check your postal code."),
        ],
    )
    country = SelectField("Country", choices=COUNTRIES, default="US", validate_choice=True)
    shipping_method = RadioField(
        "Shipping",
        choices=[SelectChoice(m.code, m.label) for m in SHIPPING_METHODS],
        default="standard",
        validators=[DataRequired("Please choose a shipping method.")],
    )


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
