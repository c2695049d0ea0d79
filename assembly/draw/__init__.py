"""The panel draw: quotas, a fair lottery (LEXIMIN) with a public seed, and replacements."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages, its background job and its signal receivers."""
    from . import answers, jobs, public_views, results, staff_views  # noqa: F401

    app.register_blueprint(staff_views.bp)
    app.register_blueprint(public_views.public_bp)
