"""The planned session dates that registrants say they can come on: reading, naming and
editing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from babel.dates import format_datetime
from flask_babel import get_locale
from sqlalchemy import CursorResult, delete, func
from sqlmodel import Session, col, select

from .. import audit
from ..audit import Actor
from ..errors import ServiceError
from ..models import Assembly, Registration, RegistrationAvailability, SessionDate
from ..timeutil import as_utc, from_local, local_time


class UnknownSessionDate(ServiceError):
    """The session date to change is not one of this assembly's (any more)."""

    status = 404


@dataclass(frozen=True)
class SessionDateData:
    session_date_id: int | None
    label: str
    starts_at: datetime  # UTC
    location: str = ""


def load_session_dates(session: Session, assembly: Assembly) -> list[SessionDate]:
    """The assembly's session dates, earliest first."""
    query = (
        select(SessionDate)
        .where(SessionDate.assembly_id == assembly.id)
        .order_by(col(SessionDate.starts_at), col(SessionDate.id))
    )
    return list(session.exec(query))


def session_date_label(item: SessionDate) -> str:
    """The session as the reader reads it: name – day and time (Dutch time) – place."""
    when = format_datetime(
        local_time(item.starts_at), "EEEE d MMMM y, HH:mm", locale=str(get_locale() or "nl")
    )
    return " – ".join(p for p in (item.label, when, item.location) if p)


def combine_local(day: date, time_of_day: time) -> datetime:
    """A date and a time as entered (Dutch time), as UTC."""
    return from_local(datetime.combine(day, time_of_day))


def save_session_date(
    session: Session, actor: Actor, assembly: Assembly, data: SessionDateData
) -> SessionDate:
    """Add a session date or change one. Raises :class:`UnknownSessionDate`."""
    assert assembly.id is not None
    if data.session_date_id is None:
        item = SessionDate(assembly_id=assembly.id, starts_at=data.starts_at)
    else:
        found = session.get(SessionDate, data.session_date_id)
        if found is None or found.assembly_id != assembly.id:
            raise UnknownSessionDate()
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
            col(RegistrationAvailability.session_date_id) == item.id
        )
    )
    assert isinstance(removed, CursorResult)  # a DELETE's result, which has the row count
    audit.record(
        session,
        actor,
        "registration.session_deleted",
        item,
        {"label": item.label, "availability_removed": removed.rowcount},
        assembly=item.assembly_id,
    )
    session.delete(item)


def availability_counts(session: Session, assembly: Assembly) -> dict[int, int]:
    """Per session date id: how many people in the pool (not withdrawn) can come."""
    query = (
        select(RegistrationAvailability.session_date_id, func.count())
        .join(SessionDate, col(RegistrationAvailability.session_date_id) == col(SessionDate.id))
        .join(Registration, col(RegistrationAvailability.registration_id) == col(Registration.id))
        .where(SessionDate.assembly_id == assembly.id, col(Registration.withdrawn_at).is_(None))
        .group_by(col(RegistrationAvailability.session_date_id))
    )
    return {date_id: int(n) for date_id, n in session.exec(query)}
