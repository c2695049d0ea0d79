"""A completed panel draw for the demo assembly: quotas, the lottery, the public seed, the
invitations, a few declines and their replacements (made-up people only)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

from babel.dates import format_date
from flask import current_app
from sqlmodel import Session, col, select

from ..audit import Actor
from ..draw import ceremony, feasibility, invitations, jobs, replacements, results, runs
from ..draw.answers import record_answer
from ..draw.errors import NothingToInvite, ReplacementImpossible, StateChanged
from ..models import Assembly, DrawRun, DrawStatus, Membership, PanelMember, Role, User
from ..questionnaire.questions import load_questions
from ..timeutil import from_local, local_day, utcnow

DEMO_SEED = "07 12 19 33 41"
DEMO_SEED_METHOD = (
    "Vijf getallen van 1 tot en met 99, live getrokken door de notaris op {day} "
    "om 20.00 uur tijdens de uitzending van Omroep Zeeland, opgeschreven van klein naar groot "
    "met spaties ertussen (bijvoorbeeld: 03 18 27 44 90)."
)
DECLINES = 4
NO_ANSWERS = 2
# The public draw was at least this long ago: the invitations went out the next day and their
# deadline (two weeks) has passed, so the declines and silences could be replaced.
WEEKS_AGO = 3


@dataclass(frozen=True)
class Timeline:
    """When each step of the demo's draw happened, in UTC (the story the pages tell)."""

    computed: datetime  # the lottery computed
    published: datetime  # its fingerprint and the seed method published
    ceremony: datetime  # the seed drawn live, as announced
    invited: datetime
    respond_by: date

    @property
    def announced_day(self) -> str:
        """The announced moment as the seed method says it: "woensdag 5 november"."""
        return format_date(local_day(self.ceremony), "EEEE d MMMM", locale="nl")


def timeline(now: datetime | None = None) -> Timeline:
    """A Wednesday evening at least three weeks ago, and the week before and after it."""
    today = local_day(now or utcnow())
    day = today - timedelta(weeks=WEEKS_AGO)
    day -= timedelta(days=(day.weekday() - 2) % 7)  # back to a Wednesday
    ceremony_at = from_local(datetime.combine(day, clock(20, 0)))
    return Timeline(
        computed=from_local(datetime.combine(day - timedelta(days=8), clock(15, 12))),
        published=from_local(datetime.combine(day - timedelta(days=7), clock(10, 30))),
        ceremony=ceremony_at + timedelta(minutes=4),
        invited=from_local(datetime.combine(day + timedelta(days=1), clock(9, 0))),
        respond_by=day + timedelta(days=15),
    )


@dataclass
class DemoDraw:
    run: DrawRun
    seconds: float
    replaced: int


def add_demo_draw(
    session: Session, assembly: Assembly, actor: str = "cli:demo", seed: int = 2025
) -> DemoDraw | None:
    """Draw the demo panel from the demo pool; None when there is no pool to draw from.

    Commits along the way, as the real process does (the lottery is computed outside any
    transaction).
    """
    if not load_questions(session, assembly):
        return None
    found = feasibility.check(session, assembly)
    if found.problem is not None:
        return None
    if found.relaxations:
        # The demo pool is skewed as real pools are; take the engine's suggestion, as an
        # organiser would with one click.
        feasibility.apply_relaxation(
            session, actor, assembly, [feasibility.Relaxation(**r) for r in found.relaxations]
        )
        session.commit()
    # The same tolerance as a real draw (DRAW_TOLERANCE): the engine is quick enough.
    run = runs.create_run(session, actor, assembly, id_source=random.Random(seed))
    session.commit()
    assert run.id is not None
    started = time.perf_counter()
    status = jobs.execute_run(run.id)
    seconds = time.perf_counter() - started
    session.expire_all()
    if status != DrawStatus.DONE:
        return None
    # The story the pages tell: computed, published a week before the announced evening,
    # the seed drawn live that evening, the invitations sent the next morning.
    when = timeline()
    ceremony.publish(
        session,
        actor,
        assembly,
        DEMO_SEED_METHOD.format(day=when.announced_day),
        accept_zero_chance=True,
    )
    session.commit()
    run = ceremony.enter_seed(session, actor, assembly, DEMO_SEED)
    session.commit()
    invitations.send_invitations(session, actor, assembly, when.respond_by)
    session.commit()
    _set_times(session, run, when)
    # Most answered within the two weeks; a few declined or stayed silent.
    rng = random.Random(seed)
    seats = results.result(session, run).seats
    # Made-up declines come from members the lottery could have left out: when someone
    # with chance 1 leaves (every person of their kind is needed for a minimum), no
    # replacement can keep the quotas, and the organiser has to change a quota first.
    replaceable = [seat for seat in seats if seat.probability < 1 - 1e-6]
    leaving = rng.sample(replaceable, DECLINES + NO_ANSWERS)
    for index, seat in enumerate(leaving):
        answer = "decline" if index < DECLINES else "no_answer"
        _record(session, actor, assembly, seat, answer)
    for seat in seats:
        if seat not in leaving and rng.random() < 0.97:
            _record(session, actor, assembly, seat, "accept")
    for seat in seats:
        if seat.member.responded_at is not None:
            # The answers came in during the two weeks after the invitations.
            seat.member.responded_at = when.invited + timedelta(hours=rng.uniform(2, 13 * 24))
            session.add(seat.member)
    session.commit()
    try:
        replaced = len(replacements.fill_open_seats(session, actor, assembly).done)
    except (ReplacementImpossible, StateChanged):
        replaced = 0
    # The replacements get their invitation with a deadline two weeks from now.
    try:
        invitations.send_invitations(session, actor, assembly, date.today() + timedelta(days=14))
    except NothingToInvite:
        pass
    observer = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.assembly_id == assembly.id, User.role == Role.OBSERVER.value)
        .order_by(col(User.id))
    ).first()
    if observer is not None:
        signature = ceremony.countersign(session, observer, assembly)
        # The notary signed that evening, right after the draw.
        signature.signed_at = when.ceremony + timedelta(minutes=11)
        session.add(signature)
    session.commit()
    current_app.logger.debug("Demo draw computed in %.1f s", seconds)
    return DemoDraw(run, seconds, replaced)


def _set_times(session: Session, run: DrawRun, when: Timeline) -> None:
    """Date the draw's own records as the story goes (the audit log keeps the real times)."""
    run.created_at = run.started_at = when.computed
    run.finished_at = run.heartbeat_at = when.computed + timedelta(seconds=9)
    run.published_at = when.published
    run.seeded_at = when.ceremony
    session.add(run)
    for member in session.exec(select(PanelMember).where(PanelMember.run_id == run.id)):
        member.created_at = when.ceremony
        if member.invited_at is not None:
            member.invited_at = when.invited
        session.add(member)
    session.commit()


def _record(
    session: Session, actor: Actor, assembly: Assembly, seat: results.Seat, answer: str
) -> None:
    assert seat.member.id is not None
    record_answer(session, actor, assembly, seat.member.id, answer)
