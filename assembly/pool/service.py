"""The respondent pool: listing, composition, response rates, staff changes, CSV in and out.

Views call these with the request's session; nothing here commits. Registering, correcting
and withdrawing go through :mod:`assembly.registration.service`, so staff entries are
validated exactly like the public form.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import ColumnElement, case, func, or_
from sqlmodel import Session, select

from .. import audit
from ..audit import Actor
from ..models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Invitation,
    InvitationBatch,
    PoolCountSnapshot,
    Registration,
    RegistrationAnswer,
    SessionDate,
)
from ..questionnaire.questions import Questions, load_questions
from ..questionnaire.session_dates import load_session_dates
from ..recruitment import service as recruitment
from ..recruitment.service import ImportReport, RowError
from ..registration import service as registrations
from ..timeutil import local_time, utcnow
from .eligibility import eligible_pool

PAGE_SIZE = 50
CHANNELS = ("letter", "open", "staff", "import")
STATUSES = ("active", "withdrawn", "purged")
SORTS = ("newest", "oldest")
MAX_IMPORT_ROWS = 20_000



class PoolError(Exception):
    pass


class ImportRejected(PoolError):
    """The file has errors and the organiser did not choose to import only the valid rows."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("rows with errors")
        self.report = report


def find(session: Session, assembly: Assembly, reference: str) -> Registration | None:
    query = select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.reference == reference
    )
    return session.exec(query).first()


def status_of(registration: Registration) -> str:
    if registration.purged_at is not None:
        return "purged"
    if registration.withdrawn_at is not None:
        return "withdrawn"
    return "active"


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolQuery:
    """What the organiser asked the table for (all parts optional)."""

    search: str = ""
    options: tuple[int, ...] = ()  # CategoryOption ids; a person must have every one
    channel: str = ""
    status: str = ""
    sort: str = "newest"
    page: int = 1


@dataclass
class PoolRow:
    registration: Registration
    answers: dict[int, CategoryOption]  # question id -> the chosen option
    household_size: int

    @property
    def status(self) -> str:
        return status_of(self.registration)


@dataclass
class PoolPage:
    rows: list[PoolRow]
    total: int
    page: int
    pages: int


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0031"):
        digits = "0" + digits[4:]
    elif digits.startswith("31") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def _stored_phone_digits() -> ColumnElement[str]:
    # Staff type 0612345678, +31 6 1234 5678 or 06-12345678 for the same number.
    expression: Any = Registration.phone
    for sign in ("-", " ", "(", ")", "."):
        expression = func.replace(expression, sign, "")
    return func.replace(expression, "+31", "0")


