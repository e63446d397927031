"""Back-office forms for shipping: countries, zones, methods, settings, the tester.

Each checks what it can alone (formats, ranges); `shop.admin.shipping_service` checks
the rest (a zone name taken, a subdivision its country does not have)."""

from __future__ import annotations

from flask import current_app
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from shop.addresses.rules import address_countries, country_name
from shop.admin.forms import (
    MAX_AMOUNT,
    MoneyField,
    MultiCheckboxField,
    SimulationFields,
    VersionField,
)
from shop.admin.shipping_service import MAX_BANDS, MAX_DAYS
from shop.forms import ShopForm, WholeNumberField
from shop.input_rules import is_ascii_digits
from shop.money import parse_major_units
from shop.shipping.rates import RateType

RATE_CHOICES = [
    SelectChoice(RateType.FLAT, "Flat price"),
    SelectChoice(RateType.WEIGHT, "By the order's weight, in bands"),
    SelectChoice(RateType.SUBTOTAL, "By the order's subtotal after discounts, in bands"),
]
BAND_ROWS = 5


def country_choices(codes) -> list[SelectChoice]:
    return [SelectChoice(code, f"{country_name(code)} ({code})") for code in codes]


class SellingCountryForm(ShopForm):
    country = SelectField("Country", validate_choice=True)
    submit = SubmitField("Add country")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(address_countries())


class ShippingSettingsForm(ShopForm):
    version = VersionField()
    phone_required = BooleanField("Ask every shopper for a phone number for the courier")
    submit = SubmitField("Save settings")


class ZoneForm(ShopForm):
    version = VersionField()
    name = StringField("Name", validators=[InputRequired("Enter a name."), Length(max=80)])
    position = WholeNumberField(
        "Position",
        default=0,
        validators=[
            InputRequired("Enter a position (0 or more)."),
            NumberRange(min=0, max=10000, message="Use a position from 0 to 10000."),
        ],
    )
    countries = MultiCheckboxField("Countries", validate_choice=False)
    areas = StringField(
        "Only these states, provinces or counties (optional)",
        validators=[Optional(), Length(max=2000)],
    )
    postcodes = TextAreaField(
        "Only these postcodes (optional)", validators=[Optional(), Length(max=8000)]
    )
    submit = SubmitField("Save zone")

    def __init__(self, *args, selling: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.countries.choices = country_choices(selling)


class BandForm(Form):
    """One band: where it starts (grams, or an amount for a subtotal rate) and its price."""

    start = StringField("Starts at", validators=[Optional(), Length(max=20)])
    price = MoneyField("Price", validators=[Optional()])


class MethodForm(ShopForm):
    version = VersionField()
    name = StringField(
        "Name shoppers see", validators=[InputRequired("Enter a name."), Length(max=40)]
    )
    rate_type = RadioField(
        "Priced", choices=RATE_CHOICES, default=RateType.FLAT, validate_choice=True
    )
    flat_price = MoneyField("Flat price", validators=[Optional()])
    bands = FieldList(FormField(BandForm), min_entries=BAND_ROWS, max_entries=MAX_BANDS)
    free_with_promotion = BooleanField("Free when a promotion gives free shipping")
    min_days = WholeNumberField(
        "Arrives in at least (business days)",
        default=3,
        validators=[
            InputRequired("Enter a number of business days."),
            NumberRange(min=0, max=MAX_DAYS, message=f"Use 0 to {MAX_DAYS} business days."),
        ],
    )
    max_days = WholeNumberField(
        "Arrives in at most (business days)",
        default=5,
        validators=[
            InputRequired("Enter a number of business days."),
            NumberRange(min=0, max=MAX_DAYS, message=f"Use 0 to {MAX_DAYS} business days."),
        ],
    )
    position = WholeNumberField(
        "Position in the zone's list",
        default=0,
        validators=[
            InputRequired("Enter a position (0 or more)."),
            NumberRange(min=0, max=10000, message="Use a position from 0 to 10000."),
        ],
    )
    submit = SubmitField("Save method")
    band_data: tuple[tuple[int | None, int | None], ...] = ()

    def validate_bands(self, field) -> None:
        """Read the bands typed, their starts as the rate chosen says (grams for a
        weight rate, an amount for a subtotal rate), into `band_data`; a start that
        cannot be read gets an error on its field."""
        values, unreadable = [], []
        for number, row in enumerate(self.bands, start=1):
            typed = (row.start.data or "").strip()
            start = self._band_start(typed) if typed else None
            if typed and start is None:
                row.start.errors = [*row.start.errors, self._band_start_message()]
                unreadable.append(str(number))
            values.append((start, row.price.data))
        self.band_data = tuple(values)
        if unreadable:
            raise ValidationError(
                f"Band {', '.join(unreadable)}: {self._band_start_message().lower()}"
            )

    def _band_start(self, typed: str) -> int | None:
        if self.rate_type.data == RateType.WEIGHT:
            return int(typed) if is_ascii_digits(typed) and len(typed) <= 9 else None
        try:
            amount = parse_major_units(
                typed.lstrip("$").replace(",", ""), current_app.config["STORE_CURRENCY"]
            )
        except ValueError:
            return None
        return amount if 0 <= amount <= MAX_AMOUNT else None

    def _band_start_message(self) -> str:
        if self.rate_type.data == RateType.WEIGHT:
            return "Enter a weight in grams, such as 1000."
        return "Enter an amount such as 150.00."


class ShippingTestForm(SimulationFields):
    sample_first_order = None  # shipping does not depend on it
    country = SelectField("Country", validate_choice=True)
    country_area = StringField(
        "State, province or county code (optional)", validators=[Optional(), Length(max=10)]
    )
    postal_code = StringField("Postcode (optional)", validators=[Optional(), Length(max=20)])
    submit = SubmitField("Find the shipping")

    def __init__(self, *args, selling: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(selling)
