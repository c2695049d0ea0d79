"""Recruitment (werving): the address list, the invitation lottery and the letters."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
