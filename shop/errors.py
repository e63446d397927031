"""Friendly error pages for shoppers, JSON errors for the JSON API."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from shop.db_setup import discard_transaction

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """The storefront JSON API lives at *.js / *.json paths, like its well-known model."""
    path = request.path
    return path.endswith((".js", ".json")) or request.is_json or path.startswith("/webhooks/")


def json_error(status: int, message: str, description: str | None = None):
    body = {"status": status, "message": message, "description": description or message}
    return jsonify(body), status


def _bare_error_page(code: int, title: str | None = None, message: str | None = None) -> str:
    """The standalone error page, rendered without context processors: when the
    database is what failed, the page must not need it."""
    template = current_app.jinja_env.get_template("errors/500.html")
    return template.render(code=code, title=title, message=message)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        reason = "Your session expired or the form was not sent from this site. Please try again."
        if wants_json():
            return json_error(400, "Missing or invalid CSRF token", error.description)
        return render_template(
            "errors/error.html", code=400, title="Please try again", message=reason
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if wants_json():
            return json_error(code, error.name, error.description)
        template = "errors/404.html" if code == 404 else "errors/error.html"
        return render_template(
            template, code=code, title=error.name, message=error.description
        ), code

    @app.errorhandler(DataError)
    def database_refused_the_data(error: DataError):
        """The database refused a value (too long, out of range): the input's fault."""
        log.warning("data refused on %s %s: %s", request.method, request.path, error.orig)
        discard_transaction()
        message = "Some of what you sent could not be stored. Please check it and try again."
        if wants_json():
            return json_error(400, "Bad Request", message)
        return _bare_error_page(400, "Please check what you entered", message), 400

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):
        """A dropped or refused database connection: nothing was committed (the
        transaction died with the connection), so say "try again", not "broken"."""
        log.warning("database error on %s %s: %s", request.method, request.path, error.orig)
        discard_transaction()  # the connection may be gone by now too
        message = (
            "We could not reach our database for a moment. Nothing was saved; please try again."
        )
        if wants_json():
            response = json_error(503, "Service Unavailable", message)
        else:
            response = _bare_error_page(503, "Please try again", message), 503
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        if wants_json():
            return json_error(500, "Internal Server Error", "Something went wrong on our side.")
        return _bare_error_page(500), InternalServerError.code
