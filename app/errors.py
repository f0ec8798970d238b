"""One JSON error shape for every failed request: {"error": {"code", "message", "field"?}}."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from handlers.events import EnvelopeError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error we answer with a status and a message that is safe to show the caller."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _body(code: str, message: str, field: str | None = None):
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return jsonify(error=error)


def register_error_handlers(app: Flask) -> None:
    """Map our exceptions and werkzeug's HTTP errors to the JSON shape."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return _body(err.code, err.message, err.field), err.status

    @app.errorhandler(EnvelopeError)
    def _envelope_error(err: EnvelopeError):
        return _body("invalid_envelope", f"not a Blip envelope: {err.field}: {err.message}", err.field), 400

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        message = err.description or err.name
        if err.code == 413:
            message = f"request body larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        return _body(code, message), err.code

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error")  # traceback only; request bodies are never logged
        return _body("internal_error", "internal error"), 500
