"""One page of a long list, for the back office's tables."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from shop.extensions import db


def paginate(query: Select, number: int, per_page: int) -> Pagination:
    """Flask-SQLAlchemy's page of `query`, except that a page past the end shows the
    last one: the list may have shrunk while staff were paging through it."""
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    if page.pages and page.page > page.pages:
        page = db.paginate(query, page=page.pages, per_page=per_page, error_out=False)
    return page
