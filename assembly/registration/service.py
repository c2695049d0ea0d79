"""Registering, correcting, withdrawing and erasing registrations; the code check.

Views (and the respondent pool's staff entry and import) call these with the request's
session; nothing here commits. Errors are typed so the caller can say what went wrong in the
registrant's language. Audit payloads never hold names, contact details, codes or tokens.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func
from sqlmodel import Session, select

from .. import audit, signals
from ..audit import Actor
from ..errors import ServiceError
from ..limits import Limit, network_of
from ..mail import queue_mail
from ..models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Invitation,
    PoolCountSnapshot,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
    SessionDate,
)
from ..questionnaire.questions import current_language, load_questions, option_label
from ..questionnaire.session_dates import load_session_dates
from ..questionnaire.shares import ShareInvalid, check_category_total, parse_share
from ..recruitment import codes
from ..recruitment import service as recruitment_service
from ..settings import settings
from ..timeutil import as_utc, from_local, utcnow
from ..tokens import new_token, token_digest

CHANNELS = ("letter", "open", "staff", "import")
# When the address list does not say how many adults live there.
DEFAULT_HOUSEHOLD_LIMIT = 5
REFERENCE_LENGTH = 8
MAX_NAME = 200
MAX_EMAIL = 254
MAX_NEEDS = 2000

# Code guessing: failed codes per address in a window (both configurable).
# Registrations without a code from one address in the same window (open mode).
# Attempts are kept this long, then removed.

# Dutch numbers: 0 or +31/0031 and nine digits (06 12345678, 0118 123456). Numbers abroad
# (many in Zeeuws-Vlaanderen have a Belgian phone) are accepted in international form.
_PHONE_NL = re.compile(r"^(?:\+31|0031|0)([1-9][0-9]{8})$")
_PHONE_INTL = re.compile(r"^(?:\+|00)([1-9][0-9]{7,14})$")
_PHONE_SEPARATORS = re.compile(r"[\s\-./()]")


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


class RegistrationError(Exception):
    pass


class RegistrationInvalid(RegistrationError):
    """The data does not pass :func:`validate`; ``errors`` maps field names to messages.

    Field names: ``name``, ``email`` (also for "neither e-mail nor phone"), ``phone``,
    ``q_<question id>``, ``availability``, ``accessibility_needs``, ``dietary_needs``,
    ``consent_privacy``, ``consent_special``.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid registration: " + ", ".join(sorted(errors)))
        self.errors = errors


class HouseholdFull(RegistrationError):
    """As many people registered with this code as adults live at the address."""


class RegistrationGone(RegistrationError):
    """The registration's personal data was erased; it can no longer be changed."""


class TooManyAttempts(RegistrationError):
    pass


class UnknownCode(RegistrationError):
    pass


# --- the form's content ------------------------------------------------------------------


def is_closed(assembly: Assembly, now: datetime | None = None) -> bool:
    closes = assembly.registration_closes_at
    return closes is not None and as_utc(closes) <= (now or utcnow())


# --- validation ----------------------------------------------------------------------------


def normalise_phone(phone: str) -> str | None:
    """A phone number in international form (+31612345678), or None when it is not one."""
    compact = _PHONE_SEPARATORS.sub("", phone.strip())
    if compact.startswith("+31(0)") or compact.startswith("0031(0)"):
        compact = compact.replace("(0)", "")
    match = _PHONE_NL.match(compact)
    if match:
        return "+31" + match.group(1)
    match = _PHONE_INTL.match(compact)
    if match and not match.group(1).startswith("31"):
        return "+" + match.group(1)
    return None


def display_phone(phone: str) -> str:
    """How a Dutch reader writes a stored number: 06 12345678, 0118 123456."""
    if not phone.startswith("+31"):
        return phone
    national = "0" + phone[3:]
    if national.startswith("06"):
        return f"{national[:2]} {national[2:]}"
    # Area codes are three or four digits; the two big cities' and a few others are three.
    area = 3 if national[:3] in _THREE_DIGIT_AREAS else 4
    return f"{national[:area]} {national[area:]}"


_THREE_DIGIT_AREAS = {
    "010", "013", "015", "020", "023", "024", "026", "030", "033", "035", "036", "038",
    "040", "043", "045", "046", "050", "053", "055", "058", "070", "071", "072", "073",
    "074", "075", "076", "077", "078", "079",
}  # fmt: skip