def _conditions(assembly: Assembly, query: PoolQuery, *, personal: bool) -> list[Any]:
    conditions: list[Any] = [Registration.assembly_id == assembly.id]
    term = query.search.strip()
    if term:
        matches = [Registration.reference.icontains(term, autoescape=True)]  # type: ignore[attr-defined]
        if personal:
            matches += [
                Registration.name.icontains(term, autoescape=True),  # type: ignore[attr-defined]
                Registration.email.icontains(term, autoescape=True),  # type: ignore[attr-defined]
            ]
            digits = _phone_digits(term)
            if len(digits) >= 4:
                matches.append(_stored_phone_digits().contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    for option_id in query.options:
        # IN (subquery) rather than a correlated EXISTS: SQLite then reads the option's
        # answers once instead of once per registration.
        chosen = select(RegistrationAnswer.registration_id).where(
            RegistrationAnswer.option_id == option_id
        )
        conditions.append(Registration.id.in_(chosen))  # type: ignore[union-attr]
    if query.channel in CHANNELS:
        conditions.append(Registration.channel == query.channel)
    if query.status == "active":
        conditions += [Registration.withdrawn_at.is_(None), Registration.purged_at.is_(None)]  # type: ignore[union-attr]
    elif query.status == "withdrawn":
        conditions += [Registration.withdrawn_at.is_not(None), Registration.purged_at.is_(None)]  # type: ignore[union-attr]
    elif query.status == "purged":
        conditions.append(Registration.purged_at.is_not(None))  # type: ignore[union-attr]
    return conditions


def pool_page(
    session: Session, assembly: Assembly, query: PoolQuery, *, personal: bool = True
) -> PoolPage:
    """One page of the pool, with answers and household sizes in two extra queries.

    ``personal`` False searches only references (for observers, who see no names).
    """
    conditions = _conditions(assembly, query, personal=personal)
    total = session.exec(select(func.count()).select_from(Registration).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, query.page), pages)
    newest_first = query.sort != "oldest"
    order = (
        (Registration.created_at.desc(), Registration.id.desc())  # type: ignore[attr-defined,union-attr]
        if newest_first
        else (Registration.created_at.asc(), Registration.id.asc())  # type: ignore[attr-defined,union-attr]
    )
    registrations = list(
        session.exec(
            select(Registration)
            .where(*conditions)
            .order_by(*order)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    ids = [r.id for r in registrations]
    answers: dict[int, dict[int, CategoryOption]] = defaultdict(dict)
    if ids:
        rows = session.exec(
            select(
                RegistrationAnswer.registration_id, RegistrationAnswer.question_id, CategoryOption
            )
            .join(CategoryOption, RegistrationAnswer.option_id == CategoryOption.id)  # type: ignore[arg-type]
            .where(RegistrationAnswer.registration_id.in_(ids))  # type: ignore[attr-defined]
        )
        for registration_id, question_id, option in rows:
            answers[registration_id][question_id] = option
    sizes = household_sizes(session, assembly, {r.household_key for r in registrations})
    return PoolPage(
        rows=[
            PoolRow(r, answers.get(r.id, {}), sizes.get(r.household_key, 0))  # type: ignore[arg-type]
            for r in registrations
        ],
        total=total,
        page=page,
        pages=pages,
    )


def household_sizes(session: Session, assembly: Assembly, keys: set[str]) -> dict[str, int]:
    """People in the pool (not withdrawn) per household key."""
    if not keys:
        return {}
    query = (
        select(Registration.household_key, func.count())
        .where(
            Registration.assembly_id == assembly.id,
            Registration.household_key.in_(sorted(keys)),  # type: ignore[attr-defined]
            Registration.withdrawn_at.is_(None),  # type: ignore[union-attr]
        )
        .group_by(Registration.household_key)
    )
    return {key: n for key, n in session.exec(query)}


def household_members(session: Session, registration: Registration) -> list[Registration]:
    """Everyone else registered in the same household (with the same letter)."""
    query = (
        select(Registration)
        .where(
            Registration.assembly_id == registration.assembly_id,
            Registration.household_key == registration.household_key,
            Registration.id != registration.id,
        )
        .order_by(Registration.created_at)  # type: ignore[arg-type]
    )
    return list(session.exec(query))


def counts(session: Session, assembly: Assembly) -> dict[str, int]:
    """How many people per status, for the summaries above the table and the composition.

    ``pool`` is everyone who did not withdraw, also those whose data was purged after the
    draw (the composition counts them from the snapshot); ``households`` are theirs.
    """
    total, withdrawn, purged, households = session.exec(
        select(
            func.count(),
            func.count(Registration.withdrawn_at),
            func.count(Registration.purged_at),
            func.count(
                func.distinct(
                    case((Registration.withdrawn_at.is_(None), Registration.household_key))  # type: ignore[union-attr]
                )
            ),
        ).where(Registration.assembly_id == assembly.id)
    ).one()
    # Erased on request counts as both withdrawn and purged.
    both = session.exec(
        select(func.count()).where(
            Registration.assembly_id == assembly.id,
            Registration.purged_at.is_not(None),  # type: ignore[union-attr]
            Registration.withdrawn_at.is_not(None),  # type: ignore[union-attr]
        )
    ).one()
    return {
        "total": total,
        "active": total - withdrawn - purged + both,
        "withdrawn": withdrawn - both,
        "purged": purged,
        "pool": total - withdrawn,
        "households": households,
    }


# --- composition and response ------------------------------------------------------------


@dataclass
class ValueCount:
    option: CategoryOption
    count: int
    share: float | None  # of everyone in the pool who answered the question
    target: float | None  # the population share

    @property
    def difference(self) -> float | None:
        if self.share is None or self.target is None:
            return None
        return self.share - self.target


@dataclass
class CategoryCount:
    question: CategoryQuestion
    values: list[ValueCount]
    total: int


def composition(session: Session, assembly: Assembly) -> list[CategoryCount]:
    """Per category value: people in the pool, their share and the population's share.

    The pool is everyone not withdrawn; people whose data was purged are counted from the
    anonymous counts kept at the purge.
    """
    live = session.exec(
        select(RegistrationAnswer.option_id, func.count())
        .join(Registration, RegistrationAnswer.registration_id == Registration.id)  # type: ignore[arg-type]
        .where(
            Registration.assembly_id == assembly.id,
            Registration.withdrawn_at.is_(None),  # type: ignore[union-attr]
            Registration.purged_at.is_(None),  # type: ignore[union-attr]
        )
        .group_by(RegistrationAnswer.option_id)
    )
    per_option: dict[int, int] = defaultdict(int)
    for option_id, n in live:
        per_option[option_id] += n
    snapshot = session.exec(
        select(PoolCountSnapshot.option_id, PoolCountSnapshot.people).where(
            PoolCountSnapshot.assembly_id == assembly.id
        )
    )
    for option_id, n in snapshot:
        per_option[option_id] += n
    result = []
    for question, options in load_questions(session, assembly):
        total = sum(per_option.get(o.id, 0) for o in options)  # type: ignore[arg-type]
        values = [
            ValueCount(
                option=o,
                count=per_option.get(o.id, 0),  # type: ignore[arg-type]
                share=per_option.get(o.id, 0) / total if total else None,  # type: ignore[arg-type]
                target=None if o.prefer_not else o.population_share,
            )
            for o in options
        ]
        result.append(CategoryCount(question, values, total))
    return result


@dataclass
class StratumResponse:
    name: str
    letters: int = 0
    households: int = 0  # letters with at least one registration
    people: int = 0

    @property
    def rate(self) -> float | None:
        return self.households / self.letters if self.letters else None


@dataclass
class BatchResponse:
    batch: InvitationBatch
    strata: list[StratumResponse]
    total: StratumResponse


def response_rates(session: Session, assembly: Assembly) -> list[BatchResponse]:
    """Per letter batch and per stratum of its lottery: letters, households, people.

    Everyone who registered counts, also those who withdrew later or whose data was
    purged (the link to the letter stays; the address list keeps municipality and
    district after its purge).
    """
    result = []
    for batch in recruitment.batches(session, assembly):
        column = Address.district if batch.strata_kind == "district" else Address.municipality
        strata: dict[str, StratumResponse] = {}
        letters = session.exec(
            select(column, func.count())
            .select_from(Invitation)
            .join(Address, Invitation.address_id == Address.id)  # type: ignore[arg-type]
            .where(Invitation.batch_id == batch.id)
            .group_by(column)
        )
        for name, n in letters:
            strata[name] = StratumResponse(name, letters=n)
        registered = session.exec(
            select(
                column,
                func.count(func.distinct(Registration.invitation_id)),
                func.count(Registration.id),
            )
            .select_from(Registration)
            .join(Invitation, Registration.invitation_id == Invitation.id)  # type: ignore[arg-type]
            .join(Address, Invitation.address_id == Address.id)  # type: ignore[arg-type]
            .where(Invitation.batch_id == batch.id, Registration.assembly_id == assembly.id)
            .group_by(column)
        )
        for name, households, people in registered:
            stratum = strata.setdefault(name, StratumResponse(name))
            stratum.households, stratum.people = households, people
        rows = [strata[name] for name in sorted(strata)]
        total = StratumResponse(
            "",
            letters=sum(s.letters for s in rows),
            households=sum(s.households for s in rows),
            people=sum(s.people for s in rows),
        )
        result.append(BatchResponse(batch, rows, total))
    return result


def other_channels(session: Session, assembly: Assembly) -> dict[str, int]:
    """People who registered without a letter, per channel."""
    query = (
        select(Registration.channel, func.count())
        .where(Registration.assembly_id == assembly.id, Registration.invitation_id.is_(None))  # type: ignore[union-attr]
        .group_by(Registration.channel)
    )
    return {channel: n for channel, n in session.exec(query)}


# --- changes by staff ----------------------------------------------------------------------


def reactivate(session: Session, registration: Registration, *, actor: Actor) -> None:
    """Undo a withdrawal (the person changed their mind, or it was a mistake)."""
    if registration.purged_at is not None:
        raise registrations.RegistrationGone()
    if registration.withdrawn_at is None:
        return
    registration.withdrawn_at = None
    registration.updated_at = utcnow()
    session.add(registration)
    audit.record(session, actor, "registration.reactivate", registration, {"by": "staff"})


# --- the sortition export ------------------------------------------------------------------


@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]
    skipped: int = 0  # eligible people without an answer to some question (and no fallback)


def export_people(session: Session, assembly: Assembly) -> Export:
    """The people file of the sortition engine: ``id``, one column per category, ``household``.

    Only people who consented and are in the pool (not withdrawn, not purged). A missing
    answer (for example a special-category question without its consent) becomes the
    question's "prefer not to say" value; without one the person is left out and counted.
    """
    qs = load_questions(session, assembly)
    header = ["id", *(q.category for q, _ in qs), "household"]
    values = {o.id: o.value for _q, options in qs for o in options}
    pool = eligible_pool(session, assembly)
    rows = [
        [person.reference, *(values[o] for o in person.option_ids), person.household_key]
        for person in pool.people
    ]
    return Export(header, rows, skipped=pool.incomplete)


def record_export(session: Session, actor: Actor, assembly: Assembly, export: Export) -> None:
    payload = {"rows": len(export.rows), "skipped": export.skipped}
    audit.record(session, actor, "pool.export", assembly, payload)


def export_csv(export: Export) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.header)
    writer.writerows(export.rows)
    return out.getvalue()


