"""Runs localstripe for the tests: state in memory only, listening on 127.0.0.1.

localstripe's own entry point saves its state to a fixed file in /tmp and listens on
every interface; for tests we want neither, so we serve its aiohttp app ourselves.
Usage: python -m tests.support.localstripe_server PORT
"""

from __future__ import annotations

import sys

import localstripe.resources as resources

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

from aiohttp import web  # noqa: E402
from localstripe.server import app  # noqa: E402

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
