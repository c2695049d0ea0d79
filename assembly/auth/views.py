from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..db import get_session
from ..i18n import safe_next
from . import service
from .forms import ForgotPasswordForm, LoginForm, LogoutForm, ResetPasswordForm

bp = Blueprint("auth", __name__)


@bp.route("/inloggen", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        try:
            user = service.authenticate(
                session, form.email.data or "", form.password.data or "", request.remote_addr or ""
            )
        except service.AuthError as error:
            # Unlike other refusals this one is committed: the failed attempt must count.
            session.commit()
            status = error.status
            flash(error.text(), "error")
        else:
            session.commit()
            login_user(user)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
    return render_template("auth/login.html", form=form), status


@bp.post("/uitloggen")
@login_required
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("public.index"), code=303)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password() -> Response | str:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        session = get_session()
        service.request_password_reset(session, form.email.data or "", str(get_locale()))
        session.commit()
        flash(
            _(
                "If an account exists for this address, we have sent a link to reset the "
                "password. The link works once."
            ),
            "success",
        )
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    session = get_session()
    try:
        service.user_for_reset_token(session, token)
    except service.InvalidResetToken:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(session, token, form.password.data or "")
        except service.WeakPassword as error:
            session.rollback()
            form.password.errors.append(error.text())
        else:
            session.commit()
            flash(_("Your password has been changed. You can now log in."), "success")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/reset_password.html", form=form)
