"""Rendered pages for anonymous readers, cached in each app process.

Most traffic is readers arriving from a guide: no cart yet, no staff login, the
same page for everyone. For them a rendered page is served from memory. Whatever
is personal never comes from the cache: a request with a cart cookie, a staff
session or a pending flash message is rendered as usual. The CSRF token is the one
per-visitor value in an anonymous page; it is swapped for a placeholder when a page
is stored and for the visitor's own token when it is served.

Freshness: every flush that touches catalogue, promotion or editorial rows bumps a
generation number stored in the database (`cache_generation`), so a staff change
empties every worker's cache on every server within `GENERATION_CHECK_SECONDS`.
Stock moves by plain UPDATEs during checkout and is not tracked: a cached stock
message may lag by up to `PAGE_TTL_SECONDS`, and checkout checks stock again anyway.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.extensions import db

PAGE_TTL_SECONDS = 30.0
GENERATION_CHECK_SECONDS = 1.0
MAX_PAGES = 256
CSRF_PLACEHOLDER = "__CSRF_TOKEN_PLACEHOLDER__"

# Pages worth caching: what readers land on. Writes and personal pages never are.
CACHEABLE_ENDPOINTS = frozenset(
    {
        "catalog.home",
        "catalog.product_list",
        "catalog.product_page",
        "catalog.products_json",
        "catalog.product_js",
        "cart.cart_json",
        "content.index",
        "content.guide",
        "content.review",
        "seo.sitemap",
        "seo.feed",
        "seo.robots",
    }
)

# Model classes whose changes make cached pages stale (by table name, so this module
# needs no imports of feature packages).
WATCHED_TABLES = frozenset(
    {
        "product",
        "variant",
        "product_image",
        "bundle_component",
        "promotion",
        "article",
        "article_slug_redirect",
        "product_review",
    }
)


class CacheGeneration(db.Model):
    """One row: bumped whenever cached pages may have become stale."""

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


@dataclass
class _Entry:
    generation: int
    expires_at: float
    status: int
    body: bytes
    headers: list[tuple[str, str]]


class PageCache:
    """A small LRU of rendered responses, per process, safe across threads."""

    def __init__(self) -> None:
        self._pages: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = -1
        self._generation_checked_at = 0.0
        self.hits = 0
        self.misses = 0

    def current_generation(self) -> int:
        now = time.monotonic()
        if now - self._generation_checked_at >= GENERATION_CHECK_SECONDS:
            value = db.session.scalar(select(CacheGeneration.generation).limit(1))
            self._generation = value or 0
            self._generation_checked_at = now
        return self._generation

    def forget_generation(self) -> None:
        """Re-read the generation on next use (after this process bumped it)."""
        self._generation_checked_at = 0.0

    def get(self, key: str, generation: int) -> _Entry | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry.generation != generation:
                return None
            if entry.expires_at < time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return entry

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._pages[key] = entry
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
        self.forget_generation()


def bump_generation(session_: Session) -> None:
    """Mark every cached page stale, in the caller's transaction."""
    updated = session_.execute(
        update(CacheGeneration).values(generation=CacheGeneration.generation + 1)
    )
    if updated.rowcount == 0:
        session_.add(CacheGeneration(id=1, generation=1))


def _touches_watched_rows(session_: Session) -> bool:
    for instance in (*session_.new, *session_.dirty, *session_.deleted):
        table = getattr(instance, "__tablename__", None)
        if table in WATCHED_TABLES and (
            instance not in session_.dirty or session_.is_modified(instance)
        ):
            return True
    return False


def _mark_stale(session_: Session) -> None:
    """Bump the shared generation in this transaction and drop this process's copies."""
    if session_.info.get("bumping"):
        return
    session_.info["bumping"] = True
    try:
        bump_generation(session_)
    finally:
        session_.info["bumping"] = False
    session_.info["content_changed"] = True
    _notify_stale_content()


def _notify_stale_content() -> None:
    if has_app_context():
        for listener in current_app.extensions.get("stale_content_listeners", ()):
            listener()


