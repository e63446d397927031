"""Articles and shopper reviews, for editors and the owner.

The article editor works without JavaScript: "Preview" re-renders the page with the
body as readers will see it (Markdown through the shop's sanitising renderer, product
shortcodes shown as the products they embed). With JavaScript, the same preview is
fetched as the editor types.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from content.models import Article, ArticleKind, ArticleStatus
from shop.admin import content_service
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.errors import AdminActionError, StaleEditError
from shop.admin.forms import ArticleForm, ScheduleForm, VersionTokenForm, options
from shop.admin.views.blueprint import apply_errors, bp, saved_values
from shop.timeutil import utcnow

editor_staff = staff_required(*Area.CONTENT)


def _article_or_404(article_id: int) -> Article:
    article = content_service.get_article(article_id)
    if article is None:
        abort(404, description="There is no such article.")
    return article


def _wants_preview() -> bool:
    """The "Preview" button: show the body, save nothing, whatever else is unfinished
    (the CSRF token was already checked for every POST)."""
    return request.method == "POST" and "preview" in request.form


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _data(form: ArticleForm) -> content_service.ArticleData:
    return content_service.ArticleData(
        kind=form.kind.data or "",
        title=form.title.data or "",
        slug=(form.slug.data or "").strip(),
        author=form.author.data or "",
        body=form.body.data or "",
        summary=form.summary.data or "",
        hero_image=form.hero_image.data or "",
        hero_alt=form.hero_alt.data or "",
        seo_title=form.seo_title.data or "",
        seo_description=form.seo_description.data or "",
        tags=tuple(t for t in (form.tag_list.data or "").replace(",", " ").split() if t),
        product_id=form.reviewed_product.data,
        score=float(form.score.data) if form.score.data is not None else None,
        verdict=form.verdict.data or "",
        pros=_lines(form.pros_text.data),
        cons=_lines(form.cons_text.data),
    )


def _with_choices(form: ArticleForm) -> ArticleForm:
    form.reviewed_product.choices = options(
        [("", "Choose the reviewed product")]
        + [(str(p.id), p.title) for p in content_service.shortcode_products()]
    )
    return form


def _editor(form: ArticleForm, article: Article | None, *, preview=None, stale=None, status=200):
    token = content_service.version_token(article) if article else ""
    return render_template(
        "admin/content/article_form.html",
        form=form,
        article=article,
        preview=preview,
        stale=stale,
        products=content_service.shortcode_products(),
        schedule_form=ScheduleForm(formdata=None, token=token),
        token_form=VersionTokenForm(formdata=None, token=token),
        now=utcnow(),
    ), status


# ------------------------------------------------------------------------ articles


@bp.get("/articles")
@editor_staff
def articles():
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    query = request.args.get("q", "")[:100]
    return render_template(
        "admin/content/articles.html",
        articles=content_service.list_articles(status, kind, query),
        status=status,
        kind=kind,
        query=query,
        statuses=tuple(ArticleStatus),
        kinds=tuple(ArticleKind),
        now=utcnow(),
    )


@bp.route("/articles/new", methods=["GET", "POST"])
@editor_staff
def article_new():
    form = _with_choices(ArticleForm())
    if request.method == "GET":
        form.kind.data = form.kind.data or ArticleKind.GUIDE
    if _wants_preview():
        return _editor(form, None, preview=content_service.preview(form.body.data or ""))
    if form.validate_on_submit():
        try:
            article = content_service.create_article(_data(form), signed_in_staff())
        except AdminActionError as error:
            apply_errors(form, error)
        else:
            flash(f"Saved “{article.title}” as a draft.", "success")
            return redirect(url_for("admin.article_edit", article_id=article.id))
    return _editor(form, None, status=422 if form.errors else 200)


@bp.route("/articles/<int:article_id>", methods=["GET", "POST"])
@editor_staff
def article_edit(article_id: int):
    article = _article_or_404(article_id)
    form = _with_choices(
        ArticleForm(
            obj=article,
            tag_list=" ".join(article.tags),
            reviewed_product=article.product_id,
            pros_text="\n".join(article.pros or []),
            cons_text="\n".join(article.cons or []),
            token=content_service.version_token(article),
        )
    )
    if _wants_preview():
        return _editor(form, article, preview=content_service.preview(form.body.data or ""))
    stale = None
    if form.validate_on_submit():
        try:
            content_service.update_article(
                article.id, form.token.data, _data(form), signed_in_staff()
            )
        except StaleEditError as error:
            apply_errors(form, error)
            article = _article_or_404(article_id)
            form.token.data = content_service.version_token(article)
            stale = saved_values(form, error, skip={"body"})
        except AdminActionError as error:
            apply_errors(form, error)
            article = _article_or_404(article_id)
        else:
            flash("Article saved.", "success")
            return redirect(url_for("admin.article_edit", article_id=article.id))
    status = 409 if stale else 422 if form.errors else 200
    return _editor(form, article, stale=stale, status=status)


@bp.post("/articles/preview")
@editor_staff
def article_preview():
    """The live preview's HTML fragment (fetched by static/js/admin/article-editor.js)."""
    body = request.form.get("body", "")[:200_000]
    return render_template("admin/content/_preview.html", preview=content_service.preview(body))


