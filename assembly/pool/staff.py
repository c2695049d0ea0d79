"""Registering someone on their behalf: a phone call or a paper form, by staff.

The person is registered exactly as the public form would (with the staff wording of
the consent messages); with the code of their letter at hand they join its household.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..audit import Actor
from ..errors import ServiceError
from ..models import Assembly, Channel, Registration
from ..recruitment.codes import find_invitation
from ..registration import registrations


class UnknownLetterCode(ServiceError):
    message = _l("No letter of this assembly has this code.")
    field = "code"


def register_by_staff(
    session: Session,
    assembly: Assembly,
    data: registrations.RegistrationData,
    code: str,
    *,
    actor: Actor,
) -> Registration:
    """Add the person to the pool, in the household of the letter with ``code`` if given.

    Raises :class:`UnknownLetterCode`, or what :func:`registrations.register` raises.
    """
    invitation = find_invitation(session, assembly, code) if code.strip() else None
    if code.strip() and invitation is None:
        raise UnknownLetterCode()
    registration, _token = registrations.register(
        session, assembly, data, channel=Channel.STAFF, invitation=invitation, actor=actor
    )
    return registration
