"""The organisers' area: assemblies and their settings."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
