"""The load benchmark's floor: a bare Flask app that returns a short text at ``/``.

``bench/load.py`` serves it with the same gunicorn settings as the store, so a page's
requests per second divided by this app's says how much of the server's capacity the
store's own work takes, whatever the machine.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)


@app.get("/")
def index() -> Response:
    return Response("ok\n", mimetype="text/plain")
