"""The shopper-review form on product pages: every field required and bounded."""

from __future__ import annotations

from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Regexp

from shop.catalog import reviews
from shop.forms import ShopForm

# Control characters (tab and line breaks allowed in the text) are refused outright.
_NO_CONTROL_CHARACTERS = Regexp(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$", message="Please remove control characters."
)

STAR_CHOICES = [
    SelectChoice(str(stars), f"{stars} star{'s' if stars > 1 else ''}")
    for stars in range(reviews.MAX_RATING, reviews.MIN_RATING - 1, -1)
]


class ReviewForm(ShopForm):
    rating = RadioField(
        "Your rating",
        choices=STAR_CHOICES,
        validators=[InputRequired("Please choose from 1 to 5 stars.")],
        validate_choice=True,
    )
    title = StringField(
        "Title",
        validators=[
            DataRequired("Please give your review a title."),
            Length(2, reviews.MAX_TITLE_LENGTH),
            _NO_CONTROL_CHARACTERS,
        ],
    )
    body = TextAreaField(
        "Your review",
        validators=[
            DataRequired("Please write a few words about the product."),
            Length(
                reviews.MIN_BODY_LENGTH,
                reviews.MAX_BODY_LENGTH,
                message=(
                    f"Please write between {reviews.MIN_BODY_LENGTH} and "
                    f"{reviews.MAX_BODY_LENGTH} characters."
                ),
            ),
            _NO_CONTROL_CHARACTERS,
        ],
    )
    author_name = StringField(
        "Your name (shown with the review)",
        validators=[
            DataRequired("Please enter a name to show with your review."),
            Length(max=reviews.MAX_NAME_LENGTH),
            _NO_CONTROL_CHARACTERS,
        ],
    )
    email = EmailField(
        "E-mail (never shown; used to mark verified buyers)",
        validators=[
            DataRequired("Please enter your e-mail address."),
            Email("Please enter a valid e-mail address."),
            Length(max=reviews.MAX_EMAIL_LENGTH),
        ],
    )

    @property
    def stars(self) -> int:
        return int(self.rating.data)
