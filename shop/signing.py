"""Signed cookies without rebuilding the signer on every request.

Flask builds a new itsdangerous serializer for the session cookie on every request,
and building one costs more than the signing itself: itsdangerous finds out whether
the payload serializer returns text by serializing an empty dict with it, and
Flask's tagged JSON serializer is slow at that. A built serializer holds no state
but its keys, so one is kept per secret key (and key fallbacks, for rotation).
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class ReusedSignerSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]
