"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc
import sys

from shop import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    # One line naming the setting, not a traceback.
    sys.stderr.write(f"error: {error}\n")
    raise SystemExit(2) from None

# Everything built so far (modules, the app, its extensions) lives as long as the
# process. Frozen, the collector stops re-scanning it on every full collection (a
# stall under load) and walks only what requests allocate.
gc.freeze()
