"""A member's answer to their seat: accept, decline, or no answer by the deadline.

One rule for every way an answer comes in: the invited person through their personal
link, an organiser recording an answer given by phone or post, and a withdrawal from the
pool (which gives up the seat). Which answers a seat still allows is the seat's state
machine (:data:`assembly.states.SEAT`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Session, select

from .. import audit, signals
from ..audit import Actor
from ..models import Assembly, DrawPerson, DrawRun, PanelMember, Registration, SeatStatus
from ..states import SEAT
from ..timeutil import as_utc, utcnow
from .errors import (
    AnswerNotAllowed,
    DeadlineNotPassed,
    DeadlinePassed,
    NoSuchMember,
    ResponseNotAllowed,
)
from .outcome import send_acceptance
from .runs import locked_row, seeded_run

PARTICIPANT_ACTOR = "participant"


# Each answer (as the forms send it) and the seat's status it leads to.
ANSWERS = {
    "accept": SeatStatus.ACCEPTED,
    "decline": SeatStatus.DECLINED,
    "no_answer": SeatStatus.NO_ANSWER,
}
# Who gave the answer (recorded in the audit log).
By = Literal["participant", "organiser", "withdrawal"]


def deadline_passed(run: DrawRun, now: datetime | None = None) -> bool:
    return run.respond_by is not None and as_utc(run.respond_by) < (now or utcnow())


def _locked(session: Session, member: PanelMember) -> PanelMember:
    """The seat read again with its row locked until the transaction ends: two answers at
    once (a double click, the participant and an organiser) are checked one after the
    other, and the second sees the first's answer."""
    return locked_row(session, PanelMember, member.id)


def _check(member: PanelMember, run: DrawRun, answer: str, by: By) -> SeatStatus:
    """The seat's new status for ``answer``, or the error that refuses it.

    Accepting is possible while the seat waits for an answer (for the invited person only
    until the deadline); declining at any time while someone holds the seat; "no answer"
    only for an organiser, for an invited seat, once the deadline has passed.
    """
    refused = ResponseNotAllowed if by == "participant" else AnswerNotAllowed
    new = ANSWERS.get(answer)
    if new is None or not SEAT.can(member.status, new):
        raise refused()
    if new == SeatStatus.ACCEPTED and by == "participant" and deadline_passed(run):
        raise DeadlinePassed()
    if new == SeatStatus.NO_ANSWER:
        if by != "organiser" or member.invited_at is None:
            raise refused()
        if not deadline_passed(run):
            raise DeadlineNotPassed()
    return new


def _answer(
    session: Session,
    actor: Actor,
    run: DrawRun,
    member: PanelMember,
    new: SeatStatus,
    *,
    by: By,
    reference: str,
) -> None:
    member.status = SEAT.move(member.status, new)
    member.responded_at = utcnow()
    session.add(member)
    if new == SeatStatus.ACCEPTED:
        assembly = session.get(Assembly, run.assembly_id)
        registration = session.get(Registration, member.registration_id)
        if assembly is not None and registration is not None:
            send_acceptance(session, assembly, registration)
    audit.record(
        session,
        actor,
        f"draw.{member.status}",
        member,
        {"reference": reference, "by": by},
        assembly=run.assembly_id,
    )


def _draw_reference(session: Session, run: DrawRun, registration_id: int) -> str:
    """The member's random reference in this lottery (what the audit log names)."""
    person = session.exec(
        select(DrawPerson).where(
            DrawPerson.run_id == run.id, DrawPerson.registration_id == registration_id
        )
    ).one()
    return person.reference


def respond(
    session: Session, member: PanelMember, run: DrawRun, answer: str, reference: str
) -> None:
    """The invited person's own answer through their personal link."""
    member = _locked(session, member)
    new = _check(member, run, answer, "participant")
    _answer(session, PARTICIPANT_ACTOR, run, member, new, by="participant", reference=reference)


def record_answer(
    session: Session, actor: Actor, assembly: Assembly, member_id: int, answer: str
) -> PanelMember:
    """An organiser records an answer given by phone or post, or that none came in time."""
    run = seeded_run(session, assembly)
    member = session.get(PanelMember, member_id)
    if run is None or member is None or member.run_id != run.id:
        raise NoSuchMember()
    member = _locked(session, member)
    new = _check(member, run, answer, "organiser")
    reference = _draw_reference(session, run, member.registration_id)
    _answer(session, actor, run, member, new, by="organiser", reference=reference)
    return member


@signals.registration_withdrawn.connect
def _on_registration_withdrawn(registration: Registration, *, session: Session) -> None:
    give_up_seat(session, registration)


def give_up_seat(session: Session, registration: Registration) -> bool:
    """Someone who withdraws or erases their data declines the seat they hold, if any.

    Returns whether they held one; the organiser then fills it like any other decline.
    """
    assembly = session.get(Assembly, registration.assembly_id)
    run = seeded_run(session, assembly) if assembly is not None else None
    if run is None or registration.id is None:
        return False
    member = session.exec(
        select(PanelMember).where(
            PanelMember.run_id == run.id, PanelMember.registration_id == registration.id
        )
    ).first()
    if member is None:
        return False
    member = _locked(session, member)
    if not SEAT.can(member.status, SeatStatus.DECLINED):
        return False
    reference = _draw_reference(session, run, registration.id)
    _answer(
        session,
        PARTICIPANT_ACTOR,
        run,
        member,
        SeatStatus.DECLINED,
        by="withdrawal",
        reference=reference,
    )
    return True
