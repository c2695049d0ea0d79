"""The respondent pool (aanmeldingen): the organisers' view of everyone who registered,
and the privacy page that removes what is no longer needed."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this stage's pages and its command (``flask purge-expired``)."""
    from . import commands, privacy_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(privacy_views.bp)
    app.cli.add_command(commands.purge_expired)
