"""The organiser's settings of registration: open or by code only, the closing time, the
contact for registrants and how long their data is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from .. import audit
from ..audit import Actor
from ..models import Assembly
from ..timeutil import as_utc, utcnow

# How long after the panel is final the data of people not selected may be kept, at most.
MAX_RETENTION_MONTHS = 120


@dataclass(frozen=True)
class SettingsData:
    open_registration: bool
    registration_closes_at: datetime | None  # UTC
    organiser_contact: str
    retention_months: int


def is_closed(assembly: Assembly, now: datetime | None = None) -> bool:
    closes = assembly.registration_closes_at
    return closes is not None and as_utc(closes) <= (now or utcnow())


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