def normalise_email(email: str) -> str | None:
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


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

    questions = load_questions(session, assembly)
    for question, options in questions:
        key = f"q_{question.id}"
        chosen = data.answers.get(question.id)  # type: ignore[arg-type]
        option = next((o for o in options if o.id == chosen), None)
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


# --- registering --------------------------------------------------------------------------


def personal_link(assembly: Assembly, token: str) -> str:
    # Built by hand rather than with url_for: imports and staff entries may run in a
    # background job, where there is no request to build a URL from.
    return f"{settings().base_url}/a/{assembly.slug}/aanmelding/{token}"


def household_limit(session: Session, invitation: Invitation) -> int:
    address = session.get(Address, invitation.address_id)
    if address is not None and address.adults:
        return address.adults
    return DEFAULT_HOUSEHOLD_LIMIT


def household_members(session: Session, invitation: Invitation) -> int:
    """People registered with this code who are still in the pool."""
    query = select(func.count()).where(
        Registration.invitation_id == invitation.id,
        Registration.withdrawn_at.is_(None),  # type: ignore[union-attr]
        Registration.purged_at.is_(None),  # type: ignore[union-attr]
    )
    return int(session.exec(query).one())


def has_room(session: Session, invitation: Invitation) -> bool:
    return household_members(session, invitation) < household_limit(session, invitation)


def _new_reference(session: Session) -> str:
    while True:
        reference = "".join(secrets.choice(codes.ALPHABET) for _ in range(REFERENCE_LENGTH))
        taken = session.exec(select(Registration.id).where(Registration.reference == reference))
        if taken.first() is None:
            return reference


def _apply(session: Session, registration: Registration, data: RegistrationData) -> list[str]:
    """Copy ``data`` onto the registration; returns the names of the fields that changed."""
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
                    registration_id=registration.id,  # type: ignore[arg-type]
                    question_id=question_id,
                    option_id=option_id,
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

    available = set(
        session.exec(
            select(RegistrationAvailability.session_date_id).where(
                RegistrationAvailability.registration_id == registration.id
            )
        )
    )
    if available != set(data.availability):
        for date_id in available - data.availability:
            session.execute(
                delete(RegistrationAvailability).where(
                    RegistrationAvailability.registration_id == registration.id,  # type: ignore[arg-type]
                    RegistrationAvailability.session_date_id == date_id,  # type: ignore[arg-type]
                )
            )
        for date_id in data.availability - available:
            session.add(
                RegistrationAvailability(
                    registration_id=registration.id,  # type: ignore[arg-type]
                    session_date_id=date_id,
                )
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
    channel: str,
    invitation: Invitation | None = None,
    actor: Actor,
) -> tuple[Registration, str]:
    """Add a person to the pool; returns the registration and its personal-link token.

    Only the token's SHA-256 is stored, so the returned token is the only copy: mail it or
    show it. A confirmation with the link is queued when an e-mail address is given.
    Raises :class:`RegistrationInvalid` or :class:`HouseholdFull`.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    errors = validate(session, assembly, data, staff=channel in ("staff", "import"))
    if errors:
        raise RegistrationInvalid(errors)
    if invitation is not None and not has_room(session, invitation):
        raise HouseholdFull()

    token = new_token()
    registration = Registration(
        assembly_id=assembly.id,  # type: ignore[arg-type]
        invitation_id=invitation.id if invitation else None,
        reference=_new_reference(session),
        household_key=f"inv:{invitation.id}" if invitation else f"own:{secrets.token_hex(12)}",
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
    language = "nl" if registration.channel in ("staff", "import") else current_language()
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
        Registration.purged_at.is_(None),  # type: ignore[union-attr]
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
    for table in (RegistrationAnswer, RegistrationAvailability):
        session.execute(delete(table).where(table.registration_id == registration.id))  # type: ignore[arg-type, attr-defined]
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


def personal_data(session: Session, registration: Registration) -> dict[str, Any]:
    """Everything we hold about this person, for their own export (AVG art. 15 and 20)."""
    assembly = session.get(Assembly, registration.assembly_id)
    assert assembly is not None
    questions = load_questions(session, assembly)
    chosen = answers_of(session, registration)
    answers = []
    for question, options in questions:
        option = next((o for o in options if o.id == chosen.get(question.id)), None)  # type: ignore[arg-type]
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
    address = None
    if registration.invitation_id is not None:
        invitation = session.get(Invitation, registration.invitation_id)
        found = session.get(Address, invitation.address_id) if invitation else None
        if found is not None and found.street:
            address = {
                "street": found.street,
                "house_number": found.house_number,
                "postcode": found.postcode,
                "city": found.city,
            }

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
        "address_from_invitation": address,
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


# --- codes and the rate limit ------------------------------------------------------------


# Wrong codes per network (someone guessing) and registrations without a code per network.
CODE_FAILURES = Limit(
    "code_failure",
    limit=lambda: settings().code_max_failures_per_ip,
    window=lambda: timedelta(minutes=settings().code_window_minutes),
)
OPEN_REGISTRATIONS = Limit(
    "open_registration",
    limit=lambda: settings().open_registrations_per_ip,
    window=lambda: timedelta(minutes=settings().code_window_minutes),
)


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
    invitation = recruitment_service.find_invitation(session, assembly, typed)
    if invitation is None:
        # Only failures are kept: successful rows count registrations without a code.
        record_attempt(session, ip, success=False)
        raise UnknownCode()
    return invitation


# --- the organiser's settings for the form -----------------------------------------------


class SettingsInvalid(RegistrationError):
    """``errors`` maps ``field`` or ``options-<row>-<field>`` to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid settings: " + ", ".join(sorted(errors)))
        self.errors = errors


