"""Burgerberaad: run a deliberative citizens' assembly, from invitation to agreement."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from .config import is_production, load
from .db import ROOT_DIR
from .settings import settings

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides defaults and environment variables."""
    app = Flask(
        __name__,
        instance_path=str(ROOT_DIR / "instance"),
        template_folder=str(ROOT_DIR / "templates"),
        static_folder=str(ROOT_DIR / "static"),
    )
    load(app, config)

    if settings(app).trusted_proxies:
        n = settings(app).trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from . import (
        actions,
        audit,
        auth,
        cli,
        dashboard,
        db,
        draw,
        error_pages,
        formatting,
        i18n,
        jobs,
        logs,
        mail,
        pool,
        public,
        questionnaire,
        recruitment,
        registration,
    )
    from .labels import ROLE_LABELS

    # The stages along the journey, each registering its own pages (and, by importing
    # them, its background jobs, before the job queue is built).
    areas = (public, dashboard, audit, mail, recruitment, questionnaire, registration, pool, draw)
    for area in areas:
        area.init_app(app)
    db.init_app(app)
    jobs.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    formatting.init_app(app)
    auth.init_app(app)
    error_pages.init_app(app)
    cli.init_app(app)
    app.url_defaults(actions.fill_slug)
    # Registration codes, personal-link tokens and pool searches never reach the logs.
    logs.install(app.logger.name)

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        from flask_babel import get_locale
        from flask_login import current_user

        from .auth.forms import LogoutForm

        return {
            "current_locale": str(get_locale()),
            "language_names": i18n.LANGUAGE_NAMES,
            "role_labels": ROLE_LABELS,
            # Only staff see the logout button; for others no CSRF token (and no session).
            "logout_form": LogoutForm() if current_user.is_authenticated else None,
            "dev_outbox": settings(app).dev_outbox,
        }

    production = is_production(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app
