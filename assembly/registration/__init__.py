"""Registration (aanmelden): the public form, the personal link and the form's settings."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.settings_bp)
