"""Staff accounts: passwords, login with a rate limit, password reset by e-mailed link."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import ServiceError
from ..limits import Limit, network_of
from ..mail import queue_mail
from ..models import PasswordResetToken, Role, User
from ..settings import settings
from ..timeutil import as_utc, utcnow
from ..tokens import new_token, token_digest

MIN_PASSWORD_LENGTH = 10


class AuthError(ServiceError):
    """An account or login refused."""


class InvalidCredentials(AuthError):
    message = _l("The e-mail address or password is not correct.")
    status = 401


class TooManyAttempts(AuthError):
    message = _l("Too many failed attempts. Please wait 15 minutes or reset your password.")
    status = 429


class InvalidResetToken(AuthError):
    status = 404


class WeakPassword(AuthError):
    message = _l("At least %(n)s characters.")
    field = "password"


class DuplicateEmail(AuthError):
    message = _l("An account for this e-mail address already exists.")
    field = "email"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=settings().password_hash_method)


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(n=MIN_PASSWORD_LENGTH)


def create_user(
    session: Session,
    email: str,
    password: str,
    role: Role,
    *,
    name: str = "",
    actor: User | str | None = None,
) -> User:
    email = normalise_email(email)
    _check_strength(password)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise DuplicateEmail(email=email)
    user = User(email=email, name=name, password_hash=hash_password(password), role=role.value)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", user, {"email": email, "role": role.value})
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


LOGINS_PER_ACCOUNT = Limit(
    "login_account",
    limit=lambda: settings().login_max_failures_per_account,
    window=lambda: timedelta(minutes=settings().login_failure_window_minutes),
)
LOGINS_PER_ADDRESS = Limit(
    "login_address",
    limit=lambda: settings().login_max_failures_per_ip,
    window=lambda: timedelta(minutes=settings().login_failure_window_minutes),
)


def authenticate(session: Session, email: str, password: str, ip: str) -> User:
    """Return the user, or raise. A failure is recorded in ``session``: commit it too."""
    email = normalise_email(email)
    network = network_of(ip)
    if LOGINS_PER_ACCOUNT.reached(session, email) or LOGINS_PER_ADDRESS.reached(session, network):
        raise TooManyAttempts()

    user = get_user_by_email(session, email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which accounts exist.
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.active and check_password_hash(user.password_hash, password)
    if not ok or user is None:
        LOGINS_PER_ACCOUNT.add(session, email)
        LOGINS_PER_ADDRESS.add(session, network)
        raise InvalidCredentials()

    LOGINS_PER_ACCOUNT.clear(session, email)
    user.last_login_at = utcnow()
    session.add(user)
    return user


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    method = settings().password_hash_method
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _dummy_hashes[method]


def request_password_reset(session: Session, email: str, locale: str) -> None:
    """Mail a one-time link when the account exists; silent otherwise (no account probing)."""
    user = get_user_by_email(session, email)
    if user is None or not user.active:
        return
    token = new_token()
    hours = settings().password_reset_hours
    session.add(
        PasswordResetToken(
            user_id=user.id,  # type: ignore[arg-type]
            token_hash=token_digest(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    link = settings().base_url + url_for("auth.reset_password", token=token)
    with force_locale(locale):
        subject = _("Reset your password")
        body = render_template("mail/password_reset.txt", user=user, link=link, hours=hours)
    queue_mail(session, user.email, subject, body)
    audit.record(session, "anonymous", "user.password_reset_requested", user)


def user_for_reset_token(session: Session, token: str) -> tuple[User, PasswordResetToken]:
    row = session.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise InvalidResetToken()
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise InvalidResetToken()
    return user, row


def reset_password(session: Session, token: str, new_password: str) -> User:
    user, row = user_for_reset_token(session, token)
    _check_strength(new_password)
    now = utcnow()
    user.password_hash = hash_password(new_password)
    session.add(user)
    # One link works once, and a reset also voids any other links still in mailboxes.
    for other in session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),  # type: ignore[union-attr]
        )
    ):
        other.used_at = now
        session.add(other)
    row.used_at = now
    session.add(row)
    LOGINS_PER_ACCOUNT.clear(session, user.email)
    audit.record(session, user, "user.password_reset", user)
    return user
