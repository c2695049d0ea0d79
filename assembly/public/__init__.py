"""What everyone can read: the assembly pages and the health check."""

from flask import Flask

from ..models import Milestone
from ..published import feeds_public_pages

# The assembly's public page shows its planned milestones.
feeds_public_pages(Milestone)


def init_app(app: Flask) -> None:
    """Register this stage's pages."""
    from . import views

    app.register_blueprint(views.bp)
