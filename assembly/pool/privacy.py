"""Privacy (AVG/GDPR): the retention period, and purging what is no longer needed.

Two purges, each audited with counts only:

- the address list, once the letters are out: street, house number, postcode and the
  registry's address id are blanked; municipality and district stay for the response
  statistics, and invitations and codes stay so that late registrations still work;
- people not selected, once the panel is final: name, contact details, needs,
  availability and answers are removed and ``purged_at`` is set; anonymous counts per
  category value are kept first so that the composition page keeps working.

Nothing here commits; nothing here logs personal data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Result, String, cast, delete, func, literal, update
from sqlmodel import Session, col, select

from .. import audit, signals
from ..audit import Actor
from ..errors import ServiceError
from ..models import (
    Address,
    Assembly,
    InvitationBatch,
    PoolCountSnapshot,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
)
from ..registration.settings import MAX_RETENTION_MONTHS
from ..timeutil import as_utc, utcnow


class LettersNotSent(ServiceError):
    """The address list is still needed: no letters have been drawn from it yet."""

    message = _l("The address list is still needed: no letters have been drawn yet.")


class NoFinalPanel(ServiceError):
    """People's data can only be purged once the panel is final."""

    message = _l("This is not possible yet: there is no final panel.")


@dataclass(frozen=True)
class FinalPanel:
    """A final panel: since when, and whose data must be kept (members and reserves)."""

    final_at: datetime
    keep_registration_ids: frozenset[int]


def final_panel(session: Session, assembly: Assembly) -> FinalPanel | None:
    """The final panel as the panel draw reports it, or None while there is none.

    Asked through :data:`assembly.signals.final_panel_requested`; the draw answers
    ``None`` or ``(final_at, registration_ids_to_keep)``. Without an answer no panel is
    known here, and purging people is only possible from the command line with an
    explicit list.
    """
    found: Any = signals.first_answer(signals.final_panel_requested.send(assembly, session=session))
    if found is None:
        return None
    final_at, ids = found
    return FinalPanel(final_at, frozenset(int(i) for i in ids))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's result is a cursor result, which has the row count.
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def purge_due_on(assembly: Assembly, final_at: datetime) -> date:
    return add_months(as_utc(final_at).date(), assembly.retention_months)


# --- settings and status -------------------------------------------------------------------


def set_retention(session: Session, assembly: Assembly, months: int, *, actor: Actor) -> None:
    if not 1 <= months <= MAX_RETENTION_MONTHS:
        raise ValueError("retention out of range")
    if months == assembly.retention_months:
        return
    previous = assembly.retention_months
    assembly.retention_months = months
    assembly.updated_at = utcnow()
    session.add(assembly)
    audit.record(
        session, actor, "privacy.retention", assembly, {"months": months, "previous": previous}
    )


@dataclass
class Status:
    letters_sent: bool
    addresses: int
    addresses_purged_at: datetime | None
    people: int  # registrations with personal data
    purged: int  # registrations whose personal data was purged
    panel: FinalPanel | None


def status(session: Session, assembly: Assembly) -> Status:
    letters = session.exec(
        select(InvitationBatch.id).where(InvitationBatch.assembly_id == assembly.id).limit(1)
    ).first()
    addresses = session.exec(
        select(func.count()).select_from(Address).where(Address.assembly_id == assembly.id)
    ).one()
    total, purged = session.exec(
        select(func.count(), func.count(col(Registration.purged_at))).where(
            Registration.assembly_id == assembly.id
        )
    ).one()
    return Status(
        letters_sent=letters is not None,
        addresses=addresses,
        addresses_purged_at=assembly.addresses_purged_at,
        people=total - purged,
        purged=purged,
        panel=final_panel(session, assembly),
    )


# --- the purges ----------------------------------------------------------------------------


def purge_addresses(session: Session, assembly: Assembly, *, actor: Actor) -> int:
    """Blank the parts of every address that identify a home; returns how many.

    The registry's address id goes too (it is a key into the registry); a placeholder
    keeps it unique. Municipality, district, city and the number of residents stay.
    """
    letters = session.exec(
        select(InvitationBatch.id).where(InvitationBatch.assembly_id == assembly.id).limit(1)
    ).first()
    if letters is None:
        raise LettersNotSent()
    result = session.execute(
        update(Address)
        .where(col(Address.assembly_id) == assembly.id)
        .values(
            street="",
            house_number="",
            postcode="",
            external_id=literal("purged-").concat(cast(Address.id, String)),
        )
    )
    count = _rowcount(result)
    assembly.addresses_purged_at = utcnow()
    session.add(assembly)
    audit.record(session, actor, "privacy.purge_addresses", assembly, {"addresses": count})
    return count


@dataclass
class PurgeResult:
    purged: int
    kept: int