class QuestionInUse(RegistrationError):
    """People answered this question (or one of its options), so it cannot go."""


@dataclass(frozen=True)
class OptionData:
    option_id: int | None
    value: str
    label: str
    label_en: str = ""
    share: str = ""  # as typed: "0.51", "0,51" or "51%"
    prefer_not: bool = False

    @property
    def empty(self) -> bool:
        return not (self.value or self.label or self.label_en or self.share)


@dataclass(frozen=True)
class QuestionData:
    question_id: int | None
    category: str
    question: str
    question_en: str = ""
    special_category: bool = False
    options: list[OptionData] = field(default_factory=list)


def _key(value: str) -> str:
    # The sortition engine matches values regardless of case and spaces, so must we.
    return " ".join(value.split()).casefold()


def answered_questions(session: Session, assembly: Assembly) -> dict[int, int]:
    """Per question id: how many registrations answered it."""
    query = (
        select(RegistrationAnswer.question_id, func.count())
        .join(CategoryQuestion, RegistrationAnswer.question_id == CategoryQuestion.id)  # type: ignore[arg-type]
        .where(CategoryQuestion.assembly_id == assembly.id)
        .group_by(RegistrationAnswer.question_id)
    )
    return {question_id: int(n) for question_id, n in session.execute(query)}


def _options_in_use(session: Session, option_ids: list[int]) -> set[int]:
    if not option_ids:
        return set()
    query = select(RegistrationAnswer.option_id).where(
        RegistrationAnswer.option_id.in_(option_ids)  # type: ignore[attr-defined]
    )
    used = set(session.exec(query.distinct()))
    # Anonymous counts kept after a purge still refer to their options.
    kept = select(PoolCountSnapshot.option_id).where(
        PoolCountSnapshot.option_id.in_(option_ids)  # type: ignore[attr-defined]
    )
    return used | set(session.exec(kept.distinct()))


