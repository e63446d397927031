"""What the cart's writes read, as forms: the same fields whether a page's form posts
them or a script sends JSON (`{"id": 12, "quantity": 2}`, or `{"items": [...]}`).

JSON numbers are accepted where a number is meant, as every storefront cart API
does; they are read as the text a form field would hold, so one parser (digits 0-9
only) and one set of messages serve both. Business rules (at least one, at most so
many, in stock) stay with the cart service; the forms only say what was sent.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from shop.forms import ShopForm, WholeNumberField
from shop.input_rules import parse_whole_number

# Far beyond any real cart, close enough to refuse nonsense before it reaches a query.
NUMBER_LIMIT = 1_000_000
MAX_ITEMS_PER_ADD = 20
_IN_RANGE = NumberRange(-NUMBER_LIMIT, NUMBER_LIMIT, message="That number is out of range.")


class BadCartRequest(ValueError):
    """What was sent cannot be read; the message says what to send instead."""


class CartForm(ShopForm):
    """A cart form: the fields of a posted form, or of one JSON object (`of_json`)."""

    class Meta:
        # The cart's writes are checked by CSRFProtect before the view runs, from the
        # form's field or the X-CSRFToken header a script sends.
        csrf = False

        def wrap_formdata(self, form, formdata):
            if isinstance(formdata, MultiDict):  # fields `of_json` read: already checked
                return formdata
            return super().wrap_formdata(form, formdata)

    # Fields read on a best-effort basis: a value of the wrong kind is dropped, not
    # refused.
    best_effort: tuple[str, ...] = ()

    @classmethod
    def of_json(cls, fields: Any) -> CartForm:
        """The form read from a JSON object whose values are text or numbers. Names the
        form does not have are ignored, as a posted form's extra fields are."""
        if not isinstance(fields, dict):
            raise BadCartRequest('Each item must be an object, such as {"id": 12}.')
        form = cls(formdata=MultiDict())
        formdata = MultiDict()
        for name, value in fields.items():
            if name not in form or value is None:  # null: not given
                continue
            try:
                formdata[name] = _as_text(name, value)
            except BadCartRequest:
                if name not in cls.best_effort:
                    raise
        form.process(formdata)
        return form

    def first_error(self) -> str:
        """The first problem, naming its field, for a 400 or a message."""
        name, messages = next(iter(self.errors.items()))
        return f"'{name}': {messages[0]}"


def _as_text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadCartRequest(f"'{name}' must be a whole number or text.")


class AddItemForm(CartForm):
    best_effort = ("source_article",)

    id = WholeNumberField(validators=[InputRequired("Say which item to add."), _IN_RANGE])
    # Left out or left empty: one.
    quantity = WholeNumberField(
        default=1,
        filters=[lambda units: 1 if units is None else units],
        validators=[Optional(), _IN_RANGE],
    )
    # Which article's card the item was added from: credit is best effort and never
    # refuses a sale, so anything unreadable simply credits nobody (`article_id`).
    # A hidden field: the page's own value, not text a person typed.
    source_article = HiddenField()

    @property
    def article_id(self) -> int | None:
        try:
            article_id = parse_whole_number((self.source_article.data or "")[:20])
        except ValueError:
            return None
        return article_id if 0 < article_id <= NUMBER_LIMIT else None


class ChangeItemForm(CartForm):
    """A line named by its key (`id` in JSON, `key` in the page's form) or, as the
    well-known cart API allows, by its 1-based position (`line`)."""

    id = StringField()
    key = StringField()
    line = WholeNumberField(validators=[Optional(), _IN_RANGE])
    quantity = WholeNumberField(validators=[InputRequired("Say how many."), _IN_RANGE])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.line.data is None and not self.line_key:
            self.id.errors = ["Say which line to change: its 'id' or its 'line'."]
            return False
        return valid

    @property
    def line_key(self) -> str:
        return ((self.id.data or self.key.data) or "").strip()[:80]


class GiftChoiceForm(CartForm):
    promotion_id = WholeNumberField(validators=[InputRequired(), _IN_RANGE])


def items_to_add(body: Any) -> list[AddItemForm]:
    """The items of an add request sent as JSON: one object, or `{"items": [...]}`."""
    if not isinstance(body, dict):
        raise BadCartRequest("The request body must be a JSON object.")
    items = body.get("items", [body]) if "items" in body else [body]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS_PER_ADD:
        raise BadCartRequest(f"'items' must be a list of 1 to {MAX_ITEMS_PER_ADD} items.")
    return [AddItemForm.of_json(item) for item in items]
