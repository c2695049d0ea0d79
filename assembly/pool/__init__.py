"""The respondent pool (aanmeldingen): the organisers' view of everyone who registered."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
