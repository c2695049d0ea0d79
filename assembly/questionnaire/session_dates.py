"""The planned session dates that registrants say they can come on."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..models import Assembly, SessionDate


def load_session_dates(session: Session, assembly: Assembly) -> list[SessionDate]:
    """The assembly's session dates, earliest first."""
    query = (
        select(SessionDate)
        .where(SessionDate.assembly_id == assembly.id)
        .order_by(col(SessionDate.starts_at), col(SessionDate.id))
    )
    return list(session.exec(query))
