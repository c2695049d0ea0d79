"""Importing the address list, the invitation lottery and the mail-merge export.

Views call these with the request's session; nothing here commits. Errors are typed so the
view can say what went wrong in the organiser's language.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import heapq
import io
import itertools
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Select, case, delete, func, insert
from sqlmodel import Session, select

from .. import audit
from ..audit import Actor
from ..models import Address, Assembly, Invitation, InvitationBatch
from . import codes

BATCH_SIZE = 5000
MAX_REPORTED_ERRORS = 200

# Column names as registries spell them (compared lower-case, spaces and hyphens as "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("address_id", "adres_id", "adresid", "id"),
    "street": ("street", "straat", "straatnaam"),
    "house_number": ("house_number", "huisnummer"),
    "postcode": ("postcode", "postal_code", "zip"),
    "city": ("city", "woonplaats", "plaats"),
    "municipality": ("municipality", "gemeente"),
    "district": ("district", "wijk"),
    "adults": ("residents_16plus", "bewoners_16plus", "aantal_16plus", "adults"),
}
REQUIRED = ("external_id", "street", "house_number", "postcode", "city", "municipality")
MAX_LENGTH = {
    "external_id": 64,
    "street": 200,
    "house_number": 20,
    "city": 100,
    "municipality": 100,
    "district": 100,
}
POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z0-9]{1,6}){0,2}$")

STRATA_KINDS = ("municipality", "district")
# What is kept of a row of the registry extract, in this order.
ROW_COLUMNS = (
    "external_id",
    "street",
    "house_number",
    "postcode",
    "city",
    "municipality",
    "district",
    "adults",
)
Row = tuple[str, str, str, str, str, str, str, int | None]


class RecruitmentError(Exception):
    pass


class ListInUse(RecruitmentError):
    """Letters were already drawn from the current list; it can no longer be replaced."""


class ImportRejected(RecruitmentError):
    """The file has errors and the organiser did not choose to import only the valid rows."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("rows with errors")
        self.report = report


class NoAddresses(RecruitmentError):
    pass


class TooManyLetters(RecruitmentError):
    """More letters than addresses that have not been invited yet (``args[0]``)."""


class NothingToDraw(RecruitmentError):
    """The weights leave no stratum to draw from."""


class UnknownStratum(RecruitmentError):
    """A weight was given for a stratum that is not in the list (``args[0]``)."""


# --- the address list -------------------------------------------------------------------


@dataclass
class RowError:
    row: int  # the line in the file, the header being line 1
    column: str  # the column as named in the file ("" for the whole row)
    reason: str  # a code; the template words it (see REASONS in views)


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    invalid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    replaced: int = 0
    delimiter: str = ","
    saved: bool = False

    @property
    def more_errors(self) -> int:
        return max(0, self.invalid_rows - len({e.row for e in self.errors}))

    def add(self, error: RowError) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)