def _check_question(
    session: Session, assembly: Assembly, data: QuestionData, existing: list[CategoryOption]
) -> tuple[dict[str, str], list[tuple[int, OptionData, float | None]]]:
    errors: dict[str, str] = {}
    others = session.exec(
        select(CategoryQuestion.category).where(
            CategoryQuestion.assembly_id == assembly.id,
            CategoryQuestion.id != (data.question_id or 0),
        )
    ).all()
    if _key(data.category) in {_key(c) for c in others}:
        errors["category"] = _("Another question already has this category name.")
    rows: list[tuple[int, OptionData, float | None]] = []
    seen: set[str] = set()
    prefer_not_seen = False
    known = {o.id for o in existing}
    for index, option in enumerate(data.options):
        if option.empty:
            continue
        prefix = f"options-{index}-"
        if option.option_id is not None and option.option_id not in known:
            errors[prefix + "value"] = _("This answer does not belong to this question.")
        if not option.value:
            errors[prefix + "value"] = _("Fill in the category value.")
        elif _key(option.value) in seen:
            errors[prefix + "value"] = _("This value occurs twice.")
        seen.add(_key(option.value))
        if not option.label:
            errors[prefix + "label"] = _("Fill in the answer as people read it.")
        if option.prefer_not:
            if prefer_not_seen:
                errors[prefix + "prefer_not"] = _("Only one answer can be “Zeg ik liever niet”.")
            prefer_not_seen = True
        share = None
        try:
            share = parse_share(option.share)
        except ShareInvalid as error:
            errors[prefix + "share"] = error.text()
        rows.append((index, option, share))
    if len(rows) < 2:
        errors["options"] = _("Give at least two answers.")
    try:
        check_category_total(data.category, (share for _i, _o, share in rows))
    except ServiceError as error:
        errors["options"] = error.text()
    kept = {o.option_id for _i, o, _s in rows if o.option_id is not None}
    removed = [o for o in existing if o.id not in kept]
    in_use = _options_in_use(session, [o.id for o in removed if o.id is not None])
    if in_use:
        labels = ", ".join(o.label for o in removed if o.id in in_use)
        errors["options"] = _(
            "These answers were already chosen by people who registered and cannot be "
            "removed: %(labels)s.",
            labels=labels,
        )
    return errors, rows


def save_question(
    session: Session, actor: Actor, assembly: Assembly, data: QuestionData
) -> CategoryQuestion:
    """Add a question or change one, with its options (in the order given; empty rows are
    skipped). Raises :class:`SettingsInvalid`."""
    if data.question_id is None:
        question = CategoryQuestion(assembly_id=assembly.id, category="", question="")  # type: ignore[arg-type]
        last = session.exec(
            select(func.max(CategoryQuestion.position)).where(
                CategoryQuestion.assembly_id == assembly.id
            )
        ).one()
        question.position = (last or 0) + 1
        existing: list[CategoryOption] = []
    else:
        found = session.get(CategoryQuestion, data.question_id)
        if found is None or found.assembly_id != assembly.id:
            raise SettingsInvalid({"category": _("This question no longer exists.")})
        question = found
        existing = list(
            session.exec(select(CategoryOption).where(CategoryOption.question_id == question.id))
        )
    errors, rows = _check_question(session, assembly, data, existing)
    if errors:
        raise SettingsInvalid(errors)

    question.category = " ".join(data.category.split())
    question.question = data.question
    question.question_en = data.question_en
    question.special_category = data.special_category
    session.add(question)
    session.flush()
    by_id = {o.id: o for o in existing}
    kept = {o.option_id for _i, o, _s in rows}
    for option in existing:
        if option.id not in kept:
            session.delete(option)
    # Values are unique per question: move the kept ones out of the way first, so that two
    # options can swap values in one save.
    new_values = {r.option_id: " ".join(r.value.split()) for _i, r, _s in rows}
    for option in existing:
        if option.id in kept and new_values[option.id] != option.value:
            option.value = f"(moving {option.id})"
            session.add(option)
    session.flush()
    for position, (_index, row, share) in enumerate(rows, start=1):
        option = by_id.get(row.option_id) if row.option_id is not None else None
        if option is None:
            option = CategoryOption(question_id=question.id, value="", label="")  # type: ignore[arg-type]
        option.position = position
        option.value = " ".join(row.value.split())
        option.label = row.label
        option.label_en = row.label_en
        option.prefer_not = row.prefer_not
        option.population_share = share
        session.add(option)
    session.flush()
    audit.record(
        session,
        actor,
        "registration.question_saved" if data.question_id else "registration.question_added",
        question,
        {
            "category": question.category,
            "special_category": question.special_category,
            "values": [" ".join(r.value.split()) for _i, r, _s in rows],
        },
        assembly=assembly,
    )
    return question