# --- the CSV import ------------------------------------------------------------------------

IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "naam", "volledige_naam"),
    "email": ("email", "e_mail", "emailadres", "e_mailadres", "mail"),
    "phone": ("phone", "telefoon", "telefoonnummer", "telefoon_nummer", "mobiel", "tel"),
    "code": ("code", "aanmeldcode", "registration_code", "brief_code", "lettercode"),
    "availability": ("availability", "beschikbaarheid", "beschikbaar"),
    "accessibility_needs": ("accessibility_needs", "toegankelijkheid", "hulp", "accessibility"),
    "dietary_needs": ("dietary_needs", "dieet", "dieetwensen", "diet"),
}
MAX_LENGTH = {"name": 200, "email": 254, "phone": 40}
ALL_SESSIONS = {"alle", "all", "allemaal", "*"}


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


@dataclass
class _Columns:
    header: list[str]
    fixed: dict[str, int] = field(default_factory=dict)
    categories: dict[int, int] = field(default_factory=dict)  # question id -> column


def _import_header(header: list[str], qs: Questions) -> tuple[_Columns, list[str]]:
    aliases = {alias: name for name, names in IMPORT_COLUMNS.items() for alias in names}
    by_category = {_key(q.category): q.id for q, _ in qs}
    columns = _Columns(header)
    for index, title in enumerate(header):
        key = _key(title)
        if key in aliases and aliases[key] not in columns.fixed:
            columns.fixed[aliases[key]] = index
        elif key in by_category and by_category[key] not in columns.categories:
            columns.categories[by_category[key]] = index  # type: ignore[index]
    missing = [] if "name" in columns.fixed else ["name"]
    missing += [q.category for q, _ in qs if q.id not in columns.categories]
    return columns, missing


