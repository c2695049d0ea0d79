"""Registration codes printed on the invitation letters.

Twelve characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown in groups of
four: ``K7QM-R2XT-9VDA``. 31**12 is about 2**59, so guessing a code is hopeless.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4


def new_code() -> str:
    """A fresh code in its stored (normalised) form: twelve characters, no hyphens."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    """What a person typed, in stored form: upper case, without spaces or hyphens."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def display(code: str) -> str:
    """The printed form, in groups of four: ``K7QM-R2XT-9VDA``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
