"""One household per letter: everyone who registers with one code lives at its address.

As many people may register with a code as adults live at the address (as the address
list says; five when it does not say).
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from ..errors import ServiceError
from ..models import Address, Invitation, Registration

# When the address list does not say how many adults live there.
DEFAULT_HOUSEHOLD_LIMIT = 5


class HouseholdFull(ServiceError):
    """As many people registered with this code as adults live at the address."""

    message = _l("As many people have registered with this code as live at the address.")
    field = "code"


def household_key(invitation_id: int | None) -> str:
    """Who lives together: everyone with one letter; without a letter, a household of one."""
    return f"inv:{invitation_id}" if invitation_id is not None else f"own:{secrets.token_hex(12)}"


def household_limit(session: Session, invitation: Invitation) -> int:
    address = session.get(Address, invitation.address_id)
    if address is not None and address.adults:
        return address.adults
    return DEFAULT_HOUSEHOLD_LIMIT


def household_members(session: Session, invitation: Invitation) -> int:
    """People registered with this code who are still in the pool."""
    query = select(func.count()).where(
        col(Registration.invitation_id) == invitation.id,
        col(Registration.withdrawn_at).is_(None),
        col(Registration.purged_at).is_(None),
    )
    return int(session.exec(query).one())


def has_room(session: Session, invitation: Invitation) -> bool:
    return household_members(session, invitation) < household_limit(session, invitation)
