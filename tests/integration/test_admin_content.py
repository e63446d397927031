"""Articles and shopper reviews in the back office, built on the content feature:
Markdown editor with preview, product shortcodes, schedule/publish/unpublish, and
the review moderation queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from content.models import Article
from shop.admin.models import AuditEntry, Role
from shop.catalog.models import Product
from shop.catalog.reviews import ProductReview, ReviewStatus, submit_review
from shop.extensions import db
from shop.timeutil import utcnow
from shop.unit_of_work import unit_of_work
from tests.integration.admin_helpers import StaffClient, hidden_value, isolated_client, make_staff
from tests.support.digits import written_in


@pytest.fixture
def editor(app, demo_store) -> StaffClient:
    return StaffClient(app.test_client(), make_staff(Role.EDITOR))


GUIDE = {
    "kind": "guide",
    "title": "Toning at home, week one",
    "slug": "toning-week-one",
    "author": "Ana Ruiz, editor",
    "summary": "What to expect.",
    "body": 'Start **slowly**.\n\n{{ product "microcurrent-device" }}\n\nThen keep going.',
    "tag_list": "microcurrent, how-to",
    "save": "Save",
}


def article(slug: str) -> Article | None:
    db.session.rollback()
    return db.session.scalar(select(Article).where(Article.slug == slug))


def visitor(app) -> StaffClient:
    return StaffClient(isolated_client(app))


def test_editor_writes_a_draft_that_shoppers_do_not_see(app, editor):
    response = editor.post("/admin/articles/new", GUIDE)
    assert response.status_code == 302
    saved = article("toning-week-one")
    assert saved.status == "draft" and saved.tags == ["how-to", "microcurrent"]
    assert visitor(app).get("/guides/toning-week-one").status_code == 404
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "article.created" and entry.entity_id == str(saved.id)
    assert entry.after["slug"] == "toning-week-one"
    assert "Toning at home, week one" in editor.html("/admin/articles?status=draft")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"body": 'Hi\n\n{{ product "no-such-thing" }}\n'}, "names an unknown product."),
        ({"body": '{{ bundle "peptide-serum" }}\n'}, "names a product that is not a bundle."),
        ({"body": '{{ product "gift-set" }}\n'}, "names a product that is not for sale."),
        ({"slug": "benefits-of-microcurrent-therapy"}, "already uses the slug"),
        ({"slug": "Not A Slug"}, "Use lowercase letters"),
        ({"title": ""}, "Enter a title."),
        ({"kind": "review"}, "A review needs the product it reviews."),
        ({"kind": "review", "score": "11"}, "Use a score from 0 to 10."),
        # Decimal() reads every script's digits as 0-9: the score takes 0-9 only.
        ({"kind": "review", "score": written_in("8")}, "Enter a number with the digits 0-9"),
        ({"kind": "review", "score": "NaN"}, "Enter a number with the digits 0-9"),
        ({"title": "Toning \u202eweek"}, "invisible characters that change the direction"),
    ],
)
def test_bad_articles_are_refused_and_what_was_typed_is_kept(editor, changes, message):
    response = editor.post("/admin/articles/new", {**GUIDE, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="Ana Ruiz, editor"' in html
    assert article("toning-week-one") is None
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_preview_button_renders_without_saving(editor):
    body = 'A **bold** start.\n\n<script>alert(1)</script>\n\n{{ product "peptide-serum" }}\n'
    response = editor.post("/admin/articles/new", {**GUIDE, "body": body, "preview": "Preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "Product card: <strong>Firming Peptide Serum</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert article("toning-week-one") is None


def test_live_preview_fragment(editor):
    response = editor.post(
        "/admin/articles/preview",
        {"body": '# Hi\n\n{{ product "nope" }}\n\n[x](javascript:alert(1))'},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<!doctype" not in html
    assert "names an unknown product" in html
    assert 'href="javascript:' not in html  # shown as text, never as a link


def test_shortcode_picker_lists_products_for_sale(editor):
    html = editor.html("/admin/articles/new")
    assert '{{ product "peptide-serum" }}' in html
    assert '{{ bundle "device-serum-bundle" }}' in html
    assert '"gift-set"' not in html


def test_publish_schedule_and_unpublish(app, editor):
    editor.post("/admin/articles/new", GUIDE)
    draft = article("toning-week-one")
    page = editor.html(f"/admin/articles/{draft.id}")
    token = hidden_value(page, "token")
    assert editor.post(f"/admin/articles/{draft.id}/publish", {"token": token}).status_code == 302
    live = article("toning-week-one")
    assert live.status == "published" and live.published_at <= utcnow()
    assert visitor(app).get("/guides/toning-week-one").status_code == 200
    token = hidden_value(editor.html(f"/admin/articles/{draft.id}"), "token")
    editor.post(f"/admin/articles/{draft.id}/unpublish", {"token": token})
    assert article("toning-week-one").status == "draft"
    assert visitor(app).get("/guides/toning-week-one").status_code == 404
    later = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    token = hidden_value(editor.html(f"/admin/articles/{draft.id}"), "token")
    editor.post(
        f"/admin/articles/{draft.id}/schedule",
        {"token": token, "published_at": later.strftime("%Y-%m-%dT%H:%M")},
    )
    scheduled = article("toning-week-one")
    assert scheduled.status == "scheduled" and scheduled.published_at == later
    assert visitor(app).get("/guides/toning-week-one").status_code == 404
    token = hidden_value(editor.html(f"/admin/articles/{draft.id}"), "token")
    past = editor.post(
        f"/admin/articles/{draft.id}/schedule",
        {"token": token, "published_at": "2001-01-01T10:00"},
        follow=True,
    )
    assert "Choose a time in the future." in past.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [
        "article.created",
        "article.published",
        "article.unpublished",
        "article.scheduled",
    ]


def test_a_second_editor_is_told_the_article_changed(app, editor):
    editor.post("/admin/articles/new", GUIDE)
    saved = article("toning-week-one")
    other = StaffClient(isolated_client(app), make_staff(Role.OWNER))
    token = hidden_value(other.html(f"/admin/articles/{saved.id}"), "token")
    first = editor.post(
        f"/admin/articles/{saved.id}",
        {**GUIDE, "summary": "First editor's summary", "token": token},
    )
    assert first.status_code == 302
    late = other.post(
        f"/admin/articles/{saved.id}", {**GUIDE, "title": "Second title", "token": token}
    )
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "changed by someone else" in html and 'value="Second title"' in html
    kept = article("toning-week-one")
    assert kept.summary == "First editor's summary" and kept.title == GUIDE["title"]


def test_renaming_a_published_article_keeps_the_old_address(app, editor):
    editor.post("/admin/articles/new", GUIDE)
    saved = article("toning-week-one")
    token = hidden_value(editor.html(f"/admin/articles/{saved.id}"), "token")
    editor.post(f"/admin/articles/{saved.id}/publish", {"token": token})
    token = hidden_value(editor.html(f"/admin/articles/{saved.id}"), "token")
    response = editor.post(
        f"/admin/articles/{saved.id}", {**GUIDE, "slug": "toning-first-week", "token": token}
    )
    assert response.status_code == 302
    old = visitor(app).get("/guides/toning-week-one")
    assert old.status_code in (301, 308)
    assert old.headers["Location"].endswith("/guides/toning-first-week")


def test_a_review_article_needs_its_product_score_and_verdict(editor):
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    response = editor.post(
        "/admin/articles/new",
        {
            **GUIDE,
            "kind": "review",
            "slug": "serum-after-a-month",
            "reviewed_product": str(serum.id),
            "score": "8.5",
            "verdict": "Worth it.",
            "pros_text": "Light\nFast",
            "cons_text": "Pricey",
        },
    )
    assert response.status_code == 302
    saved = article("serum-after-a-month")
    assert (saved.kind, saved.product_id, saved.score) == ("review", serum.id, 8.5)
    assert saved.pros == ["Light", "Fast"] and saved.cons == ["Pricey"]


# ---------------------------------------------------------------- review moderation


def pending_review(title: str = "Lovely serum") -> ProductReview:
    serum = db.session.scalar(select(Product).where(Product.handle == "peptide-serum"))
    with unit_of_work():
        return submit_review(
            serum, 5, title, "It works well for me, truly.", "Kim", "kim@example.com"
        )


def test_the_queue_lists_pending_reviews_and_approving_shows_one(app, editor):
    review = pending_review()
    html = editor.html("/admin/reviews")
    assert "Lovely serum" in html and "5 of 5 stars" in html
    assert "Lovely serum" not in visitor(app).get("/products/peptide-serum").get_data(as_text=True)
    response = editor.post(f"/admin/reviews/{review.id}/approve")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(ProductReview, review.id).status == ReviewStatus.APPROVED
    assert "Lovely serum" in visitor(app).get("/products/peptide-serum").get_data(as_text=True)
    assert f'id="review-{review.id}"' not in editor.html("/admin/reviews")
    again = editor.post(f"/admin/reviews/{review.id}/approve", follow=True)
    assert "already approved" in again.get_data(as_text=True)
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "review.approved" and entry.before == {"status": "pending"}


def test_rejecting_keeps_a_review_out_of_sight(app, editor):
    review = pending_review("Spam spam")
    assert editor.post(f"/admin/reviews/{review.id}/reject").status_code == 302
    db.session.rollback()
    assert db.session.get(ProductReview, review.id).status == ReviewStatus.REJECTED
    assert "Spam spam" not in visitor(app).get("/products/peptide-serum").get_data(as_text=True)
    assert editor.post("/admin/reviews/999999/reject").status_code == 302
