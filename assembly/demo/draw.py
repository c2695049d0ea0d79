"""A completed panel draw for the demo assembly: quotas, the lottery, the public seed, the
invitations, a few declines and their replacements (made-up people only)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlmodel import Session, select

from ..draw import service
from ..models import Assembly, DrawRun, Membership, Role, User
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
    prepared = service.feasibility_inputs(session, assembly)
    if isinstance(prepared, service.Feasibility):
        return None
    session.rollback()
    found = service.diagnose(prepared)
    relaxations = (found.diagnosis or {}).get("relaxations") or []
    if relaxations:
        # The demo pool is skewed as real pools are; take the engine's suggestion, as an
        # organiser would with one click.
        service.apply_relaxation(
            session, actor, assembly, [service.Relaxation(**r) for r in relaxations]
        )
        session.commit()
    # The same tolerance as a real draw (DRAW_TOLERANCE): the engine is quick enough.
    run = service.create_run(session, actor, assembly, id_source=random.Random(seed))
    session.commit()
    started = time.perf_counter()
    status = service.execute_run(run.id)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    session.expire_all()
    if status != service.DONE:
        return None
    service.publish(session, actor, assembly, DEMO_SEED_METHOD)
    session.commit()
    service.enter_seed(session, actor, assembly, DEMO_SEED)
    session.commit()

    # The letters went out two weeks ago; most answered, a few declined or stayed silent.
    service.send_invitations(session, actor, assembly, date.today() - timedelta(days=1))
    session.commit()
    rng = random.Random(seed)
    run = service.seeded_run(session, assembly)  # type: ignore[assignment]
    seats = service.result(session, run).seats
    # Made-up declines come from members the lottery could have left out: when someone
    # with chance 1 leaves (every person of their kind is needed for a minimum), no
    # replacement can keep the quotas, and the organiser has to change a quota first.
    replaceable = [seat for seat in seats if seat.probability < 1 - 1e-6]
    leaving = rng.sample(replaceable, DECLINES + NO_ANSWERS)
    for index, seat in enumerate(leaving):
        answer = "decline" if index < DECLINES else "no_answer"
        service.record_answer(session, actor, assembly, seat.member.id, answer)  # type: ignore[arg-type]
    for seat in seats:
        if seat not in leaving and rng.random() < 0.97:
            service.record_answer(session, actor, assembly, seat.member.id, "accept")  # type: ignore[arg-type]
    session.commit()
    outcome = service.replace_with_reserves(session, actor, assembly)
    session.commit()
    replaced = len(outcome.done)
    if outcome.remaining:
        plan = service.plan_engine_replacement(session, assembly)
        session.rollback()
        if plan is not None:
            try:
                chosen = service.run_engine_replacement(plan)
            except service.ReplacementImpossible:
                chosen = ()
            if chosen:
                replaced += len(
                    service.apply_engine_replacement(session, actor, assembly, plan, chosen)
                )
                session.commit()
    # The replacements get their invitation with a deadline two weeks from now.
    try:
        service.send_invitations(session, actor, assembly, date.today() + timedelta(days=14))
    except service.NothingToInvite:
        pass
    observer = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(Membership.assembly_id == assembly.id, User.role == Role.OBSERVER.value)
        .order_by(User.id)  # type: ignore[arg-type]
    ).first()
    if observer is not None:
        service.countersign(session, observer, assembly)
    session.commit()
    current_app.logger.debug("Demo draw computed in %.1f s", seconds)
    return DemoDraw(run, seconds, replaced)