def _key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _text_stream(stream: IO[bytes]) -> Iterator[str]:
    """Lines of the upload as text: UTF-8 with or without byte-order mark."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def _header_map(header: list[str]) -> tuple[dict[str, int], list[str]]:
    aliases = {alias: name for name, names in COLUMNS.items() for alias in names}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = aliases.get(_key(title))
        if name is not None and name not in positions:
            positions[name] = index
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in positions]
    return positions, missing


def _validate(
    line: int, cells: list[str], positions: dict[str, int], header: list[str], seen: set[str]
) -> tuple[Row | None, list[RowError]]:
    if len(cells) != len(header):
        return None, [RowError(line, "", "columns")]
    values = {name: cells[index].strip() for name, index in positions.items()}
    errors: list[RowError] = []

    def fail(name: str, reason: str) -> None:
        errors.append(RowError(line, header[positions[name]].strip(), reason))

    for name in REQUIRED:
        if not values[name]:
            fail(name, "empty")
    for name, limit in MAX_LENGTH.items():
        if name in values and len(values[name]) > limit:
            fail(name, "too_long")
    if values["postcode"]:
        match = POSTCODE.match(values["postcode"])
        if match:
            values["postcode"] = f"{match.group(1)} {match.group(2).upper()}"
        else:
            fail("postcode", "postcode")
    if values["house_number"] and not HOUSE_NUMBER.match(values["house_number"]):
        fail("house_number", "house_number")
    adults: int | None = None
    if values.get("adults"):
        try:
            adults = int(values["adults"])
        except ValueError:
            adults = -1
        if not 0 <= adults <= 99:
            fail("adults", "adults")
    if values["external_id"]:
        if values["external_id"] in seen:
            fail("external_id", "duplicate")
        elif not errors:
            seen.add(values["external_id"])
    if errors:
        return None, errors
    return (
        values["external_id"],
        values["street"],
        values["house_number"],
        values["postcode"],
        values["city"],
        values["municipality"],
        values.get("district", ""),
        adults,
    ), []


def address_count(session: Session, assembly: Assembly) -> int:
    query = select(func.count()).select_from(Address).where(Address.assembly_id == assembly.id)
    return session.exec(query).one()


def invitation_count(session: Session, assembly: Assembly) -> int:
    query = (
        select(func.count())
        .select_from(Invitation)
        .join(InvitationBatch, Invitation.batch_id == InvitationBatch.id)  # type: ignore[arg-type]
        .where(InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).one()


def read_addresses(stream: IO[bytes], report: ImportReport) -> Iterator[list[Row]]:
    """The valid rows of the CSV in ``stream``, read row by row, checked and normalised, as
    tuples of the values of ``ROW_COLUMNS``.

    Yields an empty list as soon as the header has been checked, then a list (possibly
    empty) after every ``BATCH_SIZE`` rows read and at the end, so a caller can write as it
    goes and show progress. ``report`` counts the rows and collects the errors. Raises
    :class:`ImportRejected` when the file cannot be used at all (a required column is
    missing, or it is not UTF-8 from some row on).
    """
    lines = _text_stream(stream)
    try:
        first = next(iter(lines), "")
        report.delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(itertools.chain([first], lines), delimiter=report.delimiter)
        header = next(reader, [])
        positions, missing = _header_map(header)
        if not header or missing:
            report.invalid_rows = 1
            for name in missing or ["address_id"]:
                report.add(RowError(1, name, "missing_column"))
            raise ImportRejected(report)
        yield []
        seen: set[str] = set()
        pending: list[Row] = []
        read = 0
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often at the end of an export
            report.rows += 1
            read += 1
            row, errors = _validate(reader.line_num, cells, positions, header, seen)
            if errors:
                report.invalid_rows += 1
                for error in errors:
                    report.add(error)
            else:
                assert row is not None
                pending.append(row)
            if read >= BATCH_SIZE:
                yield pending
                pending, read = [], 0
        yield pending
    except (UnicodeDecodeError, csv.Error):
        report.invalid_rows += 1
        report.add(RowError(report.rows + 2, "", "encoding"))
        raise ImportRejected(report) from None
    finally:
        lines.detach()  # type: ignore[attr-defined] - leave the upload open for its owner


def insert_rows(
    session: Session, model: Any, owner_column: str, owner: int, rows: list[Row]
) -> None:
    """Insert address rows for ``owner`` (an assembly, or an import being staged), in the
    session's transaction, the fastest way each database offers.

    PostgreSQL: ``COPY``. SQLite: plain parameter tuples through the driver's executemany,
    40% faster than a Core insert, which prepares every row's parameters in Python first.
    Names come from the models, never from input.
    """
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c) for c in (owner_column, *ROW_COLUMNS))
    table = quote(model.__tablename__)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row((owner, *row))
        return
    markers = ", ".join("?" * (len(ROW_COLUMNS) + 1))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({markers})"
    connection.exec_driver_sql(sql, [(owner, *row) for row in rows])


def check_list_free(session: Session, assembly: Assembly) -> None:
    """Raise :class:`ListInUse` once letters have been drawn from the address list."""
    if session.exec(
        select(InvitationBatch.id).where(InvitationBatch.assembly_id == assembly.id).limit(1)
    ).first():
        raise ListInUse()


def audit_import(session: Session, actor: Actor, assembly: Assembly, report: ImportReport) -> None:
    audit.record(
        session,
        actor,
        "recruitment.import",
        assembly,
        {
            "rows": report.rows,
            "imported": report.imported,
            "skipped_invalid": report.invalid_rows,
            "replaced": report.replaced,
        },
    )


def import_addresses(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    stream: IO[bytes],
    *,
    only_valid: bool = False,
) -> ImportReport:
    """Replace the address list with the CSV in ``stream``, in the caller's transaction.

    Valid rows are inserted in batches as the file is read; when there are errors and the
    organiser did not choose ``only_valid``, :class:`ImportRejected` is raised and the
    caller rolls back, so nothing is saved. The web application runs imports as a
    background job instead (``import_job``), which keeps transactions short.
    """
    check_list_free(session, assembly)
    report = ImportReport()
    chunks = read_addresses(stream, report)
    with contextlib.closing(chunks):
        next(chunks)  # the header is complete
        report.replaced = address_count(session, assembly)
        session.execute(delete(Address).where(Address.assembly_id == assembly.id))  # type: ignore[arg-type]
        for rows in chunks:
            if rows:
                insert_rows(session, Address, "assembly_id", assembly.id, rows)  # type: ignore[arg-type]
                report.imported += len(rows)
    if report.invalid_rows and not only_valid:
        raise ImportRejected(report)
    audit_import(session, actor, assembly, report)
    report.saved = True
    return report


def strata(session: Session, assembly: Assembly, kind: str) -> list[tuple[str, int, int, int]]:
    """Per stratum: name, addresses, population (16+ where known), not yet invited."""
    column = Address.district if kind == "district" else Address.municipality
    invited = select(Invitation.address_id)
    query = (
        select(
            column,
            func.count(),
            func.sum(func.coalesce(Address.adults, 1)),
            func.sum(case((Address.id.in_(invited), 0), else_=1)),  # type: ignore[union-attr]
        )
        .where(Address.assembly_id == assembly.id)
        .group_by(column)
        .order_by(column)
    )
    return [(name, n, int(p or 0), int(r or 0)) for name, n, p, r in session.execute(query)]


# --- the invitation lottery --------------------------------------------------------------


def largest_remainder(
    letters: int, population: dict[str, float], capacity: dict[str, int]
) -> dict[str, int]:
    """Split ``letters`` over strata in proportion to ``population`` (largest remainder).

    A stratum never gets more than its ``capacity``; what it cannot take is shared out
    again over the others in the same way. Ties go to the stratum that sorts first.
    """
    allocation = {name: 0 for name in population}
    open_strata = {n for n in population if capacity.get(n, 0) > 0 and population[n] > 0}
    left = letters
    while left > 0 and open_strata:
        total = sum(population[name] for name in open_strata)
        quotas = {name: left * population[name] / total for name in open_strata}
        share = {name: int(quotas[name]) for name in open_strata}
        rest = left - sum(share.values())
        by_remainder = sorted(open_strata, key=lambda n: (-(quotas[n] - share[n]), n))
        for name in by_remainder[:rest]:
            share[name] += 1
        full = set()
        for name in open_strata:
            room = capacity[name] - allocation[name]
            take = min(room, share[name])
            allocation[name] += take
            left -= take
            if allocation[name] >= capacity[name]:
                full.add(name)
        if not full:
            break
        open_strata -= full
    return allocation


def _order_key(seed: str, external_id: str) -> bytes:
    # The order depends only on the seed and the registry's id, not on database ids or the
    # order of the file, so the same seed and list always give the same letters.
    return hashlib.sha256(f"{seed}\x1f{external_id}".encode()).digest()


def _ranked(
    rows: Iterable[tuple[int, str, str]], seed: str, allocation: dict[str, int]
) -> list[int]:
    """The first ``allocation[stratum]`` addresses of each stratum by :func:`_order_key`."""
    candidates: dict[str, list[tuple[bytes, int]]] = {n: [] for n, k in allocation.items() if k}
    sha256 = hashlib.sha256
    prefix = f"{seed}\x1f"
    for address_id, external_id, stratum in rows:
        bucket = candidates.get(stratum)
        if bucket is not None:
            # _order_key, inlined: this loop runs once for every address in the list.
            bucket.append((sha256(f"{prefix}{external_id}".encode()).digest(), address_id))
    chosen: list[int] = []
    for name in sorted(candidates):
        best = heapq.nsmallest(allocation[name], candidates[name])
        chosen.extend(address_id for _key, address_id in best)
    return chosen


def new_seed() -> str:
    return secrets.token_hex(8)


@dataclass
class DrawRequest:
    letters: int
    strata_kind: str = "municipality"
    weights: dict[str, float] = field(default_factory=dict)
    seed: str = ""


def draw_batch(
    session: Session, actor: Actor, assembly: Assembly, request: DrawRequest
) -> InvitationBatch:
    """Draw a batch of letters among the addresses not invited before, stratified."""
    kind = request.strata_kind if request.strata_kind in STRATA_KINDS else "municipality"
    seed = request.seed.strip() or new_seed()
    rows = strata(session, assembly, kind)
    if not rows:
        raise NoAddresses()
    names = {name for name, *_ in rows}
    for name in request.weights:
        if name not in names:
            raise UnknownStratum(name)
    available = sum(remaining for *_, remaining in rows)
    if request.letters > available:
        raise TooManyLetters(available)
    population = {name: pop * request.weights.get(name, 1.0) for name, _n, pop, _r in rows}
    capacity = {name: remaining for name, *_, remaining in rows}
    allocation = largest_remainder(request.letters, population, capacity)

    column = Address.district if kind == "district" else Address.municipality
    invited = select(Invitation.address_id)
    query = (
        select(Address.id, Address.external_id, column)
        .where(Address.assembly_id == assembly.id, Address.id.not_in(invited))  # type: ignore[union-attr]
        .execution_options(yield_per=BATCH_SIZE)
    )
    # Plain rows through the session's connection: no ORM bookkeeping per address.
    chosen = _ranked(session.connection().execute(query), seed, allocation)  # type: ignore[arg-type]
    if not chosen:
        raise NothingToDraw()

    number = (
        session.exec(
            select(func.max(InvitationBatch.number)).where(
                InvitationBatch.assembly_id == assembly.id
            )
        ).one()
        or 0
    ) + 1
    payload = {"allocation": {k: v for k, v in allocation.items() if v}, "weights": request.weights}
    batch = InvitationBatch(
        assembly_id=assembly.id,  # type: ignore[arg-type]
        number=number,
        seed=seed,
        strata_kind=kind,
        letters=len(chosen),
        allocation=json.dumps(payload, sort_keys=True, ensure_ascii=False),
    )
    session.add(batch)
    session.flush()
    _insert_invitations(session, batch, chosen)
    audit.record(
        session,
        actor,
        "recruitment.draw",
        batch,
        {
            "batch": number,
            "seed": seed,
            "letters": len(chosen),
            "strata": kind,
            "weights": request.weights,
            "allocation": payload["allocation"],
        },
        assembly=assembly,
    )
    return batch


def _insert_invitations(session: Session, batch: InvitationBatch, address_ids: list[int]) -> None:
    table = Invitation.__table__  # type: ignore[attr-defined]
    used: set[str] = set()
    for start in range(0, len(address_ids), BATCH_SIZE):
        rows = []
        for address_id in address_ids[start : start + BATCH_SIZE]:
            code = codes.new_code()
            while code in used:  # about 2**-59 per pair; the unique index guards the rest
                code = codes.new_code()
            used.add(code)
            rows.append({"batch_id": batch.id, "address_id": address_id, "code": code})
        session.execute(insert(table), rows)


def batches(session: Session, assembly: Assembly) -> list[InvitationBatch]:
    query = (
        select(InvitationBatch)
        .where(InvitationBatch.assembly_id == assembly.id)
        .order_by(InvitationBatch.number)  # type: ignore[arg-type]
    )
    return list(session.exec(query))


def allocation_of(batch: InvitationBatch) -> dict[str, Any]:
    return json.loads(batch.allocation or "{}")


# --- the mail merge ------------------------------------------------------------------------

EXPORT_HEADER = (
    "batch",
    "letter",
    "street",
    "house_number",
    "postcode",
    "city",
    "code",
    "registration_url",
)


def registration_url(base_url: str, assembly: Assembly, code: str) -> str:
    return f"{base_url}/a/{assembly.slug}/aanmelden?code={codes.display(code)}"


def letter_rows_query(assembly: Assembly, batch_number: int | None = None) -> Select[Any]:
    """Batch, letter, street, house number, postcode, city and code of every letter, in the
    order the print house gets them; the CSV and the PDF list letters the same way."""
    query = (
        select(
            InvitationBatch.number,
            Invitation.id,
            Address.street,
            Address.house_number,
            Address.postcode,
            Address.city,
            Invitation.code,
        )
        .join(InvitationBatch, Invitation.batch_id == InvitationBatch.id)  # type: ignore[arg-type]
        .join(Address, Invitation.address_id == Address.id)  # type: ignore[arg-type]
        .where(InvitationBatch.assembly_id == assembly.id)
        .order_by(InvitationBatch.number, Address.postcode, Address.house_number, Invitation.id)  # type: ignore[arg-type]
        .execution_options(yield_per=BATCH_SIZE)
    )
    if batch_number is not None:
        query = query.where(InvitationBatch.number == batch_number)
    return query


def mail_merge_rows(
    session: Session, assembly: Assembly, base_url: str, batch_number: int | None = None
) -> Iterable[str]:
    """The CSV for the print house, line by line: one letter per row."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(EXPORT_HEADER)
    yield flush()
    query = letter_rows_query(assembly, batch_number)
    for number, letter, street, house_number, postcode, city, code in session.execute(query):
        writer.writerow(
            (
                number,
                letter,
                street,
                house_number,
                postcode,
                city,
                codes.display(code),
                registration_url(base_url, assembly, code),
            )
        )
        if out.tell() > 65536:
            yield flush()
    yield flush()


def find_invitation(session: Session, assembly: Assembly, typed: str) -> Invitation | None:
    """The invitation of this assembly with the code a person typed (any case, hyphens)."""
    code = codes.normalise(typed)
    if len(code) != codes.LENGTH:
        return None
    query = (
        select(Invitation)
        .join(InvitationBatch, Invitation.batch_id == InvitationBatch.id)  # type: ignore[arg-type]
        .where(Invitation.code == code, InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).first()
