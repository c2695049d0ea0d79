"""Languages: Dutch first, English second. The choice lives in a cookie."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, request
from flask_babel import Babel
from werkzeug.wrappers import Response

from .settings import settings

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = settings().languages
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or settings().babel_default_locale
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    from . import csrf

    csrf.exempt(switch_language)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only follow paths on this site, never an absolute URL (no open redirect)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/taal")
def switch_language() -> Response:
    """Remember the chosen language in a cookie.

    Exempt from CSRF (see init_app): another site can at most switch a visitor's language,
    and without a token in the form public pages set no session and can be cached.
    """
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")), code=303)
    if lang in settings().languages:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings().session_cookie_secure,
            httponly=True,
        )
    return response
