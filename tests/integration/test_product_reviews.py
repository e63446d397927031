"""Shopper reviews: the form, moderation, escaping, verified buyers, ratings on every
card, and the rate limit on sending them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select

from shop import create_app
from shop.catalog import reviews
from shop.catalog.models import Product
from shop.catalog.reviews import ProductReview, ReviewStatus
from shop.config import TestConfig
from shop.extensions import db, limiter
from shop.unit_of_work import unit_of_work
from tests.integration.cart_helpers import CartClient, csrf_token, pay_demo, place_order

DEVICE = "/products/microcurrent-device"


@pytest.fixture
def shopper(client, demo_store) -> CartClient:
    return CartClient(client)


def review_data(**overrides) -> dict:
    return {
        "rating": "4",
        "title": "Lovely device",
        "body": "Gentle, easy, and my jawline looks a touch sharper.",
        "author_name": "Robin",
        "email": "robin@example.com",
        **overrides,
    }


def product_id(handle: str) -> int:
    return db.session.scalar(select(Product.id).where(Product.handle == handle))


def reviews_of(handle: str) -> list[ProductReview]:
    db.session.rollback()
    return db.session.scalars(
        select(ProductReview)
        .where(ProductReview.product_id == product_id(handle))
        .order_by(ProductReview.id)
    ).all()


def newest_review(handle: str = "microcurrent-device") -> ProductReview:
    return reviews_of(handle)[-1]


def reviews_section(html: str) -> str:
    start = html.index('id="reviews"')
    return html[start : html.index("</section>", start)]


class Tags:
    """Start tags and their attributes (HTMLParser), to check markup, not text."""

    @staticmethod
    def of(html: str) -> list[tuple[str, dict]]:
        from html.parser import HTMLParser

        found: list[tuple[str, dict]] = []

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                found.append((tag, {k: v or "" for k, v in attrs}))

        Parser().feed(html)
        return found


# --------------------------------------------------------------------------- the form


def test_product_page_shows_approved_reviews_average_and_the_form(client, demo_store):
    html = client.get(DEVICE).get_data(as_text=True)
    summary = reviews.rating_summary(product_id("microcurrent-device"))
    assert summary.count == 3  # the seeded pending one is not counted
    assert f"{summary.average:.1f} out of 5" in html and "(3 reviews)" in html
    section = reviews_section(html)
    assert section.count("data-review") == 3
    assert "My jawline noticed before I did" in section
    assert "expected faster results" not in section  # pending
    assert 'name="rating"' in section and 'name="csrf_token"' in section
    assert "robin@" not in section and "hannah.k@example.com" not in html  # e-mails never shown


def test_a_review_is_held_for_moderation_then_shown_once_approved(shopper):
    response = shopper.form(DEVICE, review_data(), follow=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{DEVICE}#reviews")
    page = shopper.client.get(DEVICE).get_data(as_text=True)
    assert "will appear once our editors" in page
    assert "Lovely device" not in page
    review = newest_review()
    assert review.status == ReviewStatus.PENDING and review.rating == 4
    assert review.email == "robin@example.com" and not review.is_verified_buyer
    assert review in reviews.pending_reviews()

    with unit_of_work():
        reviews.approve_review(review.id)
    page = shopper.client.get(DEVICE).get_data(as_text=True)
    assert "Lovely device" in page and "(4 reviews)" in page
    assert review not in reviews.pending_reviews()
    assert reviews.rating_summary(product_id("microcurrent-device")).count == 4


def test_a_rejected_review_stays_hidden(shopper):
    shopper.form(DEVICE, review_data(title="Spam spam spam"))
    review = newest_review()
    with unit_of_work():
        rejected = reviews.reject_review(review.id)
    assert rejected.status == ReviewStatus.REJECTED and rejected.moderated_at is not None
    assert "Spam spam spam" not in shopper.client.get(DEVICE).get_data(as_text=True)
    with pytest.raises(reviews.ReviewError):
        reviews.approve_review(999_999)


def test_pending_queue_is_oldest_first(demo_store):
    queue = reviews.pending_reviews()
    assert len(queue) == 4  # seeded: one per product
    assert [r.created_at for r in queue] == sorted(r.created_at for r in queue)
    assert reviews.count_pending_reviews() == 4
    assert all(r.product is not None for r in queue)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rating": ""}, "Please choose from 1 to 5 stars."),
        ({"rating": "6"}, "Not a valid choice"),
        ({"rating": "0"}, "Not a valid choice"),
        ({"title": ""}, "Please give your review a title."),
        ({"title": "T" * 121}, "between 2 and 120"),
        ({"body": "short"}, "between 10 and 2000"),
        ({"body": "x" * 2001}, "between 10 and 2000"),
        ({"author_name": ""}, "Please enter a name"),
        ({"email": "not-an-email"}, "valid e-mail"),
        ({"body": "bell \x07 and escape \x1b in the text"}, "control characters"),
    ],
)
def test_invalid_reviews_are_refused_with_the_reason(shopper, overrides, message):
    before = len(reviews_of("microcurrent-device"))
    response = shopper.form(DEVICE, review_data(**overrides), follow=False)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(reviews_of("microcurrent-device")) == before


@pytest.mark.parametrize("field", ["title", "body", "author_name"])
@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2067", "\u200f", "\u061c"])
def test_bidi_controls_in_a_review_are_refused_keeping_what_was_typed(shopper, field, control):
    """A right-to-left override (U+202E) and its kin reorder how text is shown: a
    review could show words its writer never typed in that order."""
    before = len(reviews_of("microcurrent-device"))
    typed = f"{review_data()[field]} {control}gpj.exe"
    response = shopper.form(DEVICE, review_data(**{field: typed}), follow=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "invisible characters that change the direction of text" in html
    assert typed in html  # kept, to fix rather than retype
    assert len(reviews_of("microcurrent-device")) == before


def test_a_review_sent_as_a_json_object_of_text_fields_is_taken(shopper):
    """Forms take a JSON object of text fields as well as form fields; only other JSON
    (an array, nesting, numbers) is refused, with the reason."""
    before = len(reviews_of("microcurrent-device"))
    headers = {"X-CSRFToken": shopper.token}
    taken = shopper.client.post(DEVICE, json=review_data(), headers=headers)
    assert taken.status_code == 302
    assert len(reviews_of("microcurrent-device")) == before + 1
    refused = shopper.client.post(DEVICE, json=[review_data()], headers=headers)
    assert refused.status_code == 400
    assert "object of text fields" in refused.get_json()["description"]
    assert len(reviews_of("microcurrent-device")) == before + 1


def test_a_nul_byte_in_a_review_is_refused_at_the_door(shopper):
    before = len(reviews_of("microcurrent-device"))
    response = shopper.form(DEVICE, review_data(body="nul \x00 byte in the text"), follow=False)
    assert response.status_code == 400
    assert "character we cannot accept" in response.get_data(as_text=True)
    assert len(reviews_of("microcurrent-device")) == before


def test_the_form_needs_the_csrf_token(client, demo_store):
    response = client.post(DEVICE, data=review_data())
    assert response.status_code == 400
    assert reviews.count_pending_reviews() == 4


def test_reviews_of_unknown_or_gift_products_are_404(shopper):
    assert shopper.form("/products/no-such-thing", review_data(), follow=False).status_code == 404
    assert shopper.form("/products/gift-set", review_data(), follow=False).status_code == 404


def test_service_checks_again_whatever_the_form_let_through(demo_store):
    device = db.session.scalars(
        select(Product).where(Product.handle == "microcurrent-device")
    ).one()
    for bad in (
        {"rating": 0},
        {"rating": 6},
        {"title": ""},
        {"body": "x" * 2001},
        {"body": "bell \x07 ring ring ring"},
        {"title": "Fine \u202eenif"},
        {"body": "A perfectly fine \u2067review."},
        {"author_name": "A\u200f"},
    ):
        values = {
            "rating": 5,
            "title": "Fine",
            "body": "A perfectly fine review.",
            "author_name": "A",
            "email": "a@example.com",
            **bad,
        }
        with pytest.raises(reviews.ReviewError):
            reviews.submit_review(device, **values)
    gift = db.session.scalars(select(Product).where(Product.handle == "gift-set")).one()
    with pytest.raises(reviews.ReviewError, match="cannot be reviewed"):
        reviews.submit_review(gift, 5, "Gift", "Lovely free gift set.", "A", "a@example.com")


# --------------------------------------------------------------------------- escaping

HOSTILE = {
    "title": "<script>alert('title')</script>",
    "body": (
        '<img src=x onerror="alert(1)"> <a href="javascript:alert(2)">click</a> '
        "[md](javascript:alert(3)) </script><script>alert(4)</script>"
    ),
    "author_name": '"><svg onload=alert(5)>',
}


def test_review_text_is_escaped_never_markup(shopper):
    shopper.form(DEVICE, review_data(**HOSTILE))
    with unit_of_work():
        reviews.approve_review(newest_review().id)
    html = shopper.client.get(DEVICE).get_data(as_text=True)
    section = reviews_section(html)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in section
    assert "&lt;img src=x onerror=" in section
    for tag, attrs in Tags.of(section):
        assert tag not in ("script", "img", "svg"), tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not attrs.get("href", "").lower().startswith("javascript:"), attrs
    # The JSON-LD carrying the review cannot be closed early by its text.
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        assert "<" not in block


# --------------------------------------------------------------------------- verified buyers


def test_verified_buyer_badge_needs_a_paid_order_with_the_product(shopper):
    shopper.add("CMD-ROSE", 1)
    pay_path = place_order(shopper, email="ana@example.com").headers["Location"]

    shopper.form(DEVICE, review_data(email="ana@example.com", title="Before paying"))
    assert not newest_review().is_verified_buyer  # the order is not paid yet

    assert pay_demo(shopper, pay_path).status_code == 302
    shopper.form(DEVICE, review_data(email="Ana@Example.com", title="After paying"))
    assert newest_review().is_verified_buyer
    shopper.form(DEVICE, review_data(email="someone.else@example.com", title="Never bought"))
    assert not newest_review().is_verified_buyer
    shopper.form(
        "/products/conductive-gel", review_data(email="ana@example.com", title="Gel, not bought")
    )
    assert not newest_review("conductive-gel").is_verified_buyer

    with unit_of_work():
        for review in reviews_of("microcurrent-device")[-3:]:
            reviews.approve_review(review.id)  # approval re-checks: "Before paying" qualifies
    by_title = {r.title: r for r in reviews_of("microcurrent-device")}
    assert by_title["Before paying"].is_verified_buyer
    html = reviews_section(shopper.client.get(DEVICE).get_data(as_text=True))
    assert html.count("Verified buyer") == 2


# --------------------------------------------------------------------------- cards


def test_listing_and_home_cards_show_ratings_from_one_grouped_query(client, demo_store, app):
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        html = client.get("/products").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len([s for s in statements if "FROM product_review" in s]) == 1
    assert html.count('class="rating"') == 4  # every product for sale has approved reviews
    serum = reviews.rating_summary(product_id("peptide-serum"))
    assert f"{serum.average:.1f} out of 5" in html
    home = client.get("/").get_data(as_text=True)
    assert "out of 5" in home


def test_rating_summaries_cover_products_without_reviews(demo_store):
    summaries = reviews.rating_summaries([product_id("gift-set"), product_id("peptide-serum")])
    assert summaries[product_id("gift-set")].count == 0
    serum = summaries[product_id("peptide-serum")]
    assert serum.count == 3 and serum.average == pytest.approx(round((5 + 4 + 5) / 3, 1))
    assert db.session.scalar(select(func.count()).select_from(ProductReview)) == 14


# --------------------------------------------------------------------------- rate limit


def test_sending_reviews_is_rate_limited_with_a_friendly_page(app, demo_store):
    fresh = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
        },
    )
    try:
        limiter.reset()
        client = fresh.test_client()
        token = csrf_token(client)
        statuses = [
            client.post(
                DEVICE, data={"csrf_token": token, **review_data(title=f"Review {n}")}
            ).status_code
            for n in range(5)
        ]
        assert statuses == [302] * 5
        refused = client.post(DEVICE, data={"csrf_token": token, **review_data()})
        assert refused.status_code == 429
        text = refused.get_data(as_text=True)
        assert "please wait an hour" in text and "<h1>" in text
        assert client.get(DEVICE).status_code == 200  # reading is never limited
    finally:
        limiter.reset()
        limiter.init_app(app)  # back to the suite's setting: limits off
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()
    assert limiter.enabled is False
    assert len(reviews_of("microcurrent-device")) == 4 + 5
