"""The drawn panel: its seats (who holds them, who left, who took over), the reserve list,
the export of everyone's chance, and when the panel is final."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from .. import audit, signals
from ..audit import Actor
from ..models import Assembly, DrawPerson, DrawRun, PanelMember, Registration, SeatStatus
from ..pool.eligibility import is_in_pool
from ..timeutil import as_utc
from .runs import seeded_run

# A member holds their seat until they decline or let the deadline pass.
SEATED = frozenset({SeatStatus.PENDING, SeatStatus.ACCEPTED})


def holds_seat(member: PanelMember) -> bool:
    return member.status in SEATED


@dataclass
class Seat:
    member: PanelMember
    registration: Registration
    reference: str
    probability: float
    replaces: str = ""  # reference of the person whose seat this was
    replaced_by: str = ""


@dataclass
class Reserve:
    rank: int
    reference: str
    registration: Registration
    probability: float
    status: str  # waiting | on_panel | left | unavailable


@dataclass
class Result:
    run: DrawRun
    seats: list[Seat]  # current members, in order of their seat
    former: list[Seat]  # declined or did not answer
    reserves: list[Reserve]
    people: list[tuple[DrawPerson, Registration]]  # everyone in the lottery, likeliest first
    vacant: list[Seat]  # the former members whose seat nobody took yet, in order

    @property
    def open_seats(self) -> int:
        return len(self.vacant)

    @property
    def current_references(self) -> list[str]:
        return [s.reference for s in self.seats]


def result(session: Session, run: DrawRun) -> Result:
    persons = list(
        session.exec(
            select(DrawPerson, Registration)
            .join(Registration, col(DrawPerson.registration_id) == Registration.id)
            .where(DrawPerson.run_id == run.id)
            .order_by(col(DrawPerson.probability).desc(), col(DrawPerson.reference))
        ).all()
    )
    by_registration = {p.registration_id: (p, r) for p, r in persons}
    members = list(
        session.exec(
            select(PanelMember).where(PanelMember.run_id == run.id).order_by(col(PanelMember.id))
        )
    )
    by_id = {m.id: m for m in members}
    replaced_by: dict[int | None, PanelMember] = {
        m.replaces_id: m for m in members if m.replaces_id is not None
    }

    def seat(member: PanelMember) -> Seat:
        person, registration = by_registration[member.registration_id]
        previous = by_id.get(member.replaces_id) if member.replaces_id else None
        successor = replaced_by.get(member.id)
        return Seat(
            member,
            registration,
            person.reference,
            person.probability,
            replaces=by_registration[previous.registration_id][0].reference if previous else "",
            replaced_by=(
                by_registration[successor.registration_id][0].reference if successor else ""
            ),
        )

    seats = [seat(m) for m in members if holds_seat(m)]
    former = [seat(m) for m in members if not holds_seat(m)]
    on_panel = {m.registration_id: m for m in members}
    reserves = []
    for person, registration in sorted(
        (pr for pr in persons if pr[0].reserve_rank is not None),
        key=lambda pr: pr[0].reserve_rank or 0,
    ):
        member = on_panel.get(person.registration_id)
        if member is not None:
            status = "on_panel" if holds_seat(member) else "left"
        elif not is_in_pool(registration):
            status = "unavailable"
        else:
            status = "waiting"
        reserves.append(
            Reserve(
                person.reserve_rank or 0, person.reference, registration, person.probability, status
            )
        )
    vacant = [s for s in former if s.member.id not in replaced_by]
    return Result(run, seats, former, reserves, persons, vacant)


def current_panel(session: Session, run: DrawRun) -> list[str]:
    """The references of everyone who holds a seat now."""
    query = (
        select(DrawPerson.reference)
        .join(
            PanelMember,
            (col(PanelMember.registration_id) == DrawPerson.registration_id)
            & (col(PanelMember.run_id) == DrawPerson.run_id),
        )
        .where(DrawPerson.run_id == run.id, col(PanelMember.status).in_(SEATED))
    )
    return list(session.exec(query))


def names_by_reference(session: Session, run: DrawRun) -> dict[str, str]:
    """The names of everyone in the lottery, by their reference (for organisers only)."""
    query = (
        select(DrawPerson.reference, Registration.name)
        .join(Registration, col(DrawPerson.registration_id) == Registration.id)
        .where(DrawPerson.run_id == run.id)
    )
    return {reference: name for reference, name in session.exec(query) if name}


def n_panels(run: DrawRun) -> int:
    """How many panels the lottery draws from."""
    if not run.report_json:
        return 0
    return len(json.loads(run.report_json)["distribution"]["panels"])


# --- when the panel is final ------------------------------------------------------------------


@signals.final_panel_requested.connect
def _on_final_panel_requested(
    assembly: Assembly, *, session: Session
) -> tuple[datetime, set[int]] | None:
    return final_panel(session, assembly)


def final_panel(session: Session, assembly: Assembly) -> tuple[datetime, set[int]] | None:
    """When every seat is accepted: since when, and whose data to keep (members, reserves).

    The respondent pool's privacy module purges everyone else's personal data after the
    retention period.
    """
    run = seeded_run(session, assembly)
    if run is None:
        return None
    found = result(session, run)
    if found.vacant or len(found.seats) != run.panel_size:
        return None
    members = [s.member for s in found.seats]
    if any(m.status != SeatStatus.ACCEPTED or m.responded_at is None for m in members):
        return None
    final_at = max(as_utc(m.responded_at) for m in members if m.responded_at is not None)
    keep = {m.registration_id for m in members}
    keep |= {r.registration.id for r in found.reserves if r.registration.id is not None}
    return final_at, keep


# --- the export ---------------------------------------------------------------------------------

EXPORT_HEADER = (
    "reference",
    "role",
    "status",
    "reserve_rank",
    "probability",
    "name",
    "email",
    "phone",
)


def export_rows(session: Session, run: DrawRun) -> Iterator[tuple[Any, ...]]:
    """Everyone in the lottery with their chance; contact details for members and reserves."""
    found = result(session, run)
    yield EXPORT_HEADER
    listed: set[str] = set()
    for seat in found.seats + found.former:
        listed.add(seat.reference)
        r = seat.registration
        yield (
            seat.reference,
            "member",
            seat.member.status,
            "",
            f"{seat.probability:.6f}",
            r.name,
            r.email,
            r.phone,
        )
    for reserve in found.reserves:
        if reserve.reference in listed:
            continue
        listed.add(reserve.reference)
        r = reserve.registration
        yield (
            reserve.reference,
            "reserve",
            reserve.status,
            reserve.rank,
            f"{reserve.probability:.6f}",
            r.name,
            r.email,
            r.phone,
        )
    for person, _registration in found.people:
        if person.reference not in listed:
            yield (person.reference, "pool", "", "", f"{person.probability:.6f}", "", "", "")


def export_csv(session: Session, run: DrawRun | None) -> bytes:
    """:func:`export_rows` as a CSV file that spreadsheets open as UTF-8 (the header alone
    before the panel is drawn)."""
    out = io.StringIO()
    writer = csv.writer(out)
    if run is None:
        writer.writerow(EXPORT_HEADER)
    else:
        writer.writerows(export_rows(session, run))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def record_export(session: Session, actor: Actor, assembly: Assembly, run: DrawRun) -> None:
    audit.record(
        session, actor, "draw.export", run, {"fingerprint": run.fingerprint}, assembly=assembly
    )