def delete_question(session: Session, actor: Actor, question: CategoryQuestion) -> None:
    """Raises :class:`QuestionInUse` when someone answered it."""
    answered = session.exec(
        select(RegistrationAnswer.registration_id).where(
            RegistrationAnswer.question_id == question.id
        )
    ).first()
    options = list(
        session.exec(select(CategoryOption).where(CategoryOption.question_id == question.id))
    )
    if answered is not None or _options_in_use(session, [o.id for o in options]):  # type: ignore[misc]
        raise QuestionInUse()
    for option in options:
        session.delete(option)
    session.flush()
    audit.record(
        session,
        actor,
        "registration.question_deleted",
        question,
        {"category": question.category},
        assembly=question.assembly_id,
    )
    session.delete(question)


def move_question(session: Session, actor: Actor, question: CategoryQuestion, step: int) -> None:
    """Swap the question with its neighbour above (``step`` -1) or below (+1)."""
    assembly = session.get(Assembly, question.assembly_id)
    assert assembly is not None
    ordered = [q for q, _o in load_questions(session, assembly)]
    index = next(i for i, q in enumerate(ordered) if q.id == question.id)
    other = index + step
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
        session.add(item)
    audit.record(
        session,
        actor,
        "registration.questions_reordered",
        assembly,
        {"order": [q.category for q in ordered]},
    )


@dataclass(frozen=True)
class SessionDateData:
    session_date_id: int | None
    label: str
    starts_at: datetime  # UTC
    location: str = ""


def combine_local(day: date, time_of_day: time) -> datetime:
    """A date and a time as entered (Dutch time), as UTC."""
    return from_local(datetime.combine(day, time_of_day))


def save_session_date(
    session: Session, actor: Actor, assembly: Assembly, data: SessionDateData
) -> SessionDate:
    if data.session_date_id is None:
        item = SessionDate(assembly_id=assembly.id, starts_at=data.starts_at)  # type: ignore[arg-type]
    else:
        found = session.get(SessionDate, data.session_date_id)
        if found is None or found.assembly_id != assembly.id:
            raise SettingsInvalid({"label": "unknown session"})
        item = found
    item.label = data.label
    item.starts_at = data.starts_at
    item.location = data.location
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        "registration.session_saved" if data.session_date_id else "registration.session_added",
        item,
        {
            "label": item.label,
            "starts_at": as_utc(item.starts_at).isoformat(),
            "location": item.location,
        },
        assembly=assembly,
    )
    return item


def delete_session_date(session: Session, actor: Actor, item: SessionDate) -> None:
    """Also removes what registrants said about coming to it (the count is logged)."""
    removed = session.execute(
        delete(RegistrationAvailability).where(
            RegistrationAvailability.session_date_id == item.id  # type: ignore[arg-type]
        )
    ).rowcount  # type: ignore[attr-defined]
    audit.record(
        session,
        actor,
        "registration.session_deleted",
        item,
        {"label": item.label, "availability_removed": removed},
        assembly=item.assembly_id,
    )
    session.delete(item)


def availability_counts(session: Session, assembly: Assembly) -> dict[int, int]:
    query = (
        select(RegistrationAvailability.session_date_id, func.count())
        .join(SessionDate, RegistrationAvailability.session_date_id == SessionDate.id)  # type: ignore[arg-type]
        .join(Registration, RegistrationAvailability.registration_id == Registration.id)  # type: ignore[arg-type]
        .where(SessionDate.assembly_id == assembly.id, Registration.withdrawn_at.is_(None))  # type: ignore[union-attr]
        .group_by(RegistrationAvailability.session_date_id)
    )
    return {date_id: int(n) for date_id, n in session.execute(query)}


@dataclass(frozen=True)
class SettingsData:
    open_registration: bool
    registration_closes_at: datetime | None  # UTC
    organiser_contact: str
    retention_months: int


def update_settings(session: Session, actor: Actor, assembly: Assembly, data: SettingsData) -> None:
    changes: dict[str, Any] = {}
    for name in ("open_registration", "registration_closes_at", "organiser_contact",
                 "retention_months"):  # fmt: skip
        old, new = getattr(assembly, name), getattr(data, name)
        if isinstance(old, datetime) and isinstance(new, datetime):
            same = as_utc(old) == as_utc(new)
        else:
            same = old == new
        if not same:
            setattr(assembly, name, new)
            changes[name] = new.isoformat() if isinstance(new, datetime) else new
    if changes:
        assembly.updated_at = utcnow()
        session.add(assembly)
        audit.record(session, actor, "registration.settings", assembly, changes)
