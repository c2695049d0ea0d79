"""A person in the pool: registering, correcting, withdrawing, erasing, and their own data.

The public form, the personal link, staff entries and the pool's import all come through
here, so every registration is validated the same way. Nothing here commits. Audit
payloads never hold names, contact details, codes or tokens.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlmodel import Session, col, select

from .. import audit, signals
from ..audit import Actor
from ..errors import ServiceError
from ..mail import queue_mail
from ..models import (
    Address,
    Assembly,
    Channel,
    Invitation,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
)
from ..questionnaire.questions import (
    chosen_option,
    current_language,
    load_questions,
    option_label,
)
from ..questionnaire.session_dates import load_session_dates
from ..recruitment.codes import ALPHABET
from ..settings import settings
from ..timeutil import as_utc, utcnow
from ..tokens import new_token, token_digest
from .contact import display_phone, normalise_email, normalise_phone
from .household import HouseholdFull, has_room, household_key, household_members

REFERENCE_LENGTH = 8
MAX_NAME = 200
MAX_EMAIL = 254
MAX_NEEDS = 2000
# Entered by an organiser on the person's behalf: no bot checks, Dutch confirmation.
BY_STAFF = (Channel.STAFF, Channel.IMPORT)


@dataclass(frozen=True)
class RegistrationData:
    """What a person (or staff on their behalf) filled in."""

    name: str
    email: str
    phone: str
    answers: Mapping[int, int]  # CategoryQuestion.id -> CategoryOption.id
    availability: frozenset[int]  # SessionDate ids
    accessibility_needs: str = ""
    dietary_needs: str = ""
    consent_privacy: bool = False
    consent_special: bool = False


class RegistrationInvalid(ServiceError):
    """The data does not pass :func:`validate`; ``errors`` maps field names to messages.

    Field names: ``name``, ``email`` (also for "neither e-mail nor phone"), ``phone``,
    ``q_<question id>``, ``availability``, ``accessibility_needs``, ``dietary_needs``,
    ``consent_privacy``, ``consent_special``.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__()
        self.errors = errors


class RegistrationGone(ServiceError):
    """The registration's personal data was erased; it can no longer be changed."""

    message = _l("The personal data of this registration has been removed.")


# --- validation ----------------------------------------------------------------------------


def validate(
    session: Session, assembly: Assembly, data: RegistrationData, *, staff: bool = False
) -> dict[str, str]:
    """Every problem with ``data``, as field name -> message in the current language.

    ``staff``: entered by an organiser on someone's behalf, so the messages about the
    opinion's permission speak about the person instead of to them.
    """
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("Fill in your name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Your name can be at most %(n)s characters.", n=MAX_NAME)

    email, phone = data.email.strip(), data.phone.strip()
    if not email and not phone:
        errors["email"] = _("Fill in an e-mail address or a phone number (or both).")
    if email and (len(email) > MAX_EMAIL or normalise_email(email) is None):
        errors["email"] = _("This is not a valid e-mail address. Example: name@example.nl")
    if phone and normalise_phone(phone) is None:
        errors["phone"] = _("This is not a valid phone number. Example: 06 12345678")

    for question, options in load_questions(session, assembly):
        key = f"q_{question.id}"
        option = chosen_option(question, options, data.answers)
        if option is None:
            errors[key] = _("Choose an answer.")
        elif question.special_category and not data.consent_special and not option.prefer_not:
            prefer_not = next((o for o in options if o.prefer_not), None)
            if staff and prefer_not is not None:
                errors[key] = _(
                    "This answer can only be stored if the person gave permission by phone "
                    "or on paper. Choose “%(label)s”, or tick below that they gave permission.",
                    label=option_label(prefer_not),
                )
            elif staff:
                errors["consent_special"] = _(
                    "This answer can only be stored if the person gave permission by phone "
                    "or on paper."
                )
            elif prefer_not is not None:
                errors[key] = _(
                    "You did not give permission to store your answer to this question. "
                    "Choose “%(label)s”, or give permission below.",
                    label=option_label(prefer_not),
                )
            else:
                errors["consent_special"] = _(
                    "We can only store your answer to this question with your permission."
                )

    dates = {d.id for d in load_session_dates(session, assembly)}
    if not data.availability <= dates:
        errors["availability"] = _("Choose only from the dates shown.")
    for key, value in (
        ("accessibility_needs", data.accessibility_needs),
        ("dietary_needs", data.dietary_needs),
    ):
        if len(value.strip()) > MAX_NEEDS:
            errors[key] = _("This can be at most %(n)s characters.", n=MAX_NEEDS)
    if not data.consent_privacy:
        errors["consent_privacy"] = _("You can only register if you agree to this.")
    return errors


