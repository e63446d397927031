"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from shop import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    # One line naming the setting, not a traceback.
    sys.stderr.write(f"error: {error}\n")
    raise SystemExit(2) from None
