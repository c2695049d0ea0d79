"""Checking the code a person types on the registration page, within the rate limits.

What a code looks like and which letter it belongs to is :mod:`assembly.recruitment.codes`;
this module limits how often one network may try: wrong codes (someone guessing) and
registrations without a code (open registration) are counted per network in a window.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..errors import ServiceError
from ..limits import Limit, network_of
from ..models import Assembly, Invitation
from ..recruitment.codes import find_invitation
from ..settings import settings


def _window() -> timedelta:
    return timedelta(minutes=settings().code_window_minutes)


# Wrong codes per network (someone guessing) and registrations without a code per network,
# in the same window.
CODE_FAILURES = Limit("code_failure", lambda: settings().code_max_failures_per_ip, _window)
OPEN_REGISTRATIONS = Limit(
    "open_registration", lambda: settings().open_registrations_per_ip, _window
)


class TooManyAttempts(ServiceError):
    """Too many wrong codes (or registrations without one) from this network."""

    status = 429


class UnknownCode(ServiceError):
    """No letter of this assembly has the typed code (the attempt is counted)."""

    message = _l(
        "We do not know this code. Check that you typed it exactly as in the "
        "letter. A code never contains the letters O, I or L, or the digits 0 and 1."
    )
    field = "code"


def record_attempt(session: Session, ip: str, *, success: bool) -> None:
    """Count a wrong code (``success=False``) or a registration without a code."""
    (OPEN_REGISTRATIONS if success else CODE_FAILURES).add(session, network_of(ip))


def too_many_failures(session: Session, ip: str) -> bool:
    return CODE_FAILURES.reached(session, network_of(ip))


def too_many_open(session: Session, ip: str) -> bool:
    return OPEN_REGISTRATIONS.reached(session, network_of(ip))


def check_code(session: Session, assembly: Assembly, typed: str, ip: str) -> Invitation:
    """The invitation for a typed code, counting the attempt for the rate limit.

    Raises :class:`TooManyAttempts` (nothing is looked up then) or :class:`UnknownCode`
    (commit then, so that the failed attempt counts).
    """
    if too_many_failures(session, ip):
        raise TooManyAttempts()
    invitation = find_invitation(session, assembly, typed)
    if invitation is None:
        # Only failures are kept: successful rows count registrations without a code.
        record_attempt(session, ip, success=False)
        raise UnknownCode()
    return invitation
