"""Friendly error pages for shoppers, JSON errors for the JSON API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """The storefront JSON API lives at *.js / *.json paths, like its well-known model."""
    path = request.path
    return path.endswith((".js", ".json")) or request.is_json or path.startswith("/webhooks/")


def json_error(status: int, message: str, description: str | None = None):
    body = {"status": status, "message": message, "description": description or message}
    return jsonify(body), status


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

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        if wants_json():
            return json_error(500, "Internal Server Error", "Something went wrong on our side.")
        return render_template("errors/500.html", code=500), InternalServerError.code
