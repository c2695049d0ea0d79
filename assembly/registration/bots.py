"""Bot protection that a person never notices: a honeypot field and a timing token.

The form carries a field people do not see (bots fill in every field they find) and a
signed token of when it was shown: a person needs more than a few seconds for the form,
and a form left open longer than the token lasts is shown again rather than accepted.
"""

from __future__ import annotations

from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..models import Assembly
from ..settings import settings
from ..timeutil import as_utc, utcnow

# The names of the two hidden fields of the public form.
HONEYPOT = "website"
TIMING = "started"


class Sender(StrEnum):
    PERSON = "person"
    BOT = "bot"
    # A person who left the form open too long: show it again with a fresh token.
    EXPIRED = "expired"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt="registration-form")


def timing_token(assembly: Assembly) -> str:
    """The token for a form of ``assembly`` shown now."""
    return _serializer().dumps(assembly.id)


def sender_of(assembly: Assembly, *, honeypot: str, token: str) -> Sender:
    """Who sent the form: a bot (honeypot filled in; token missing, forged, for another
    assembly or too recent), a person, or a person whose token expired."""
    if honeypot:
        return Sender.BOT
    try:
        assembly_id, signed_at = _serializer().loads(
            token, max_age=settings().registration_max_form_age, return_timestamp=True
        )
    except SignatureExpired:
        return Sender.EXPIRED
    except BadSignature:
        return Sender.BOT
    if assembly_id != assembly.id:
        return Sender.BOT
    elapsed = (utcnow() - as_utc(signed_at)).total_seconds()
    return Sender.BOT if elapsed < settings().registration_min_fill_seconds else Sender.PERSON
