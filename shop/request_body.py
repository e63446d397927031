"""Reading JSON request bodies: a malformed one is the sender's mistake, a 400 with the
reason, wherever it is read (the cart API, a form sent as JSON, a sign-in).

Werkzeug's `get_json` turns a ValueError from the parser into a 400; anything else
escapes as a 500. Python's parser raises RecursionError, not ValueError, on JSON
nested about a thousand levels deep, so the app's JSON provider turns that into a
ValueError, and refuses nesting past any depth our requests use, so nothing that
walks a parsed body later can run out of stack either.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

# The deepest body we take is a cart add: {"items": [{"id": ..., "properties": {...}}]}.
MAX_JSON_DEPTH = 32


class JSONTooDeepError(ValueError):
    """The JSON nests deeper than MAX_JSON_DEPTH (or than the parser can follow)."""

    def __init__(self) -> None:
        super().__init__(f"it is nested more than {MAX_JSON_DEPTH} levels deep")


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Walked with a list, not recursion: the point is never to run out of stack."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with loads refusing too-deep nesting as invalid JSON."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise JSONTooDeepError() from None
        if nests_deeper_than(value, MAX_JSON_DEPTH):
            raise JSONTooDeepError()
        return value


class ShopRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Say why the body was refused (Flask hides the parser's reason outside debug
        mode; it describes only the sender's own bytes)."""
        if e is None:  # not a JSON content type: Flask's 415 says so
            return super().on_json_loading_failed(e)
        raise BadRequest(f"The request body is not valid JSON: {e}.")


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
    app.request_class = ShopRequest
