"""The invited member's personal link: derived from the secret key and a nonce per seat, so
a letter can be printed again; only its digest is stored and looked up."""

from __future__ import annotations

import base64
import hashlib
import hmac

from ..models import Assembly, PanelMember
from ..settings import settings as configured


def invitation_token(member: PanelMember) -> str:
    """The personal link's token: derived from the secret key, so letters can be reprinted."""
    secret = configured().secret_key.encode()
    message = f"panel-invitation\x1f{member.id}\x1f{member.token_nonce}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_link(assembly: Assembly, token: str) -> str:
    # Built by hand: the link goes into mail and print, away from any request.
    return f"{configured().base_url}/a/{assembly.slug}/uitnodiging/{token}"