# --- registering and correcting --------------------------------------------------------


def personal_link(assembly: Assembly, token: str) -> str:
    # Built by hand rather than with url_for: imports and staff entries may run in a
    # background job, where there is no request to build a URL from.
    return f"{settings().base_url}/a/{assembly.slug}/aanmelding/{token}"


def _new_reference(session: Session) -> str:
    while True:
        reference = "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))
        taken = session.exec(select(Registration.id).where(Registration.reference == reference))
        if taken.first() is None:
            return reference


def _apply(session: Session, registration: Registration, data: RegistrationData) -> list[str]:
    """Copy ``data`` onto the registration; returns the names of the fields that changed."""
    assert registration.id is not None
    now = utcnow()
    email = normalise_email(data.email) if data.email.strip() else ""
    phone = normalise_phone(data.phone) if data.phone.strip() else ""
    values: dict[str, Any] = {
        "name": data.name.strip(),
        "email": email or "",
        "phone": phone or "",
        "accessibility_needs": data.accessibility_needs.strip(),
        "dietary_needs": data.dietary_needs.strip(),
    }
    changed = [k for k, v in values.items() if getattr(registration, k) != v]
    for key, value in values.items():
        setattr(registration, key, value)
    if data.consent_privacy and registration.consent_privacy_at is None:
        registration.consent_privacy_at = now
        changed.append("consent_privacy")
    if data.consent_special != (registration.consent_special_at is not None):
        registration.consent_special_at = now if data.consent_special else None
        changed.append("consent_special")

    answers = {
        a.question_id: a
        for a in session.exec(
            select(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id)
        )
    }
    for question_id, option_id in data.answers.items():
        current = answers.pop(question_id, None)
        if current is None:
            session.add(
                RegistrationAnswer(
                    registration_id=registration.id, question_id=question_id, option_id=option_id
                )
            )
            changed.append(f"q_{question_id}")
        elif current.option_id != option_id:
            current.option_id = option_id
            session.add(current)
            changed.append(f"q_{question_id}")
    for stale in answers.values():
        session.delete(stale)
        changed.append(f"q_{stale.question_id}")

    available = availability_of(session, registration)
    if available != data.availability:
        for date_id in available - data.availability:
            session.execute(
                delete(RegistrationAvailability).where(
                    col(RegistrationAvailability.registration_id) == registration.id,
                    col(RegistrationAvailability.session_date_id) == date_id,
                )
            )
        for date_id in data.availability - available:
            session.add(
                RegistrationAvailability(registration_id=registration.id, session_date_id=date_id)
            )
        changed.append("availability")
    if changed:
        registration.updated_at = now
    session.add(registration)
    return changed


