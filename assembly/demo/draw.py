"""A completed panel draw for the demo assembly: quotas, the lottery, the public seed, the
invitations, a few declines and their replacements (made-up people only)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlmodel import Session, col, select

from ..audit import Actor
from ..draw import ceremony, feasibility, invitations, jobs, replacements, results, runs
from ..draw.answers import record_answer
from ..draw.errors import NothingToInvite, ReplacementImpossible, StateChanged
from ..models import Assembly, DrawRun, DrawStatus, Membership, Role, User
from ..questionnaire.questions import load_questions

DEMO_SEED = "07 12 19 33 41"
DEMO_SEED_METHOD = (
    "Vijf getallen van 1 tot en met 99, live getrokken door de notaris op woensdag 12 maart "
    "om 20.00 uur tijdens de uitzending van Omroep Zeeland, opgeschreven van klein naar groot "
    "met spaties ertussen (bijvoorbeeld: 03 18 27 44 90)."
)
DECLINES = 4
NO_ANSWERS = 2


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
    ceremony.publish(session, actor, assembly, DEMO_SEED_METHOD)
    session.commit()
    run = ceremony.enter_seed(session, actor, assembly, DEMO_SEED)
    session.commit()

    # The letters went out two weeks ago; most answered, a few declined or stayed silent.
    invitations.send_invitations(session, actor, assembly, date.today() - timedelta(days=1))
    session.commit()
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
        ceremony.countersign(session, observer, assembly)
    session.commit()
    current_app.logger.debug("Demo draw computed in %.1f s", seconds)
    return DemoDraw(run, seconds, replaced)


def _record(
    session: Session, actor: Actor, assembly: Assembly, seat: results.Seat, answer: str
) -> None:
    assert seat.member.id is not None
    record_answer(session, actor, assembly, seat.member.id, answer)
