"""Which article a cart line may credit: the guide or review the shopper added it from.

The cart knows no articles (content sits above the shop, never below it), so content
says how to check an article id when the app is built (`credit_articles_with`). A line
credits only an article a shopper can read, so ids cannot be guessed into the sales
figures for drafts; without a check registered, no line credits any article.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

ARTICLE_CHECK = "cart_article_check"

ArticleCheck = Callable[[int, datetime], bool]


def credit_articles_with(app: Flask, is_readable: ArticleCheck) -> None:
    app.extensions[ARTICLE_CHECK] = is_readable


def creditable(article_id: int | None, now: datetime) -> int | None:
    """`article_id` if a line may credit it, else None."""
    check: ArticleCheck | None = current_app.extensions.get(ARTICLE_CHECK)
    if article_id is None or check is None or not check(article_id, now):
        return None
    return article_id