def register(
    session: Session,
    assembly: Assembly,
    data: RegistrationData,
    *,
    channel: Channel,
    invitation: Invitation | None = None,
    actor: Actor,
) -> tuple[Registration, str]:
    """Add a person to the pool; returns the registration and its personal-link token.

    Only the token's SHA-256 is stored, so the returned token is the only copy: mail it or
    show it. A confirmation with the link is queued when an e-mail address is given.
    Raises :class:`RegistrationInvalid` or :class:`HouseholdFull`.
    """
    assert assembly.id is not None
    channel = Channel(channel)
    errors = validate(session, assembly, data, staff=channel in BY_STAFF)
    if errors:
        raise RegistrationInvalid(errors)
    if invitation is not None and not has_room(session, invitation):
        raise HouseholdFull()

    token = new_token()
    registration = Registration(
        assembly_id=assembly.id,
        invitation_id=invitation.id if invitation else None,
        reference=_new_reference(session),
        household_key=household_key(invitation.id if invitation else None),
        channel=channel,
        token_hash=token_digest(token),
    )
    session.add(registration)
    session.flush()
    _apply(session, registration, data)
    session.flush()
    if registration.email:
        _queue_confirmation(session, assembly, registration, token)
    audit.record(
        session,
        actor,
        "registration.create",
        registration,
        {
            "channel": channel,
            "invitation": invitation.id if invitation else None,
            "household_member": household_members(session, invitation) if invitation else 1,
            "consent_special": registration.consent_special_at is not None,
            "email": bool(registration.email),
            "phone": bool(registration.phone),
        },
    )
    return registration, token


def _queue_confirmation(
    session: Session, assembly: Assembly, registration: Registration, token: str
) -> None:
    # The registrant's own language on the public page; Dutch when staff enter or import
    # someone, since the staff member's language says nothing about the registrant's.
    language = "nl" if registration.channel in BY_STAFF else current_language()
    with force_locale(language):
        subject = _("Your registration for %(name)s", name=assembly.name)
        body = render_template(
            "registration/confirmation.txt",
            assembly=assembly,
            registration=registration,
            link=personal_link(assembly, token),
        )
    queue_mail(session, registration.email, subject, body, assembly_id=assembly.id)