def purge_unselected(
    session: Session,
    assembly: Assembly,
    keep_registration_ids: Collection[int],
    *,
    actor: Actor,
) -> PurgeResult:
    """Remove the personal data of everyone in the pool except ``keep_registration_ids``.

    The caller (the panel draw, or the command line) says whose data is still needed: the
    panel members and reserves. People already purged are left alone, so running it again
    only reaches those who registered since.
    """
    keep = sorted({int(i) for i in keep_registration_ids})
    targets = [
        col(Registration.assembly_id) == assembly.id,
        col(Registration.purged_at).is_(None),
    ]
    if keep:
        targets.append(col(Registration.id).not_in(keep))
    target_ids = select(Registration.id).where(*targets)

    # The anonymous counts first, of those who were in the pool (not withdrawn).
    counted = session.exec(
        select(RegistrationAnswer.option_id, func.count())
        .join(Registration, col(RegistrationAnswer.registration_id) == col(Registration.id))
        .where(*targets, col(Registration.withdrawn_at).is_(None))
        .group_by(col(RegistrationAnswer.option_id))
    ).all()
    _add_to_snapshot(session, assembly, counted)

    session.execute(
        delete(RegistrationAnswer).where(col(RegistrationAnswer.registration_id).in_(target_ids))
    )
    session.execute(
        delete(RegistrationAvailability).where(
            col(RegistrationAvailability.registration_id).in_(target_ids)
        )
    )
    now = utcnow()
    result = session.execute(
        update(Registration)
        .where(*targets)
        .values(
            name="",
            email="",
            phone="",
            accessibility_needs="",
            dietary_needs="",
            purged_at=now,
            updated_at=now,
            # The personal link stops working: no hex digest ever looks like this.
            token_hash=literal("purged-").concat(cast(Registration.id, String)),
        )
        .execution_options(synchronize_session=False)
    )
    purged = _rowcount(result)
    session.expire_all()  # loaded registrations must not write their old values back
    audit.record(
        session,
        actor,
        "privacy.purge_unselected",
        assembly,
        {"purged": purged, "kept": len(keep)},
    )
    return PurgeResult(purged, len(keep))


def purge_not_selected(session: Session, assembly: Assembly, *, actor: Actor) -> PurgeResult:
    """Purge everyone but the final panel's members and reserves (the organiser's button).

    Raises :class:`NoFinalPanel` while the panel is not final.
    """
    panel = final_panel(session, assembly)
    if panel is None:
        raise NoFinalPanel()
    return purge_unselected(session, assembly, panel.keep_registration_ids, actor=actor)


def _add_to_snapshot(
    session: Session, assembly: Assembly, counted: Iterable[tuple[int, int]]
) -> None:
    existing = {
        s.option_id: s
        for s in session.exec(
            select(PoolCountSnapshot).where(PoolCountSnapshot.assembly_id == assembly.id)
        )
    }
    assert assembly.id is not None
    now = utcnow()
    for option_id, n in counted:
        row = existing.get(option_id)
        if row is None:
            row = PoolCountSnapshot(assembly_id=assembly.id, option_id=option_id, people=0)
        row.people += n
        row.updated_at = now
        session.add(row)
    session.flush()


@dataclass
class ExpiredPurge:
    assembly: Assembly
    due_on: date
    result: PurgeResult | None  # None: not due yet


def purge_expired(
    session: Session,
    panels: dict[int, FinalPanel],
    *,
    today: date,
    actor: Actor,
    dry_run: bool = False,
) -> list[ExpiredPurge]:
    """Purge people not selected in every assembly of ``panels`` whose retention has passed.

    ``panels`` maps assembly ids to their final panel; assemblies without one are not
    touched (only the caller knows a panel is final).
    """
    outcome = []
    for assembly_id, panel in sorted(panels.items()):
        assembly = session.get(Assembly, assembly_id)
        if assembly is None:
            continue
        due = purge_due_on(assembly, panel.final_at)
        result = None
        if due <= today:
            if dry_run:
                result = PurgeResult(_count_purgeable(session, assembly, panel), 0)
            else:
                result = purge_unselected(
                    session, assembly, panel.keep_registration_ids, actor=actor
                )
        outcome.append(ExpiredPurge(assembly, due, result))
    return outcome


def _count_purgeable(session: Session, assembly: Assembly, panel: FinalPanel) -> int:
    query = select(func.count()).where(
        Registration.assembly_id == assembly.id,
        col(Registration.purged_at).is_(None),
    )
    if panel.keep_registration_ids:
        query = query.where(col(Registration.id).not_in(sorted(panel.keep_registration_ids)))
    return session.exec(query).one()


def ids_for_references(session: Session, assembly: Assembly, references: Iterable[str]) -> set[int]:
    """Registration ids of these references (as in the sortition files); unknown ones raise."""
    wanted = {r.strip() for r in references if r.strip()}
    found = dict(
        session.exec(
            select(Registration.reference, Registration.id).where(
                Registration.assembly_id == assembly.id,
                col(Registration.reference).in_(sorted(wanted)),
            )
        ).all()
    )
    unknown = wanted - set(found)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    return {i for i in found.values() if i is not None}
