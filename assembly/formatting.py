"""How dates and times read on every page: in the reader's language, on the local clock."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date, format_datetime

from .timeutil import local_day, local_time

EMPTY = "–"


def moment(value: datetime | None) -> str:
    """A moment on the local clock: 9 nov. 2026, 14:30."""
    if value is None:
        return EMPTY
    return str(format_datetime(local_time(value), "d MMM y, HH:mm", rebase=False))


def day(value: datetime | date | None, format: str = "long") -> str:
    """A day written out: 9 november 2026 (a moment is taken on the local clock)."""
    if value is None:
        return EMPTY
    return str(format_date(local_day(value) if isinstance(value, datetime) else value, format))


def init_app(app: Flask) -> None:
    app.add_template_filter(moment, "moment")
    app.add_template_filter(day, "day")
