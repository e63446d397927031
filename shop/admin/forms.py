"""Back-office forms. Each one checks what a form can check alone (required fields,
formats, ranges, a promotion that ends before it starts); the services check what needs
the database (a duplicate handle, a product changed meanwhile). Fields keep what was
typed when the form is shown again with errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import current_app
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from content.models import MAX_SCORE, Article
from shop.admin.catalog_service import STOCK_REASONS
from shop.admin.models import MIN_PASSWORD_LENGTH, Role
from shop.catalog.models import ProductType
from shop.forms import (
    DecimalNumberField,
    ShopForm,
    WholeNumberField,
    whole_number,
    whole_number_or_none,
)
from shop.input_rules import is_ascii_digits
from shop.money import parse_major_units, to_decimal
from shop.orders.states import OrderStatus
from shop.promotions.models import RewardType
from shop.promotions.rules import (
    MAX_PERCENT_OFF,
    MIN_PERCENT_OFF,
    PERCENT_OFF_MESSAGE,
    WINDOW_ORDER_MESSAGE,
)

HANDLE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
HANDLE_MESSAGE = "Use lowercase letters, digits and single hyphens, like “peptide-serum”."
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$"


# --------------------------------------------------------------------- custom fields


# Far above any price or threshold, and below what every database's integers hold.
MAX_AMOUNT = 10**11


class MoneyField(StringField):
    """An amount typed in major units ("19.99"), held as integer minor units.

    Shown again exactly as typed when the form has errors; a negative amount is
    refused unless `allow_negative`.
    """

    def __init__(self, label=None, validators=None, *, minimum: int | None = 0, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().lstrip("$").replace(",", "")
        if not text:
            return
        try:
            amount = parse_major_units(text, current_app.config["STORE_CURRENCY"])
        except ValueError:
            raise ValueError(f"Enter an amount such as 19.99 for {self.label.text}.") from None
        if amount > MAX_AMOUNT:
            raise ValueError(f"{self.label.text} is too large.")
        if self.minimum is not None and amount < self.minimum:
            if self.minimum == 0:
                raise ValueError(f"{self.label.text} cannot be below zero.")
            raise ValueError(f"{self.label.text} must be more than zero.")
        self.data = amount

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return str(to_decimal(self.data, current_app.config["STORE_CURRENCY"]))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, which work well without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UTCDateTimeField(DateTimeLocalField):
    """A date and time typed as UTC; held as an aware datetime."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"Enter a date and time for {self.label.text}.") from None
        if self.data is not None:
            self.data = self.data.replace(tzinfo=UTC)

    def process_data(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        super().process_data(value)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select, radio or checkbox group."""
    return [SelectChoice(value, label) for value, label in pairs]


def split_skus(text: str | None) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text or "") if part]


def required_number(
    label: str,
    *,
    missing: str,
    low: int | None = None,
    high: int | None = None,
    out_of_range: str | None = None,
    default: int | None = None,
) -> WholeNumberField:
    """A whole number the form cannot be sent without, from `low` to `high`; the
    messages say what is missing or out of range in the field's own words."""
    return WholeNumberField(
        label,
        default=default,
        validators=[InputRequired(missing), NumberRange(min=low, max=high, message=out_of_range)],
    )


class VersionField(HiddenField):
    """The version the form was opened at, sent back to detect a concurrent save."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and is_ascii_digits(valuelist[0].strip()):
            self.data = int(valuelist[0])


# --------------------------------------------------------------------- sign-in, staff


class LoginForm(ShopForm):
    email = EmailField(
        "E-mail",
        validators=[InputRequired("Enter your e-mail address."), Length(max=254)],
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    next = HiddenField()
    submit = SubmitField("Sign in")


def _password_rules():
    return [
        InputRequired("Enter a password."),
        Length(
            min=MIN_PASSWORD_LENGTH,
            max=200,
            message=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
        ),
    ]


ROLE_CHOICES = [
    (Role.OWNER, "Owner: everything, including staff accounts"),
    (Role.MERCHANDISER, "Merchandiser: products, stock, promotions"),
    (Role.EDITOR, "Editor: articles, reviews"),
    (Role.FULFILMENT, "Fulfilment: orders, shipping, refunds"),
]


class StaffCreateForm(ShopForm):
    email = EmailField(
        "E-mail",
        validators=[
            InputRequired("Enter an e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    role = RadioField(
        "Role", choices=options(ROLE_CHOICES), validators=[InputRequired("Choose a role.")]
    )
    password = PasswordField("Password", validators=_password_rules())
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The passwords differ."),
        ],
    )
    submit = SubmitField("Create account")


class StaffEditForm(ShopForm):
    role = RadioField(
        "Role", choices=options(ROLE_CHOICES), validators=[InputRequired("Choose a role.")]
    )
    is_active = BooleanField("Account active (may sign in)")
    submit = SubmitField("Save")


class PasswordForm(ShopForm):
    password = PasswordField("New password", validators=_password_rules())
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The passwords differ."),
        ],
    )
    submit = SubmitField("Set password")


class OwnPasswordForm(PasswordForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )


class ActionForm(ShopForm):
    """A button that only needs the CSRF token (and, optionally, a version)."""

    version = VersionField()
    submit = SubmitField("Confirm")


# --------------------------------------------------------------------- catalogue

PRODUCT_TYPE_CHOICES = [
    (ProductType.DEVICE, "Device"),
    (ProductType.SKINCARE, "Skincare"),
    (ProductType.ACCESSORY, "Accessory"),
    (ProductType.BUNDLE, "Bundle (made of other variants)"),
    (ProductType.GIFT, "Gift (only given by promotions)"),
]


class ProductForm(ShopForm):
    title = StringField("Title", validators=[InputRequired("Enter a title."), Length(max=200)])
    handle = StringField(
        "Handle (the product's web address)",
        validators=[
            InputRequired("Enter a handle."),
            Length(max=120),
            Regexp(HANDLE_PATTERN, message=HANDLE_MESSAGE),
        ],
    )
    subtitle = StringField("Subtitle", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description (Markdown)", validators=[Optional()])
    product_type = SelectField("Type", choices=options(PRODUCT_TYPE_CHOICES))
    option_name = StringField(
        "Option name (what variants differ by, e.g. Colour)",
        validators=[Optional(), Length(max=60)],
    )
    is_active = BooleanField("Active (shown in the shop)", default=True)
    is_featured = BooleanField("Featured on the home page")
    position = required_number(
        "Position in lists",
        missing="Enter a position.",
        low=0,
        high=100000,
        out_of_range="Use a whole number from 0.",
        default=0,
    )
    version = VersionField()
    submit = SubmitField("Save product")


class VariantFields(ShopForm):
    sku = StringField(
        "SKU",
        validators=[
            InputRequired("Enter a SKU."),
            Length(max=64),
            Regexp(SKU_PATTERN, message="Use letters, digits, dots, dashes and underscores."),
        ],
    )
    option_value = StringField(
        "Option value (e.g. Rose Gold, 50 ml)", validators=[Optional(), Length(max=60)]
    )
    price = MoneyField("Price", validators=[InputRequired("Enter a price.")])
    compare_at_price = MoneyField("Compare-at price (before a sale)", validators=[Optional()])
    weight_grams = required_number(
        "Weight in grams",
        missing="Enter a weight.",
        low=0,
        out_of_range="The weight cannot be below zero.",
        default=0,
    )


class NewProductForm(ProductForm):
    variant_sku = VariantFields.sku
    variant_option_value = VariantFields.option_value
    variant_price = VariantFields.price
    variant_compare_at_price = VariantFields.compare_at_price
    variant_weight_grams = VariantFields.weight_grams
    stock = required_number(
        "Stock on hand",
        missing="Enter the stock on hand (0 if none).",
        low=0,
        out_of_range="Stock cannot be below zero.",
        default=0,
    )
    submit = SubmitField("Create product")


class VariantForm(VariantFields):
    position = required_number(
        "Position", missing="Enter a position.", low=0, high=100000, default=0
    )
    is_active = BooleanField("Active (can be bought)", default=True)
    version = VersionField()
    submit = SubmitField("Save variant")


class NewVariantForm(VariantForm):
    stock = NewProductForm.stock
    submit = SubmitField("Add variant")


class ComponentForm(ShopForm):
    component = SelectField("Part", coerce=whole_number_or_none, validate_choice=False)
    quantity = required_number(
        "Quantity",
        missing="Enter a quantity.",
        low=1,
        high=100,
        out_of_range="Use a quantity from 1 to 100.",
        default=1,
    )
    version = VersionField()
    submit = SubmitField("Add part")


class ImageForm(ShopForm):
    image = FileField(
        "Picture (PNG, JPEG or WebP)", validators=[FileRequired("Choose a picture to upload.")]
    )
    alt = StringField(
        "Text alternative (describe the picture)",
        validators=[
            InputRequired("Describe the picture for people who cannot see it."),
            Length(max=300),
        ],
    )
    variant = SelectField("Shows variant", coerce=whole_number_or_none, validate_choice=False)
    version = VersionField()
    submit = SubmitField("Upload picture")


class StockForm(ShopForm):
    delta = required_number(
        "Change in units (negative to take off)",
        missing="Enter how many units to add or take off.",
        low=-100000,
        high=100000,
    )
    reason = SelectField("Reason", choices=options(STOCK_REASONS.items()))
    # No Optional(): it would stop the check that "other" comes with a note.
    note = StringField("Note", validators=[Length(max=150)])
    submit = SubmitField("Adjust stock")

    def validate_delta(self, field):
        if field.data == 0:
            raise ValidationError("Enter a change other than zero.")

    def validate_note(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError("Say why the stock changes.")


# --------------------------------------------------------------------- promotions

REWARD_CHOICES = [
    (RewardType.GIFT, "Free gift"),
    (RewardType.PERCENT_OFF, "Percentage off"),
    (RewardType.AMOUNT_OFF, "Amount off the order"),
    (RewardType.FREE_SHIPPING, "Free shipping"),
]
FIRST_ORDER_CHOICES = [("", "Unknown"), ("yes", "First order"), ("no", "Returning shopper")]


class SimulationFields(ShopForm):
    sample_cart = TextAreaField(
        "Your own sample cart (one line per item: SKU and quantity)",
        validators=[Optional(), Length(max=2000)],
    )
    sample_codes = StringField(
        "Codes entered in the sample carts", validators=[Optional(), Length(max=200)]
    )
    sample_first_order = SelectField(
        "Shopper in the sample carts", choices=options(FIRST_ORDER_CHOICES)
    )

    def validate_sample_cart(self, field):
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) > 2 or (len(parts) == 2 and not is_ascii_digits(parts[1])):
                raise ValidationError(
                    f"Line {number}: write a SKU and a quantity, like “FPS-30 2”."
                )


class PromotionForm(SimulationFields):
    name = StringField(
        "Name (for staff)", validators=[InputRequired("Enter a name."), Length(max=120)]
    )
    label = StringField(
        "Label (what shoppers read)",
        validators=[InputRequired("Enter the label shoppers see."), Length(max=160)],
    )
    reward_type = RadioField(
        "Reward", choices=options(REWARD_CHOICES), validators=[InputRequired("Choose a reward.")]
    )
    # Reward details.
    gift_skus = StringField(
        "Gift SKUs in order: the gift first, then backups used when it is out of stock",
        validators=[Optional(), Length(max=300)],
    )
    gift_per_units = WholeNumberField(
        "One gift per this many qualifying units (empty: one gift per order)",
        validators=[Optional(), NumberRange(min=1, max=1000, message="Use a number from 1.")],
    )
    gift_max_quantity = required_number(
        "At most this many gifts per order",
        missing="Enter the most gifts per order.",
        low=1,
        high=100,
        out_of_range="Use a number from 1 to 100.",
        default=1,
    )
    percent_off = WholeNumberField(
        "Percent off",
        validators=[
            Optional(),
            NumberRange(min=MIN_PERCENT_OFF, max=MAX_PERCENT_OFF, message=PERCENT_OFF_MESSAGE),
        ],
    )
    percent_products = MultiCheckboxField(
        "Only on these products (none ticked: the whole order)",
        coerce=whole_number,
        validate_choice=False,
    )
    amount_off = MoneyField("Amount off", validators=[Optional()], minimum=1)
    # Conditions.
    code = StringField(
        "Code shoppers type (empty: applies automatically)",
        validators=[
            Optional(),
            Regexp(CODE_PATTERN, message="Use 3 to 40 letters, digits, dashes or underscores."),
        ],
    )
    min_subtotal = MoneyField("Minimum subtotal", validators=[Optional()])
    required_products = MultiCheckboxField(
        "Cart must contain one of these products", coerce=whole_number, validate_choice=False
    )
    required_variants = MultiCheckboxField(
        "Cart must contain one of these variants", coerce=whole_number, validate_choice=False
    )
    required_min_quantity = required_number(
        "How many qualifying units are needed",
        missing="Enter how many units are needed.",
        low=1,
        high=1000,
        out_of_range="Use a number from 1.",
        default=1,
    )
    first_order_only = BooleanField("Only for a shopper's first order")
    starts_at = UTCDateTimeField("Starts (UTC)", validators=[Optional()])
    ends_at = UTCDateTimeField("Ends (UTC)", validators=[Optional()])
    # Combination and limits.
    priority = required_number(
        "Priority (higher is considered first)",
        missing="Enter a priority.",
        low=-1000,
        high=1000,
        out_of_range="Use a number from -1000 to 1000.",
        default=0,
    )
    combinable = BooleanField("Combines with other promotions", default=True)
    usage_limit_total = WholeNumberField(
        "Usage limit in total",
        validators=[Optional(), NumberRange(min=1, message="Use 1 or more.")],
    )
    usage_limit_per_email = WholeNumberField(
        "Usage limit per shopper e-mail",
        validators=[Optional(), NumberRange(min=1, message="Use 1 or more.")],
    )
    version = VersionField()
    save = SubmitField("Save")
    simulate = SubmitField("Simulate these settings")

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(WINDOW_ORDER_MESSAGE)

    def validate(self, extra_validators=None) -> bool:
        """The chosen reward's own detail is required (the others may stay empty)."""
        valid = super().validate(extra_validators)
        reward = self.reward_type.data
        required = {
            RewardType.PERCENT_OFF: (self.percent_off, "Enter the percentage off."),
            RewardType.AMOUNT_OFF: (self.amount_off, "Enter the amount off."),
            RewardType.GIFT: (self.gift_skus, "Enter the SKU of the gift."),
        }
        if reward in required:
            field, message = required[reward]
            empty = not split_skus(field.data) if field is self.gift_skus else field.data is None
            if empty and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        return valid


class SimulationForm(SimulationFields):
    submit = SubmitField("Simulate")


# --------------------------------------------------------------------- orders

ORDER_STATUS_CHOICES = [("", "Any state")] + [
    (status, status.replace("_", " ").capitalize()) for status in OrderStatus
]


class OrderFilterForm(ShopForm):
    class Meta:
        csrf = False

    status = SelectField("State", choices=options(ORDER_STATUS_CHOICES), validators=[Optional()])
    since = DateField("Placed from", validators=[Optional()])
    until = DateField("Placed until", validators=[Optional()])
    email = StringField("E-mail contains", validators=[Optional(), Length(max=254)])
    has_gift = SelectField(
        "Gift",
        choices=options(
            [("", "With or without"), ("yes", "With a gift"), ("no", "Without a gift")]
        ),
    )
    article = SelectField("Source article", coerce=whole_number_or_none, validate_choice=False)


class ShipForm(ShopForm):
    carrier = StringField(
        "Carrier", validators=[InputRequired("Enter the carrier."), Length(max=60)]
    )
    tracking_number = StringField(
        "Tracking number",
        validators=[InputRequired("Enter the tracking number."), Length(max=80)],
    )
    submit = SubmitField("Mark shipped and e-mail the shopper")


class RefundForm(ShopForm):
    amount = MoneyField(
        "Amount to refund", validators=[InputRequired("Enter the amount to refund.")], minimum=1
    )
    gift_returned = BooleanField("The shopper sent the free gift back")
    reason = StringField("Reason", validators=[Optional(), Length(max=300)])
    submit = SubmitField("Refund")


class CancelForm(ShopForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Cancel order")


# --------------------------------------------------------------------- audit log


class AuditFilterForm(ShopForm):
    class Meta:
        csrf = False

    staff = SelectField("Staff member", coerce=whole_number_or_none, validate_choice=False)
    entity_type = SelectField("Entity", validate_choice=False)
    action = SelectField("Action", validate_choice=False)
    since = DateField("From", validators=[Optional()])
    until = DateField("Until", validators=[Optional()])


# --------------------------------------------------------------------- articles


class VersionTokenForm(ShopForm):
    """A button that carries the article's last-saved stamp (and the CSRF token)."""

    token = HiddenField()


class ScheduleForm(VersionTokenForm):
    published_at = UTCDateTimeField(
        "Publish at (UTC)", validators=[InputRequired("Choose when to publish.")]
    )


def _longest(column) -> int:
    """The longest text the column holds: the model owns each field's limit."""
    return column.type.length


class ArticleForm(ShopForm):
    kind = RadioField(
        "Kind",
        choices=options([("guide", "Guide"), ("review", "Review of a product")]),
        validators=[InputRequired("Choose guide or review.")],
    )
    title = StringField(
        "Title", validators=[InputRequired("Enter a title."), Length(max=_longest(Article.title))]
    )
    slug = StringField(
        "Slug (the article's web address)",
        validators=[
            InputRequired("Enter a slug."),
            Length(max=_longest(Article.slug)),
            Regexp(HANDLE_PATTERN, message=HANDLE_MESSAGE.replace("peptide-serum", "how-to-tone")),
        ],
    )
    author = StringField(
        "Author (name, role)",
        validators=[InputRequired("Enter the author."), Length(max=_longest(Article.author))],
    )
    summary = TextAreaField(
        "Summary", validators=[Optional(), Length(max=_longest(Article.summary))]
    )
    body = TextAreaField("Body (Markdown)", validators=[Optional(), Length(max=200_000)])
    hero_image = StringField(
        "Hero image (a path under static/)",
        validators=[Optional(), Length(max=_longest(Article.hero_image))],
    )
    hero_alt = StringField(
        "Hero image description",
        validators=[Optional(), Length(max=_longest(Article.hero_alt))],
    )
    tag_list = StringField(
        "Tags (separated by spaces or commas)", validators=[Optional(), Length(max=500)]
    )
    seo_title = StringField(
        "Search engine title",
        validators=[Optional(), Length(max=_longest(Article.seo_title))],
    )
    seo_description = TextAreaField(
        "Search engine description",
        validators=[Optional(), Length(max=_longest(Article.seo_description))],
    )
    reviewed_product = SelectField(
        "Reviewed product", coerce=whole_number_or_none, validate_choice=False
    )
    score = DecimalNumberField(
        f"Score (0 to {MAX_SCORE})",
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_SCORE, message=f"Use a score from 0 to {MAX_SCORE}."),
        ],
    )
    verdict = TextAreaField("Verdict", validators=[Optional(), Length(max=5000)])
    pros_text = TextAreaField("Pros (one per line)", validators=[Optional(), Length(max=3000)])
    cons_text = TextAreaField("Cons (one per line)", validators=[Optional(), Length(max=3000)])
    token = HiddenField()
    save = SubmitField("Save")
    preview = SubmitField("Preview")
