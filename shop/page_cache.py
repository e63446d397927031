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
from itsdangerous import BadSignature
from sqlalchemy import event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.http import HTTP_STATUS_CODES, dump_cookie, parse_cookie

from shop.extensions import db
from shop.signing import new_raw_csrf_token, sign_csrf_token

PAGE_TTL_SECONDS = 30.0
GENERATION_CHECK_SECONDS = 1.0
MAX_PAGES = 256
CSRF_PLACEHOLDER_BYTES = b"__CSRF_TOKEN_PLACEHOLDER__"

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

    def known_generation(self) -> int | None:
        """The generation as last read, or None when it is due to be read again."""
        if time.monotonic() - self._generation_checked_at >= GENERATION_CHECK_SECONDS:
            return None
        return self._generation

    def current_generation(self) -> int:
        """The shared generation, read from the database at most once a second."""
        generation = self.known_generation()
        if generation is None:
            value = db.session.scalar(select(CacheGeneration.generation).limit(1))
            generation = self._generation = value or 0
            self._generation_checked_at = time.monotonic()
        return generation

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


def cache_key(environ: dict) -> str:
    """The address as the WSGI server passed it: the same key whether Flask or the
    middleware computes it."""
    return f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}?" + environ.get(
        "QUERY_STRING", ""
    )


class AnonymousPageServer:
    """WSGI middleware: answers an anonymous reader's GET from the cache before Flask
    builds a request at all.

    Building the request, opening and saving the session and running every hook cost
    several times what sending a stored page does, and readers arriving from a guide
    are most of the traffic. So a hit is answered here; everything else (a miss, a
    cart, a staff session, a pending message, any method but GET) goes to Flask
    untouched, which renders and may store the page.

    The one personal value in a stored page is the CSRF token. A visitor without a
    session gets a new one, exactly as Flask-WTF would make it: a random raw token
    kept in a new session cookie (signed by the app's own session serializer) and
    the form token signed from it. A returning visitor's session is read, and used
    only when it holds nothing personal.
    """

    def __init__(self, app: Flask, cache: PageCache) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.cache = cache
        config = app.config
        self.cart_cookie = config["CART_COOKIE_NAME"]
        self.session_cookie = config["SESSION_COOKIE_NAME"]
        self.csrf_field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        # What an anonymous reader's session holds: the CSRF secret, and Flask-Login's
        # note that nobody is signed in. Anything else (a staff id, a flash, a
        # permanent session to refresh) is Flask's to answer.
        self.anonymous_session_keys = {self.csrf_field, "_fresh"}
        interface = app.session_interface
        self.session_cookie_options = {
            "domain": interface.get_cookie_domain(app),
            "path": interface.get_cookie_path(app),
            "secure": interface.get_cookie_secure(app),
            "httponly": interface.get_cookie_httponly(app),
            "samesite": interface.get_cookie_samesite(app),
            "partitioned": interface.get_cookie_partitioned(app),
        }
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        generation = self._generation()
        entry = None if generation is None else self.cache.get(cache_key(environ), generation)
        if entry is None:
            return self.wsgi_app(environ, start_response)
        cookies = parse_cookie(environ)
        if cookies.get(self.cart_cookie):
            return self.wsgi_app(environ, start_response)
        raw_token, new_session_cookie = self._raw_csrf_token(cookies.get(self.session_cookie))
        if raw_token is None:
            return self.wsgi_app(environ, start_response)
        self.cache.hits += 1
        body = entry.body
        if CSRF_PLACEHOLDER_BYTES in body:
            secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
            token = sign_csrf_token(secret, raw_token)
            body = body.replace(CSRF_PLACEHOLDER_BYTES, token.encode())
        headers = [*entry.headers, ("Content-Length", str(len(body))), ("X-Page-Cache", "hit")]
        if new_session_cookie:
            headers.append(("Set-Cookie", new_session_cookie))
        start_response(f"{entry.status} {HTTP_STATUS_CODES.get(entry.status, '')}", headers)
        return [body]

    def _generation(self) -> int | None:
        """The shared generation; None when the database cannot say (Flask then
        answers the request, with its own error page if the database is down)."""
        generation = self.cache.known_generation()
        if generation is None:
            try:
                with self.app.app_context():
                    generation = self.cache.current_generation()
            except SQLAlchemyError:
                return None
        return generation

    def _raw_csrf_token(self, session_cookie: str | None) -> tuple[str | None, str | None]:
        """(raw token, Set-Cookie value for a new session) for an anonymous reader;
        (None, None) when the session holds anything else (Flask must answer)."""
        if session_cookie:
            serializer = self.app.session_interface.get_signing_serializer(self.app)
            try:
                data = serializer.loads(session_cookie, max_age=self.session_max_age)
            except BadSignature:
                data = {}  # Flask would start a fresh session too
            if data:
                raw = data.get(self.csrf_field)
                if not set(data) <= self.anonymous_session_keys or not isinstance(raw, str):
                    return None, None
                return raw, None
        raw = new_raw_csrf_token()
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        value = serializer.dumps({self.csrf_field: raw})
        return raw, dump_cookie(self.session_cookie, value, **self.session_cookie_options)


def init_app(app: Flask) -> None:
    cache = PageCache()
    app.extensions["page_cache"] = cache
    on_stale_content(app, cache.clear)
    if not app.config.get("PAGE_CACHE_ENABLED", True):
        return
    # Stored pages carry what every response gets from `shop.security`: a hit never
    # passes through Flask's after-request hooks.
    always_sent = app.extensions["security_headers"]

    @app.before_request
    def note_an_anonymous_read() -> None:
        # Decided before the view runs: rendering consumes a pending flash, and the page
        # showing it must not be stored for everyone.
        if _is_anonymous_request():
            g.page_cache_store = True

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
            body = body.replace(token.encode(), CSRF_PLACEHOLDER_BYTES)
        present = {name.lower() for name, _ in response.headers.items()}
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("set-cookie", "content-length", "x-page-cache")
        ]
        headers += [(name, value) for name, value in always_sent if name.lower() not in present]
        if "vary" not in present:
            # Flask adds this when it saves the session, after these hooks: every hit
            # carries the reader's own CSRF token, so caches must key on the cookie.
            headers.append(("Vary", "Cookie"))
        cache.put(
            cache_key(request.environ),
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

    app.wsgi_app = AnonymousPageServer(app, cache)
