"""The checkout form: every field validated, errors shown in place."""

from __future__ import annotations

from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from shop.checkout.shipping import SHIPPING_METHODS
from shop.forms import ShopForm

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
