"""Registration (aanmelden): the public form, the personal link and the organiser's
registration settings."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import settings_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(settings_views.bp)
