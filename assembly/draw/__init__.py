"""The panel draw: quotas, a fair lottery (LEXIMIN) with a public seed, and replacements."""

from flask import Flask

from ..models import DrawReplacement, DrawRun, DrawSignature, PanelMember
from ..published import feeds_public_pages, through

# What the public page of the lottery shows: the run, its signatures and the panel now.
feeds_public_pages(DrawRun)
feeds_public_pages(DrawSignature, through(DrawRun, "run_id"))
feeds_public_pages(PanelMember, through(DrawRun, "run_id"))
feeds_public_pages(DrawReplacement, through(DrawRun, "run_id"))


def init_app(app: Flask) -> None:
    """Register this stage's pages, its background job and its signal receivers."""
    from . import answers, jobs, public_views, results, staff_views  # noqa: F401

    app.register_blueprint(staff_views.bp)
    app.register_blueprint(public_views.public_bp)