@event.listens_for(Session, "after_commit")
def _drop_copies_again_after_commit(session_: Session) -> None:
    """Copies are dropped when a change is flushed, but until it commits another
    thread of this process can still read the old rows and cache them again; drop
    once more when the change is visible to everyone."""
    if session_.info.pop("content_changed", False):
        _notify_stale_content()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_change(session_: Session, previous_transaction) -> None:
    # A savepoint rolled back inside a transaction that still commits keeps the flag.
    if previous_transaction.parent is None:
        session_.info.pop("content_changed", None)


@event.listens_for(Session, "before_flush")
def _invalidate_on_content_change(session_: Session, _context, _instances) -> None:
    if _touches_watched_rows(session_):
        _mark_stale(session_)


@event.listens_for(Session, "do_orm_execute")
def _invalidate_on_bulk_change(state) -> None:
    """Bulk UPDATE/DELETE statements bypass the flush; catch those on watched tables.
    Stock-only updates (checkout reserving units) are left to the TTL: bumping on every
    order would empty the cache all day."""
    if not (state.is_update or state.is_delete) or state.session.info.get("bumping"):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in WATCHED_TABLES:
        return
    if state.is_update:
        changed = {
            getattr(column, "key", str(column))
            for column in getattr(state.statement, "_values", None) or {}
        }
        if changed and changed <= {"stock"}:
            return
    _mark_stale(state.session)


def on_stale_content(app: Flask, listener) -> None:
    """Register a callback run in-process when content changes (cache owners use it)."""
    app.extensions.setdefault("stale_content_listeners", []).append(listener)


def _is_anonymous_request() -> bool:
    if request.method != "GET" or request.endpoint not in CACHEABLE_ENDPOINTS:
        return False
    if request.cookies.get(current_app.config["CART_COOKIE_NAME"]):
        return False
    # Staff sessions, pending flashes: personal. (Reading `session` keys does not
    # create a session, so anonymous readers stay cookie-less until a form needs one.)
    return not ("_user_id" in session or "_flashes" in session)


def _cache_key() -> str:
    return request.full_path


def init_app(app: Flask) -> None:
    cache = PageCache()
    app.extensions["page_cache"] = cache
    on_stale_content(app, cache.clear)
    if not app.config.get("PAGE_CACHE_ENABLED", True):
        return

    def serve_from_cache():
        if not _is_anonymous_request():
            return None
        entry = cache.get(_cache_key(), cache.current_generation())
        if entry is None:
            cache.misses += 1
            g.page_cache_store = True
            return None
        cache.hits += 1
        g.pop("csrf_token", None)  # always this visitor's own token, never a leftover
        body = entry.body
        if CSRF_PLACEHOLDER.encode() in body:
            body = body.replace(CSRF_PLACEHOLDER.encode(), generate_csrf().encode())
        response = Response(body, status=entry.status, headers=entry.headers)
        response.headers["X-Page-Cache"] = "hit"
        return response

    # First among the before-request hooks: a hit needs none of the others (rate-limit
    # bookkeeping, the cart lookup). A cached page is a GET, which CSRF never checks,
    # and NUL bytes in its address could never have produced a stored page.
    app.before_request_funcs.setdefault(None, []).insert(0, serve_from_cache)

    @app.after_request
    def store_in_cache(response: Response) -> Response:
        if not g.pop("page_cache_store", False) or response.status_code != 200:
            return response
        if response.direct_passthrough or response.is_streamed:
            return response
        if any(
            name.lower() == "set-cookie" and not value.startswith("session=")
            for name, value in response.headers.items()
        ):
            return response  # something personal was decided while rendering
        body = response.get_data()
        token = g.get("csrf_token")
        if token:
            body = body.replace(token.encode(), CSRF_PLACEHOLDER.encode())
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("set-cookie", "content-length")
        ]
        cache.put(
            _cache_key(),
            _Entry(
                cache.current_generation(),
                time.monotonic() + PAGE_TTL_SECONDS,
                response.status_code,
                body,
                headers,
            ),
        )
        response.headers["X-Page-Cache"] = "miss"
        return response
