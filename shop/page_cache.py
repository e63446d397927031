"""Rendered pages for anonymous readers, cached in each app process.

Most traffic is readers arriving from a guide: no cart yet, no staff login, the
same page for everyone. For them a rendered page is served from memory. Whatever
is personal never comes from the cache: a request with a cart cookie, a staff
session or a pending flash message is rendered as usual. The CSRF token is the one
per-visitor value in an anonymous page; it is swapped for a placeholder when a page
is stored and for the visitor's own token when it is served.

Freshness is `shop.cache`'s: the pages are the "pages" cache, which every feature
tells which of its model classes change what pages show. Stock moves at checkout
are not tracked (`CACHES_STAY_FRESH`): a cached stock message may lag by up to
`PAGE_TTL_SECONDS`, and checkout checks stock again anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask, Response, current_app, flash, g, get_flashed_messages, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import HTTP_STATUS_CODES, dump_cookie, parse_cookie

from shop.cache import PAGES, Caches, ContentCache, caches

PAGE_TTL_SECONDS = 30.0
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_PAGES = 256
CSRF_PLACEHOLDER_BYTES = b"__CSRF_TOKEN_PLACEHOLDER__"
# The salt Flask-WTF signs form tokens with (`flask_wtf.csrf.generate_csrf`).
FLASK_WTF_CSRF_SALT = "wtf-csrf-token"

# What is worth caching: what readers land on. Writes and personal pages never are.
# Pages show the messages waiting for the shopper (so a page with one is personal);
# the other answers show none, and a message waiting leaves them cacheable.
PAGES_SHOWING_MESSAGES = frozenset(
    {
        "catalog.home",
        "catalog.product_list",
        "catalog.product_page",
        "content.index",
        "content.guide",
        "content.review",
    }
)
ANSWERS_WITHOUT_MESSAGES = frozenset(
    {
        "catalog.products_json",
        "catalog.product_js",
        "cart.cart_json",
        "seo.sitemap",
        "seo.feed",
        "seo.robots",
    }
)
CACHEABLE_ENDPOINTS = PAGES_SHOWING_MESSAGES | ANSWERS_WITHOUT_MESSAGES


@dataclass(frozen=True)
class _Entry:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


def _is_anonymous_request() -> bool:
    if request.method != "GET" or request.endpoint not in CACHEABLE_ENDPOINTS:
        return False
    if request.cookies.get(current_app.config["CART_COOKIE_NAME"]):
        return False
    # Staff sessions, pending messages: personal. (Neither check creates a session, so
    # anonymous readers stay cookie-less until a form needs one.) Reading the messages
    # takes them out of the session for this request: the page shows them, and a
    # redirect passes them on (`store_in_cache`).
    if current_user.is_authenticated:
        return False
    if request.endpoint in ANSWERS_WITHOUT_MESSAGES:
        return True
    g.page_cache_messages = get_flashed_messages(with_categories=True)
    return not g.page_cache_messages


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

    def __init__(self, app: Flask, registry: Caches) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.registry = registry
        self.pages = registry[PAGES]
        config = app.config
        self.cart_cookie = config["CART_COOKIE_NAME"]
        self.session_cookie = config["SESSION_COOKIE_NAME"]
        self.csrf_field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        # An anonymous reader's session holds the CSRF secret and nothing else. A
        # session holding anything more (a staff sign-in, a message to show) is
        # Flask's to answer.
        self.anonymous_session_keys = {self.csrf_field}
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
        # Built once: Flask's session serializer and a signer like Flask-WTF's, for the
        # keys the app was built with (the libraries would build both per request).
        self.session_serializer = interface.get_signing_serializer(app)
        self.csrf_signer = URLSafeTimedSerializer(
            config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt=FLASK_WTF_CSRF_SALT
        )

    def __call__(self, environ: dict, start_response):
        if environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        entry = self.pages.get(cache_key(environ)) if self._pages_are_fresh() else None
        if entry is None:
            return self.wsgi_app(environ, start_response)
        cookies = parse_cookie(environ)
        if cookies.get(self.cart_cookie):
            return self.wsgi_app(environ, start_response)
        raw_token, new_session_cookie = self._raw_csrf_token(cookies.get(self.session_cookie))
        if raw_token is None:
            return self.wsgi_app(environ, start_response)
        body = entry.body
        if CSRF_PLACEHOLDER_BYTES in body:
            token = self.csrf_signer.dumps(raw_token)
            body = body.replace(CSRF_PLACEHOLDER_BYTES, token.encode())
        headers = [*entry.headers, ("Content-Length", str(len(body))), ("X-Page-Cache", "hit")]
        if new_session_cookie:
            headers.append(("Set-Cookie", new_session_cookie))
        start_response(f"{entry.status} {HTTP_STATUS_CODES.get(entry.status, '')}", headers)
        return [body]

    def _pages_are_fresh(self) -> bool:
        """Whether the pages held may be served: the shared generations were read
        within the last second, or are read now. False when the database cannot say
        (Flask then answers the request, with its own error page if it is down)."""
        if not self.registry.generations_due():
            return True
        try:
            with self.app.app_context():
                self.registry.refresh()
        except SQLAlchemyError:
            return False
        return True

    def _raw_csrf_token(self, session_cookie: str | None) -> tuple[str | None, str | None]:
        """(raw token, Set-Cookie value for a new session) for an anonymous reader;
        (None, None) when the session holds anything else (Flask must answer)."""
        if session_cookie:
            try:
                data = self.session_serializer.loads(session_cookie, max_age=self.session_max_age)
            except BadSignature:
                data = {}  # Flask would start a fresh session too
            if data:
                raw = data.get(self.csrf_field)
                if not set(data) <= self.anonymous_session_keys or not isinstance(raw, str):
                    return None, None
                return raw, None
        raw = secrets.token_hex(20)  # the shape of Flask-WTF's own raw token
        value = self.session_serializer.dumps({self.csrf_field: raw})
        return raw, dump_cookie(self.session_cookie, value, **self.session_cookie_options)


def init_app(app: Flask) -> None:
    registry = caches(app)
    pages = registry.add(ContentCache(PAGES, maxsize=MAX_PAGES, ttl=PAGE_TTL_SECONDS))
    if not app.config.get("PAGE_CACHE_ENABLED", True):
        return
    session_cookie = app.config["SESSION_COOKIE_NAME"] + "="
    # Stored pages carry what every response gets from `shop.security`: a hit never
    # passes through Flask's after-request hooks.
    always_sent = app.extensions["security_headers"]

    @app.before_request
    def note_an_anonymous_read() -> None:
        # Decided before the view runs: rendering consumes a pending flash, and the page
        # showing it must not be stored for everyone. The pages cache is checked now,
        # and a page rendered after another thread emptied it is not kept.
        if _is_anonymous_request():
            g.page_cache_epoch = registry.fresh(PAGES).epoch

    @app.after_request
    def store_in_cache(response: Response) -> Response:
        messages_read = g.pop("page_cache_messages", ())
        if response.status_code in REDIRECT_CODES:
            for category, message in messages_read:
                flash(message, category)  # read before a redirect: kept for its page
        epoch = g.pop("page_cache_epoch", None)
        if epoch is None or response.status_code != 200:
            return response
        if response.direct_passthrough or response.is_streamed:
            return response
        if any(
            name.lower() == "set-cookie" and not value.startswith(session_cookie)
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
        pages.put(
            cache_key(request.environ),
            _Entry(response.status_code, body, headers),
            read_in_epoch=epoch,
        )
        response.headers["X-Page-Cache"] = "miss"
        return response

    app.wsgi_app = AnonymousPageServer(app, registry)
