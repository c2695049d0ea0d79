"""Friendly, translated error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("No access"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l("This page does not exist, or you do not have access to it."),
    ),
    405: (_l("Not allowed"), _l("This action is not possible on this page.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a while and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred on our side. Please try again later."),
    ),
}


def _render(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return _render(
            400,
            str(_l("Form expired")),
            str(
                _l(
                    "The form was not accepted because its security token is missing or "
                    "expired. Go back, reload the page and try again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        code = error.code or 500
        if code < 400 or request.path.startswith("/static/"):
            return error
        title, message = MESSAGES.get(code, (error.name, error.description or ""))
        return _render(code, str(title), str(message))

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        title, message = MESSAGES[500]
        return _render(500, str(title), str(message))