def _status_change(article_id: int, change):
    article = _article_or_404(article_id)
    try:
        change(article)
    except StaleEditError:
        flash("This article was changed by someone else meanwhile; nothing was changed.", "error")
    except AdminActionError as error:
        messages = [error.message, *error.field_errors.values()]
        flash(" ".join(dict.fromkeys(messages)), "error")
    return redirect(url_for("admin.article_edit", article_id=article.id))


@bp.post("/articles/<int:article_id>/publish")
@editor_staff
def article_publish(article_id: int):
    form = VersionTokenForm()
    if not form.validate_on_submit():
        abort(400)

    def change(article):
        content_service.publish(article.id, form.token.data, signed_in_staff(), utcnow())
        flash(f"Published “{article.title}”.", "success")

    return _status_change(article_id, change)


@bp.post("/articles/<int:article_id>/schedule")
@editor_staff
def article_schedule(article_id: int):
    form = ScheduleForm()
    if not form.validate_on_submit():
        messages = [message for errors in form.errors.values() for message in errors]
        flash(" ".join(messages) or "Choose when to publish.", "error")
        return redirect(url_for("admin.article_edit", article_id=_article_or_404(article_id).id))

    def change(article):
        when = form.published_at.data
        content_service.publish(article.id, form.token.data, signed_in_staff(), utcnow(), when=when)
        flash(f"Scheduled “{article.title}” for {when:%Y-%m-%d %H:%M} UTC.", "success")

    return _status_change(article_id, change)


@bp.post("/articles/<int:article_id>/unpublish")
@editor_staff
def article_unpublish(article_id: int):
    form = VersionTokenForm()
    if not form.validate_on_submit():
        abort(400)

    def change(article):
        content_service.unpublish(article.id, form.token.data, signed_in_staff())
        flash(f"“{article.title}” is a draft again; shoppers no longer see it.", "success")

    return _status_change(article_id, change)


# ------------------------------------------------------------------------ reviews


@bp.get("/reviews")
@editor_staff
def reviews():
    return render_template(
        "admin/content/reviews.html",
        queue=content_service.review_queue(),
        action_form=VersionTokenForm(formdata=None),
    )


def _moderate(review_id: int, approve: bool):
    if not VersionTokenForm().validate_on_submit():
        abort(400)
    try:
        review = content_service.moderate(review_id, approve, signed_in_staff())
    except AdminActionError as error:
        flash(error.message, "error")
    else:
        verb = "Approved" if approve else "Rejected"
        flash(f"{verb} the review “{review.title}”.", "success")
    return redirect(url_for("admin.reviews"))


@bp.post("/reviews/<int:review_id>/approve")
@editor_staff
def review_approve(review_id: int):
    return _moderate(review_id, approve=True)


@bp.post("/reviews/<int:review_id>/reject")
@editor_staff
def review_reject(review_id: int):
    return _moderate(review_id, approve=False)
