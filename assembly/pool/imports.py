"""Importing registrations from a CSV file: people who registered on paper.

Every row is checked as the registration page checks a form (and then some: a letter's
code must exist and have room in its household, and a person may occur once); nothing is
saved while any row is wrong, unless the organiser chose to import only the valid rows.
Each person is then registered through :mod:`assembly.registration.registrations`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from .. import audit
from ..audit import Actor
from ..models import Assembly, Channel, Invitation, SessionDate
from ..questionnaire.questions import Questions, load_questions
from ..questionnaire.session_dates import load_session_dates
from ..recruitment.codes import find_invitation
from ..registration import registrations
from ..registration.contact import normalise_email, normalise_phone
from ..registration.household import household_limit, household_members
from ..tabular import ImportRejected, ImportReport, RowError, Table, TableRow, TableUnreadable
from ..timeutil import local_time

MAX_IMPORT_ROWS = 20_000
# Column names as people write them (any case; spaces, hyphens and underscores alike).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "naam", "volledige_naam"),
    "email": ("email", "e_mail", "emailadres", "e_mailadres", "mail"),
    "phone": ("phone", "telefoon", "telefoonnummer", "mobiel", "tel"),
    "code": ("code", "aanmeldcode", "registration_code", "brief_code", "lettercode"),
    "availability": ("availability", "beschikbaarheid", "beschikbaar"),
    "accessibility_needs": ("accessibility_needs", "toegankelijkheid", "hulp", "accessibility"),
    "dietary_needs": ("dietary_needs", "dieet", "dieetwensen", "diet"),
}
MAX_LENGTH = {"name": 200, "email": 254, "phone": 40}
ALL_SESSIONS = {"alle", "all", "allemaal", "*"}
SESSION_SEPARATORS = re.compile(r"[|,;/+]")

# The reasons of this import's row errors, as the import page words them (the form's own
# checks give their message as the reason).
REASONS = {
    "contact": _l("Neither an e-mail address nor a phone number."),
    "email": _l("Not a valid e-mail address."),
    "phone": _l("Not a valid phone number."),
    "value": _l("Not one of the values or answers of this category."),
    "availability": _l("Not a session: use its number, its date or its name."),
    "code": _l("No letter of this assembly has this code."),
    "household_full": _l("As many people have registered with this code as live at the address."),
    "duplicate": _l("This person already occurs higher up in the file."),
    "too_many": _l("Too many rows: import at most 20,000 at a time."),
}


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _answer_column(question_id: int | None) -> str:
    # The registration form's name for the answer, so its messages find their column.
    return f"q_{question_id}"


def _session_names(dates: Sequence[SessionDate]) -> dict[str, int]:
    """Ways to name a session in a cell: its number, date (ISO or Dutch) or label."""
    names: dict[str, int] = {}
    for number, item in enumerate(dates, start=1):
        assert item.id is not None
        day: date = local_time(item.starts_at).date()
        for name in (
            str(number),
            day.isoformat(),
            day.strftime("%d-%m-%Y"),
            f"{day.day}-{day.month}-{day.year}",
            item.label,
        ):
            if name:
                names.setdefault(_norm(name), item.id)
    return names


class _RowChecker:
    """Checks rows one by one, remembering what earlier rows of the file took."""

    def __init__(self, session: Session, assembly: Assembly) -> None:
        self.session = session
        self.assembly = assembly
        self.questions: Questions = load_questions(session, assembly)
        dates = load_session_dates(session, assembly)
        self.sessions = _session_names(dates)
        self.all_sessions = frozenset(d.id for d in dates if d.id is not None)
        self.seen: set[tuple[str, str, str]] = set()
        self.household_taken: dict[int, int] = defaultdict(int)  # invitation id -> rows

    def table(self, stream: IO[bytes]) -> Table:
        columns = {
            **COLUMNS,
            **{_answer_column(q.id): (q.category,) for q, _options in self.questions},
        }
        required = ["name", *(_answer_column(q.id) for q, _options in self.questions)]
        return Table(stream, columns=columns, required=required)

    def missing(self, table: Table | None) -> list[str]:
        """The required columns the file lacks, as the page names them (all, when empty)."""
        named = {_answer_column(q.id): q.category for q, _options in self.questions}
        required = ["name", *named]
        absent = required if table is None else table.missing
        return [named.get(name, name) for name in absent]

    def check(
        self, row: TableRow
    ) -> tuple[registrations.RegistrationData | None, Invitation | None, list[RowError]]:
        """The row as registration data, with its letter; or what is wrong with it."""
        if not row.complete:
            return None, None, [RowError(row.number, "", "columns")]
        values = {name: row.get(name) for name in COLUMNS}
        errors = self._contact_errors(row, values)
        answers = self._answers(row, errors)
        availability = self._availability(row, values["availability"], errors)
        if errors:
            return None, None, errors
        data = registrations.RegistrationData(
            name=values["name"],
            email=values["email"],
            phone=values["phone"],
            answers=answers,
            availability=availability,
            accessibility_needs=values["accessibility_needs"],
            dietary_needs=values["dietary_needs"],
            consent_privacy=True,
            consent_special=True,
        )
        invitation = self._household(row, values["code"], errors)
        person = (
            _norm(data.name),
            (normalise_email(data.email) or "").casefold(),
            normalise_phone(data.phone) or "",
        )
        if person in self.seen:
            errors.append(RowError(row.number, "", "duplicate"))
        self.seen.add(person)
        if not errors:
            # Whatever else the registration form demands is checked the same way.
            checked = registrations.validate(self.session, self.assembly, data)
            for name, message in checked.items():
                errors.append(RowError(row.number, row.table.column_title(name), message))
        return (None, None, errors) if errors else (data, invitation, [])

    def _contact_errors(self, row: TableRow, values: dict[str, str]) -> list[RowError]:
        errors = []
        if not values["name"]:
            errors.append(row.error("name", "empty"))
        for name, limit in MAX_LENGTH.items():
            if len(values[name]) > limit:
                errors.append(row.error(name, "too_long"))
        if not values["email"] and not values["phone"]:
            errors.append(RowError(row.number, "", "contact"))
        if values["email"] and normalise_email(values["email"]) is None:
            errors.append(row.error("email", "email"))
        if values["phone"] and normalise_phone(values["phone"]) is None:
            errors.append(row.error("phone", "phone"))
        return errors

    def _answers(self, row: TableRow, errors: list[RowError]) -> dict[int, int]:
        answers: dict[int, int] = {}
        for question, options in self.questions:
            assert question.id is not None
            column = _answer_column(question.id)
            typed = _norm(row.get(column))
            chosen = next(
                (o for o in options
                 if typed and typed in {_norm(o.value), _norm(o.label), _norm(o.label_en)}),
                None,
            )  # fmt: skip
            if chosen is None or chosen.id is None:
                errors.append(row.error(column, "value" if typed else "empty"))
            else:
                answers[question.id] = chosen.id
        return answers

    def _availability(self, row: TableRow, cell: str, errors: list[RowError]) -> frozenset[int]:
        available: set[int] = set()
        for part in SESSION_SEPARATORS.split(cell) if cell else ():
            part = _norm(part)
            if not part:
                continue
            if part in ALL_SESSIONS:
                available |= self.all_sessions
            elif part in self.sessions:
                available.add(self.sessions[part])
            else:
                errors.append(row.error("availability", "availability"))
                break
        return frozenset(available)

    def _household(self, row: TableRow, code: str, errors: list[RowError]) -> Invitation | None:
        """The letter of ``code``, while its household has room (counting earlier rows)."""
        if not code:
            return None
        invitation = find_invitation(self.session, self.assembly, code)
        if invitation is None or invitation.id is None:
            errors.append(row.error("code", "code"))
            return None
        taken = household_members(self.session, invitation) + self.household_taken[invitation.id]
        if taken >= household_limit(self.session, invitation):
            errors.append(row.error("code", "household_full"))
        else:
            self.household_taken[invitation.id] += 1
        return invitation


def import_registrations(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    stream: IO[bytes],
    *,
    consent: bool,
    only_valid: bool = False,
) -> ImportReport:
    """Add the people in the CSV to the pool (channel "import"), each through registration.

    Every row is checked first, with the registration form's own validation; when any row
    is wrong and the organiser did not choose ``only_valid``, :class:`ImportRejected` is
    raised before anything is written. ``consent``: the organiser confirms that these
    people consented on the paper form (to the privacy statement and, where they answered
    it, to the special-category question).
    """
    if not consent:
        raise ValueError("consent on the paper form must be confirmed")
    checker = _RowChecker(session, assembly)
    report = ImportReport()
    valid: list[tuple[registrations.RegistrationData, Invitation | None]] = []
    try:
        table = checker.table(stream)
    except TableUnreadable as error:
        if error.error.reason != "empty":
            report.unreadable(error)
            raise ImportRejected(report) from None
        report.missing(checker.missing(None))
        raise ImportRejected(report) from None
    report.delimiter = table.delimiter
    if table.missing:
        report.missing(checker.missing(table))
        raise ImportRejected(report)
    try:
        for row in table.rows():
            report.rows += 1
            if report.rows > MAX_IMPORT_ROWS:
                report.invalid([RowError(row.number, "", "too_many")])
                raise ImportRejected(report)
            data, invitation, errors = checker.check(row)
            if data is None:
                report.invalid(errors)
            else:
                valid.append((data, invitation))
    except TableUnreadable as error:
        report.unreadable(error)
        raise ImportRejected(report) from None

    if report.invalid_rows and not only_valid:
        raise ImportRejected(report)
    for data, invitation in valid:
        registrations.register(
            session, assembly, data, channel=Channel.IMPORT, invitation=invitation, actor=actor
        )
        report.imported += 1
    audit.record(
        session,
        actor,
        "pool.import",
        assembly,
        {"rows": report.rows, "imported": report.imported, "skipped_invalid": report.invalid_rows},
    )
    report.saved = True
    return report
