"""Signed cookies and CSRF tokens, cheaply: every page a reader lands on signs two.

itsdangerous, as Flask and Flask-WTF use it, rebuilds a lot for every signature: a
new serializer per request (Flask's session), a new signer per call, the signing key
derived again from the secret each time, SHA-1 through a lazy Python wrapper that
sends `hmac` down its pure-Python path, and a zlib attempt on a payload too short to
ever shrink. Here a serializer is built once per set of keys, it keeps one signer
per salt, each signer derives its keys once, SHA-1 is `hashlib.sha1` itself
(OpenSSL's HMAC) and short payloads skip zlib. The wire format is itsdangerous' own:
cookies and tokens made here verify with the stock classes and the other way round
(tests/unit/test_signing.py).
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.signer import Signer
from itsdangerous.timed import TimestampSigner
from itsdangerous.url_safe import URLSafeSerializerMixin

# Flask-WTF's salt for CSRF tokens; a token signed here validates there.
CSRF_TOKEN_SALT = "wtf-csrf-token"  # noqa: S105 - a public salt, not a secret
OPENSSL_SHA1 = {"digest_method": hashlib.sha1}
# zlib cannot make a payload this short any shorter once its header is counted.
NOT_WORTH_COMPRESSING = 80


def _once(owner: object, cache_name: str, key, build):
    """`build()` the first time `key` is asked of `owner`, the same object afterwards."""
    cache = owner.__dict__.setdefault(cache_name, {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


class _KeyOnce:
    """Derives each signing key once per signer instead of once per signature."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        derive = super().derive_key
        return _once(self, "_derived_keys", secret_key, lambda: derive(secret_key))


class KeyOnceSigner(_KeyOnce, Signer):
    pass


class KeyOnceTimestampSigner(_KeyOnce, TimestampSigner):
    pass


class _ReusedSigners:
    """One signer per salt for the serializer's lifetime (signers hold only keys), and
    no zlib attempt on payloads too short to shrink."""

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        make = super().make_signer
        return _once(self, "_signers", salt, lambda: make(salt))

    def dump_payload(self, obj: Any) -> bytes:
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)  # the JSON alone
        if len(json) < NOT_WORTH_COMPRESSING:
            return base64_encode(json)
        return super().dump_payload(obj)


class FastURLSafeSerializer(_ReusedSigners, URLSafeSerializer):
    default_signer = KeyOnceSigner


class FastURLSafeTimedSerializer(_ReusedSigners, URLSafeTimedSerializer):
    default_signer = KeyOnceTimestampSigner


class ReusedSignerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with its serializer built once per key set."""

    digest_method = staticmethod(hashlib.sha1)

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = self._build_serializer(*keys)
        return self._serializers[keys]

    def _build_serializer(self, secret_key, fallbacks) -> URLSafeTimedSerializer | None:
        if not secret_key:
            return None
        # Flask's own construction (current key last), with the reusing classes.
        return FastURLSafeTimedSerializer(
            [*fallbacks, secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": hashlib.sha1},
        )


@lru_cache(maxsize=4)
def cookie_serializer(
    secret_key: str | bytes, fallbacks: tuple[str | bytes, ...], salt: str
) -> URLSafeSerializer:
    """An untimed signer for a cookie of ours; old keys (`SECRET_KEY_FALLBACKS`) still
    verify after a rotation, new values are signed with the current key."""
    return FastURLSafeSerializer([*fallbacks, secret_key], salt=salt, signer_kwargs=OPENSSL_SHA1)


@lru_cache(maxsize=4)
def _csrf_serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return FastURLSafeTimedSerializer(secret_key, salt=CSRF_TOKEN_SALT, signer_kwargs=OPENSSL_SHA1)


def new_raw_csrf_token() -> str:
    """The per-session secret Flask-WTF keeps in the session (40 hex digits, as its own)."""
    return secrets.token_hex(20)


def sign_csrf_token(secret_key: str | bytes, raw_token: str) -> str:
    """The form token for a session's raw token, as Flask-WTF's `generate_csrf` makes
    it; for pages served before Flask builds a request (see `shop.page_cache`)."""
    return _csrf_serializer(secret_key).dumps(raw_token)
