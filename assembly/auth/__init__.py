"""Staff login. Flask-Login ids are prefixed ("staff:12") so that participants can later
log in by a personal link as another kind of principal ("participant:...")."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from ..db import get_session
from ..models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

STAFF_PREFIX = "staff:"


@login_manager.user_loader
def load_principal(principal_id: str) -> User | None:
    kind, _sep, raw_id = principal_id.partition(":")
    if kind + ":" == STAFF_PREFIX and raw_id.isdigit():
        user = get_session().get(User, int(raw_id))
        return user if user is not None and user.active else None
    return None


def init_app(app: Flask) -> None:
    from . import views

    login_manager.init_app(app)
    app.register_blueprint(views.bp)