def _session_matcher(dates: Sequence[SessionDate]) -> dict[str, int]:
    """Ways to name a session in a cell: its number, date (ISO or Dutch) or label."""
    names: dict[str, int] = {}
    for number, item in enumerate(dates, start=1):
        day: date = local_time(item.starts_at).date()
        for name in (
            str(number),
            day.isoformat(),
            day.strftime("%d-%m-%Y"),
            f"{day.day}-{day.month}-{day.year}",
            item.label,
        ):
            if name:
                names.setdefault(_norm(name), item.id)  # type: ignore[arg-type]
    return names


@dataclass
class _Row:
    line: int
    data: registrations.RegistrationData
    invitation: Invitation | None
    errors: list[RowError]


def _read_row(
    line: int,
    cells: list[str],
    columns: _Columns,
    qs: Questions,
    sessions: dict[str, int],
    all_sessions: frozenset[int],
) -> tuple[dict[str, Any], list[RowError]]:
    header = columns.header
    errors: list[RowError] = []
    if len(cells) != len(header):
        return {}, [RowError(line, "", "columns")]

    def cell(name: str) -> str:
        index = columns.fixed.get(name)
        return cells[index].strip() if index is not None else ""

    def fail(name: str, reason: str) -> None:
        errors.append(RowError(line, header[columns.fixed[name]].strip(), reason))

    values = {name: cell(name) for name in IMPORT_COLUMNS}
    if not values["name"]:
        fail("name", "empty")
    for name, limit in MAX_LENGTH.items():
        if len(values[name]) > limit:
            fail(name, "too_long")
    if not values["email"] and not values["phone"]:
        errors.append(RowError(line, "", "contact"))
    if values["email"] and registrations.normalise_email(values["email"]) is None:
        fail("email", "email")
    if values["phone"] and registrations.normalise_phone(values["phone"]) is None:
        fail("phone", "phone")
    answers: dict[int, int] = {}
    for question, options in qs:
        index = columns.categories[question.id]  # type: ignore[index]
        typed = _norm(cells[index])
        chosen = next(
            (
                o
                for o in options
                if typed and typed in {_norm(o.value), _norm(o.label), _norm(o.label_en)}
            ),
            None,
        )
        if chosen is None:
            reason = "empty" if not typed else "value"
            errors.append(RowError(line, header[index].strip(), reason))
        else:
            answers[question.id] = chosen.id  # type: ignore[index,assignment]
    availability: set[int] = set()
    if values["availability"]:
        for part in re.split(r"[|,;/+]", values["availability"]):
            part = _norm(part)
            if not part:
                continue
            if part in ALL_SESSIONS:
                availability |= all_sessions
            elif part in sessions:
                availability.add(sessions[part])
            else:
                fail("availability", "availability")
                break
    values["answers"] = answers
    values["availability"] = frozenset(availability)
    return values, errors


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
    lines = recruitment._text_stream(stream)  # noqa: SLF001 - the same upload handling
    valid: list[_Row] = []
    try:
        first = next(iter(lines), "")
        report.delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(itertools.chain([first], lines), delimiter=report.delimiter)
        header = next(reader, [])
        columns, missing = _import_header(header, checker.questions)
        if not header or missing:
            report.invalid_rows = 1
            for name in missing or ["name"]:
                report.add(RowError(1, name, "missing_column"))
            raise ImportRejected(report)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often at the end of an export
            report.rows += 1
            if report.rows > MAX_IMPORT_ROWS:
                report.invalid_rows += 1
                report.add(RowError(reader.line_num, "", "too_many"))
                raise ImportRejected(report)
            row = checker.check(reader.line_num, cells, columns)
            if row.errors:
                report.invalid_rows += 1
                for error in row.errors:
                    report.add(error)
            else:
                valid.append(row)
    except (UnicodeDecodeError, csv.Error):
        report.invalid_rows += 1
        report.add(RowError(report.rows + 2, "", "encoding"))
        raise ImportRejected(report) from None
    finally:
        lines.detach()  # type: ignore[attr-defined] - leave the upload open for its owner

    if report.invalid_rows and not only_valid:
        raise ImportRejected(report)
    for row in valid:
        registrations.register(
            session, assembly, row.data, channel="import", invitation=row.invitation, actor=actor
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


class _RowChecker:
    """Checks rows one by one, remembering what earlier rows of the file took."""

    def __init__(self, session: Session, assembly: Assembly) -> None:
        self.session = session
        self.assembly = assembly
        self.questions = load_questions(session, assembly)
        dates = load_session_dates(session, assembly)
        self.sessions = _session_matcher(dates)
        self.all_sessions = frozenset(d.id for d in dates if d.id is not None)
        self.seen: set[tuple[str, str, str]] = set()
        self.household_taken: dict[int, int] = defaultdict(int)  # invitation id -> rows

    def check(self, line: int, cells: list[str], columns: _Columns) -> _Row:
        values, errors = _read_row(
            line, cells, columns, self.questions, self.sessions, self.all_sessions
        )
        data = registrations.RegistrationData(
            name=values.get("name", ""),
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            answers=values.get("answers", {}),
            availability=values.get("availability", frozenset()),
            accessibility_needs=values.get("accessibility_needs", ""),
            dietary_needs=values.get("dietary_needs", ""),
            consent_privacy=True,
            consent_special=True,
        )
        row = _Row(line, data, None, errors)
        if errors:
            return row
        header = columns.header

        def column_of(name: str) -> str:
            if name.startswith("q_") and name[2:].isdigit():
                index = columns.categories.get(int(name[2:]))
            else:
                index = columns.fixed.get(name)
            return header[index].strip() if index is not None else ""

        if values["code"]:
            code = values["code"]
            row.invitation = recruitment.find_invitation(self.session, self.assembly, code)
            if row.invitation is None:
                errors.append(RowError(line, column_of("code"), "code"))
            else:
                invitation_id = row.invitation.id
                assert invitation_id is not None
                taken = registrations.household_members(self.session, row.invitation)
                limit = registrations.household_limit(self.session, row.invitation)
                if taken + self.household_taken[invitation_id] >= limit:
                    errors.append(RowError(line, column_of("code"), "household_full"))
                else:
                    self.household_taken[invitation_id] += 1
        person = (_norm(data.name), data.email.strip().casefold(), _phone_digits(data.phone))
        if person in self.seen:
            errors.append(RowError(line, "", "duplicate"))
        self.seen.add(person)
        if not errors:
            # Whatever else the registration form demands is checked the same way.
            for name, message in registrations.validate(self.session, self.assembly, data).items():
                errors.append(RowError(line, column_of(name), message))
        return row
