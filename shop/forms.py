"""The base of every form in the shop, and number fields that read the digits 0-9 only.

ShopForm is the one place two rules meet every form, present and future:

- A form sent as JSON (Flask-WTF accepts that) must be an object of text fields.
  Flask-WTF hands the parsed body to a MultiDict as it is: an array raises TypeError,
  and a number or a nested object reaches validators that expect text. Either would
  be a 500 for what is the sender's mistake, so it is a 400 that says so.
- Text typed into a field may carry no bidi controls (see shop.input_rules). The
  check is a filter every text field gets when it is bound: a filter's ValueError
  becomes that field's error, and the field keeps what was typed to be corrected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, request
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, PasswordField, StringField

from shop.input_rules import (
    BIDI_CONTROLS_MESSAGE,
    has_bidi_controls,
    parse_decimal,
    parse_whole_number,
)

WHOLE_NUMBER_MESSAGE = "Enter a whole number with the digits 0-9."
DECIMAL_MESSAGE = "Enter a number with the digits 0-9, like 8.5."
JSON_FORM_MESSAGE = (
    'A form sent as JSON must be an object of text fields, such as {"email": "ana@example.com"}.'
)


def _is_form_fields(body: Any) -> bool:
    """An object whose values are text, or lists of text for fields with several."""
    if not isinstance(body, dict):
        return False
    return all(
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        for value in body.values()
    )


def refuse_bidi_controls(value: Any) -> Any:
    if isinstance(value, str) and has_bidi_controls(value):
        raise ValueError(BIDI_CONTROLS_MESSAGE)
    return value


def _is_typed_text(field_class: type) -> bool:
    """Fields whose text a person types and others may read: not passwords (never
    shown) nor hidden fields (the page's own values, not typed)."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, (PasswordField, HiddenField)
    )


class ShopForm(FlaskForm):
    class Meta:
        def wrap_formdata(self, form, formdata):
            # formdata None means "do not read the request" (a form shown, not sent).
            reads_a_json_body = formdata is not None and form.is_submitted() and request.is_json
            # A body that is not JSON at all is refused by get_json itself.
            if reads_a_json_body and not _is_form_fields(request.get_json()):
                abort(400, description=JSON_FORM_MESSAGE)
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            if _is_typed_text(unbound_field.field_class):
                filters = [*unbound_field.kwargs.get("filters", ()), refuse_bidi_controls]
                return unbound_field.bind(form=form, filters=filters, **options)
            return super().bind_field(form, unbound_field, options)


class _DigitsOnly:
    """A number field that reads what was typed with `parse` (digits 0-9 only) instead
    of int() or Decimal(), which read every script's digits. Empty input is left to the
    field's own required/optional rule; refused input keeps what was typed."""

    parse: Callable[[str], Any]
    message: str

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            super().process_formdata(valuelist)
            return
        try:
            self.data = self.parse(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


class WholeNumberField(_DigitsOnly, IntegerField):
    """An IntegerField in the digits 0-9 (int() reads Arabic-Indic "15" as 15)."""

    parse = staticmethod(parse_whole_number)
    message = WHOLE_NUMBER_MESSAGE


class DecimalNumberField(_DigitsOnly, DecimalField):
    """A DecimalField in the digits 0-9, and no NaN or infinities (Decimal() reads
    every script's digits, and "NaN" as a number no range check can compare)."""

    parse = staticmethod(parse_decimal)
    message = DECIMAL_MESSAGE


def whole_number(value: Any) -> int:
    """A choice's value as an int (the `coerce` of a select or checkbox group)."""
    return value if isinstance(value, int) else parse_whole_number(value)


def whole_number_or_none(value: Any) -> int | None:
    """As whole_number, with "" (and "None", how an empty choice renders) meaning none."""
    if value in ("", None, "None"):
        return None
    return whole_number(value)
