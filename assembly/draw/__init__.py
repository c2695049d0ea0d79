"""The panel draw: quotas, a fair lottery (LEXIMIN) with a public seed, and replacements."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.public_bp)
