"""Secret tokens in links (personal links, password resets, invitations).

Only a token's digest is stored: a copy of the database must not open anyone's link.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe token of 256 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored and looked up instead of the token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()