def find_by_token(session: Session, assembly: Assembly, token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    query = select(Registration).where(
        Registration.token_hash == token_digest(token),
        Registration.assembly_id == assembly.id,
        col(Registration.purged_at).is_(None),
    )
    return session.exec(query).first()


def answers_of(session: Session, registration: Registration) -> dict[int, int]:
    query = select(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id)
    return {a.question_id: a.option_id for a in session.exec(query)}


def availability_of(session: Session, registration: Registration) -> frozenset[int]:
    query = select(RegistrationAvailability.session_date_id).where(
        RegistrationAvailability.registration_id == registration.id
    )
    return frozenset(session.exec(query))


def data_of(session: Session, registration: Registration) -> RegistrationData:
    """The registration as form data, to prefill a correction."""
    return RegistrationData(
        name=registration.name,
        email=registration.email,
        phone=display_phone(registration.phone),
        answers=answers_of(session, registration),
        availability=availability_of(session, registration),
        accessibility_needs=registration.accessibility_needs,
        dietary_needs=registration.dietary_needs,
        consent_privacy=registration.consent_privacy_at is not None,
        consent_special=registration.consent_special_at is not None,
    )


def update_registration(
    session: Session,
    registration: Registration,
    data: RegistrationData,
    *,
    actor: Actor,
    staff: bool = False,
) -> None:
    """Correct a registration (``staff``: an organiser does it on the person's behalf).

    Raises :class:`RegistrationInvalid` or :class:`RegistrationGone`."""
    if registration.purged_at is not None:
        raise RegistrationGone()
    assembly = session.get(Assembly, registration.assembly_id)
    assert assembly is not None
    errors = validate(session, assembly, data, staff=staff)
    if errors:
        raise RegistrationInvalid(errors)
    changed = _apply(session, registration, data)
    if changed:
        # Field names only: which answer changed is itself personal data.
        audit.record(
            session,
            actor,
            "registration.update",
            registration,
            {"changed": sorted({"answers" if c.startswith("q_") else c for c in changed})},
        )


# --- leaving the pool ---------------------------------------------------------------------


def withdraw(session: Session, registration: Registration, *, actor: Actor) -> None:
    """Take the person out of the pool; their data stays until erased or purged."""
    if registration.purged_at is not None:
        raise RegistrationGone()
    if registration.withdrawn_at is not None:
        return
    registration.withdrawn_at = utcnow()
    registration.updated_at = registration.withdrawn_at
    session.add(registration)
    audit.record(session, actor, "registration.withdraw", registration, {})
    signals.registration_withdrawn.send(registration, session=session)


def reactivate(session: Session, registration: Registration, *, actor: Actor) -> None:
    """Undo a withdrawal (the person changed their mind, or it was a mistake)."""
    if registration.purged_at is not None:
        raise RegistrationGone()
    if registration.withdrawn_at is None:
        return
    registration.withdrawn_at = None
    registration.updated_at = utcnow()
    session.add(registration)
    audit.record(session, actor, "registration.reactivate", registration, {"by": "staff"})


def erase(session: Session, registration: Registration, *, actor: Actor) -> None:
    """Remove everything that says who this person is or what they answered.

    What stays is an empty row (the random reference, the channel and the dates) so that
    counts of how many people registered and withdrew stay right. The link to the letter
    goes too, because an address says who lives there; the personal link stops working.
    """
    if registration.purged_at is not None:
        return
    if registration.withdrawn_at is None:
        signals.registration_withdrawn.send(registration, session=session)
    now = utcnow()
    session.execute(
        delete(RegistrationAnswer).where(col(RegistrationAnswer.registration_id) == registration.id)
    )
    session.execute(
        delete(RegistrationAvailability).where(
            col(RegistrationAvailability.registration_id) == registration.id
        )
    )
    registration.name = ""
    registration.email = ""
    registration.phone = ""
    registration.accessibility_needs = ""
    registration.dietary_needs = ""
    registration.consent_special_at = None
    registration.invitation_id = None
    registration.household_key = f"erased:{registration.id}"
    registration.token_hash = token_digest(new_token())
    registration.withdrawn_at = registration.withdrawn_at or now
    registration.purged_at = now
    registration.updated_at = now
    session.add(registration)
    audit.record(session, actor, "registration.erase", registration, {})


# --- the person's own data ------------------------------------------------------------------


def personal_data(session: Session, registration: Registration) -> dict[str, Any]:
    """Everything we hold about this person, for their own export (AVG art. 15 and 20)."""
    assembly = session.get(Assembly, registration.assembly_id)
    assert assembly is not None
    chosen = answers_of(session, registration)
    answers = []
    for question, options in load_questions(session, assembly):
        option = chosen_option(question, options, chosen)
        if option is not None:
            answers.append(
                {
                    "question": question.question,
                    "answer": option.label,
                    "category": question.category,
                    "value": option.value,
                }
            )
    available = availability_of(session, registration)
    dates = [
        {
            "session": d.label,
            "starts_at": as_utc(d.starts_at).isoformat(),
            "location": d.location,
        }
        for d in load_session_dates(session, assembly)
        if d.id in available
    ]

    def when(value: datetime | None) -> str | None:
        return as_utc(value).isoformat() if value is not None else None

    return {
        "assembly": assembly.name,
        "organiser_contact": assembly.organiser_contact,
        "reference": registration.reference,
        "registered_via": registration.channel,
        "name": registration.name,
        "email": registration.email,
        "phone": registration.phone,
        "address_from_invitation": _address_of(session, registration),
        "answers": answers,
        "available_on": dates,
        "accessibility_needs": registration.accessibility_needs,
        "dietary_needs": registration.dietary_needs,
        "consent_privacy_at": when(registration.consent_privacy_at),
        "consent_special_at": when(registration.consent_special_at),
        "registered_at": when(registration.created_at),
        "updated_at": when(registration.updated_at),
        "withdrawn_at": when(registration.withdrawn_at),
        "retention_months": assembly.retention_months,
    }


def _address_of(session: Session, registration: Registration) -> dict[str, str] | None:
    """The address of the person's letter, while the address list still has it."""
    if registration.invitation_id is None:
        return None
    invitation = session.get(Invitation, registration.invitation_id)
    found = session.get(Address, invitation.address_id) if invitation else None
    if found is None or not found.street:
        return None
    return {
        "street": found.street,
        "house_number": found.house_number,
        "postcode": found.postcode,
        "city": found.city,
    }
