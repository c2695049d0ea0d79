"""Registration codes printed on the invitation letters.

Twelve characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown in groups of
four: ``K7QM-R2XT-9VDA``. 31**12 is about 2**59, so guessing a code is hopeless. A typed
code is found in any case and with or without hyphens or spaces.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from ..models import Assembly, Invitation, InvitationBatch

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4


def new_code() -> str:
    """A fresh code in its stored (normalised) form: twelve characters, no hyphens."""
    # One uniform number below 31**12 written in base 31: the same distribution as twelve
    # separate choices, at a tenth of the cost when a lottery makes tens of thousands.
    number = secrets.randbelow(len(ALPHABET) ** LENGTH)
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def normalise(code: str) -> str:
    """What a person typed, in stored form: upper case, without spaces or hyphens."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def display(code: str) -> str:
    """The printed form, in groups of four: ``K7QM-R2XT-9VDA``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def find_invitation(session: Session, assembly: Assembly, typed: str) -> Invitation | None:
    """The invitation of this assembly with the code a person typed (any case, hyphens)."""
    code = normalise(typed)
    if len(code) != LENGTH:
        return None
    query = (
        select(Invitation)
        .join(InvitationBatch, col(Invitation.batch_id) == col(InvitationBatch.id))
        .where(Invitation.code == code, InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).first()
