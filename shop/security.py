"""Security headers on every response.

The Content-Security-Policy allows scripts from this site and from Stripe (its
Payment Element) only: no inline script anywhere, so an injected `<script>` cannot
run even if a bug let one through. JSON-LD blocks are data, not scripts, and are
not executed.
"""

from __future__ import annotations

from flask import Flask, Response, abort, g, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' https://js.stripe.com",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' https://api.stripe.com",
        "frame-src https://js.stripe.com https://hooks.stripe.com",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

HSTS = "max-age=31536000; includeSubDomains"

# For responses holding someone's own data: stored by no cache, shared or not (a
# proxy must not hand one shopper's order to another, nor a shared computer's back
# button show it after they left).
PERSONAL_CACHE_CONTROL = "private, no-store"


def mark_personal() -> None:
    """Note that this request's response holds a shopper's own data: it is sent with
    PERSONAL_CACHE_CONTROL. Called where that data is looked up (their cart, their
    order), so every page, JSON answer, redirect or error page built from it is
    covered, whichever view made it."""
    g.response_is_personal = True


NUL = "\x00"


def _has_nul(values) -> bool:
    return any(NUL in value for value in values)


def init_app(app: Flask) -> None:
    secure_transport = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.before_request
    def refuse_nul_bytes() -> None:
        """No text field of ours may hold a NUL byte (PostgreSQL cannot store one);
        refuse it at the door with a reason instead of failing deeper down."""
        if _has_nul(request.args.values()) or _has_nul(request.path):
            abort(400, description="The address contains a character we cannot accept.")
        if request.method in ("POST", "PUT", "PATCH"):
            if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                if _has_nul(request.form.values()):
                    abort(400, description="A field contains a character we cannot accept.")
            elif request.is_json and b"\\u0000" in request.get_data(cache=True):
                abort(400, description="The request contains a character we cannot accept.")

    defaults = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if secure_transport:
        defaults.append(("Strict-Transport-Security", HSTS))
    security_headers = [(name.lower(), name, value) for name, value in defaults]
    # The page cache serves stored pages before Flask (and this hook) sees the request.
    app.extensions["security_headers"] = defaults

    @app.after_request
    def keep_personal_responses_out_of_caches(response: Response) -> Response:
        if g.pop("response_is_personal", False):
            response.headers["Cache-Control"] = PERSONAL_CACHE_CONTROL
        return response

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        """Each header unless the view set its own (one pass: this runs on every
        response, cached pages included)."""
        present = {name.lower() for name, _ in response.headers.items()}
        response.headers.extend(
            [(name, value) for key, name, value in security_headers if key not in present]
        )
        return response
