"""Time: aware UTC datetimes everywhere (SQLModel stores them as UTC), shown and entered in
the installation's time zone (``TIMEZONE``, Europe/Amsterdam by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from .settings import settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timezone() -> ZoneInfo:
    """Where the assembly takes place: dates are entered and shown in this zone."""
    return settings().timezone


def local_time(value: datetime) -> datetime:
    """``value`` on the local clock."""
    return as_utc(value).astimezone(timezone())


def local_day(value: datetime) -> date:
    return local_time(value).date()


def from_local(value: datetime) -> datetime:
    """A naive local wall-clock time (as typed in a form) as UTC."""
    return value.replace(tzinfo=timezone()).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` on the local clock, as UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone()).astimezone(UTC)
