"""State machines: which status may follow which, one table per machine.

Each status field of the models is a :class:`~enum.StrEnum` (in :mod:`assembly.models`);
its machine says which moves are allowed, and services move a record only through
:meth:`Machine.move`, so a rule like "a declined seat is never accepted again" is written
once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from flask_babel import lazy_gettext as _l

from .errors import ServiceError
from .models import (
    AddressImportStatus,
    DrawStatus,
    MailStatus,
    SeatStatus,
)

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(ServiceError):
    message = _l("This is no longer possible: the state has changed in the meantime.")
    status = 409


class Machine(Generic[S]):
    """The allowed moves between the values of one status field."""

    def __init__(self, kind: type[S], moves: Mapping[S, frozenset[S]]) -> None:
        self.kind = kind
        self.moves = {state: moves.get(state, frozenset()) for state in kind}

    def can(self, current: S | str, new: S) -> bool:
        return new in self.moves[self.kind(current)]

    def move(self, current: S | str, new: S) -> S:
        """``new`` when the machine allows the move from ``current``; raises otherwise.

        Raises
        ------
        InvalidTransition
        """
        if not self.can(current, new):
            raise InvalidTransition(current=str(current), new=str(new))
        return new

    def final(self, state: S | str) -> bool:
        return not self.moves[self.kind(state)]


# A lottery's computation: queued, then a worker claims it; a stale run (its worker died)
# may be queued again; cancelling works until the engine reports back.
DRAW = Machine(
    DrawStatus,
    {
        DrawStatus.QUEUED: frozenset({DrawStatus.RUNNING, DrawStatus.CANCELLED}),
        DrawStatus.RUNNING: frozenset(
            {
                DrawStatus.DONE,
                DrawStatus.INFEASIBLE,
                DrawStatus.FAILED,
                DrawStatus.CANCELLED,
                DrawStatus.QUEUED,  # restarted after its worker died
            }
        ),
        DrawStatus.FAILED: frozenset({DrawStatus.QUEUED}),
    },
)

# A seat on the panel: the member answers once; no answer by the deadline ends it too.
SEAT = Machine(
    SeatStatus,
    {
        SeatStatus.PENDING: frozenset(
            {SeatStatus.ACCEPTED, SeatStatus.DECLINED, SeatStatus.NO_ANSWER}
        ),
        # Someone who accepted may still give up their seat later.
        SeatStatus.ACCEPTED: frozenset({SeatStatus.DECLINED}),
    },
)

# An upload of the address list, read by a background job.
ADDRESS_IMPORT = Machine(
    AddressImportStatus,
    {
        AddressImportStatus.QUEUED: frozenset(
            {AddressImportStatus.RUNNING, AddressImportStatus.FAILED}
        ),
        AddressImportStatus.RUNNING: frozenset(
            {AddressImportStatus.DONE, AddressImportStatus.REJECTED, AddressImportStatus.FAILED}
        ),
    },
)

# An e-mail in the outbox: claimed by a sender, then sent, or back to pending to retry.
MAIL = Machine(
    MailStatus,
    {
        MailStatus.PENDING: frozenset({MailStatus.SENDING}),
        MailStatus.SENDING: frozenset(
            {MailStatus.SENT, MailStatus.PENDING, MailStatus.FAILED, MailStatus.SENDING}
        ),
    },
)
