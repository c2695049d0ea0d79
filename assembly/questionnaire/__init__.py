"""What registrants are asked: the category questions and their options (the categories
of the panel draw, with population shares) and the session dates they can come on.

Registration asks these, the respondent pool counts them, and the draw draws on them; all
three read them through this package. The organiser edits them on its pages.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the organiser's pages for the questions and the session dates."""
    from . import views

    app.register_blueprint(views.bp)
