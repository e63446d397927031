"""Signed cookies and CSRF tokens without rebuilding the signer on every request.

Flask builds a new itsdangerous serializer for the session cookie on every request,
and building one costs more than the signing itself: itsdangerous finds out whether
the payload serializer returns text by serializing an empty dict with it, and
Flask's tagged JSON serializer is slow at that. A built serializer holds no state
but its keys, so one is kept per secret key (and key fallbacks, for rotation).

The signatures are HMAC-SHA1 either way. Flask and itsdangerous name SHA-1 through a
Python function that imports hashlib lazily, which sends `hmac` down its pure-Python
path; `hashlib.sha1` itself takes OpenSSL's HMAC. Same bytes out, a fraction of the
time, and this runs on every page.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

# Flask-WTF's salt for CSRF tokens; a token signed here validates there.
CSRF_TOKEN_SALT = "wtf-csrf-token"  # noqa: S105 - a public salt, not a secret
OPENSSL_SHA1 = {"digest_method": hashlib.sha1}


class ReusedSignerSessionInterface(SecureCookieSessionInterface):
    digest_method = staticmethod(hashlib.sha1)

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


@lru_cache(maxsize=4)
def cookie_serializer(
    secret_key: str | bytes, fallbacks: tuple[str | bytes, ...], salt: str
) -> URLSafeSerializer:
    """An untimed signer for a cookie of ours; old keys (`SECRET_KEY_FALLBACKS`) still
    verify after a rotation, new values are signed with the current key."""
    return URLSafeSerializer([*fallbacks, secret_key], salt=salt, signer_kwargs=OPENSSL_SHA1)


@lru_cache(maxsize=4)
def _csrf_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=CSRF_TOKEN_SALT, signer_kwargs=OPENSSL_SHA1)


def new_raw_csrf_token() -> str:
    """The per-session secret Flask-WTF keeps in the session (40 hex digits, as its own)."""
    return secrets.token_hex(20)


def sign_csrf_token(secret_key: str | bytes, raw_token: str) -> str:
    """The form token for a session's raw token, as Flask-WTF's `generate_csrf` makes
    it; for pages served before Flask builds a request (see `shop.page_cache`)."""
    return _csrf_serializer(secret_key).dumps(raw_token)
