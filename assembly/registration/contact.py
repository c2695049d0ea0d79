"""Contact details as people type them and as they are stored and shown.

E-mail addresses are stored as ``email_validator`` normalises them; phone numbers in
international form (E.164, ``+31612345678``), read and written by ``phonenumbers`` with
the Netherlands as the default country. Numbers abroad (many in Zeeuws-Vlaanderen have a
Belgian phone) are accepted in international form.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberFormat

HOME_REGION = "NL"
HOME_PREFIX = "+31"


def normalise_email(email: str) -> str | None:
    """The address in stored form, or None when it is not an e-mail address."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


def normalise_phone(phone: str) -> str | None:
    """A phone number in international form (+31612345678), or None when it is not one."""
    try:
        number = phonenumbers.parse(phone.strip(), HOME_REGION)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(phone: str) -> str:
    """A stored number as its reader writes it: 06 12345678, 0118 123 456, +32 470 12 34 56."""
    try:
        number = phonenumbers.parse(phone, HOME_REGION)
    except NumberParseException:
        return phone
    home = phonenumbers.region_code_for_number(number) == HOME_REGION
    return phonenumbers.format_number(
        number, PhoneNumberFormat.NATIONAL if home else PhoneNumberFormat.INTERNATIONAL
    )


def national_digits(typed: str) -> str:
    """The digits to look for in stored numbers written the Dutch way (``0`` for ``+31``).

    A whole number in any notation (0612345678, +31 6 1234 5678, 0031…) becomes its Dutch
    digits; a part of a number is searched as typed.
    """
    digits = re.sub(r"\D", "", typed)
    number = normalise_phone(typed) or normalise_phone("+" + digits)
    if number is None:
        return digits
    return "0" + number.removeprefix(HOME_PREFIX) if number.startswith(HOME_PREFIX) else number[1:]
