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
# process. Frozen, the collector stops re-scanning it: a full collection of a cart
# worker took about 130 ms, a stall every few seconds under load; afterwards it only
# walks what requests allocate.
gc.freeze()
