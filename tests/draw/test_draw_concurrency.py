"""#12.1: every check-then-write of the draw holds in the database, also with several web
workers on PostgreSQL: one answer per seat, one replacement per open seat, one signature per
observer, one seed, one invitation per member. Threads act at once, each with a session of
its own, as the workers of a server do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from assembly.db import new_session
from assembly.draw import answers, ceremony, invitations, replacements, results, runs
from assembly.draw.errors import DrawError
from assembly.models import (
    Assembly,
    AuditEntry,
    DrawRun,
    DrawSignature,
    OutboxMessage,
    PanelMember,
    User,
)

from ..conftest import TEST_DATABASE_URL
from .conftest import compute, draw

pytestmark = pytest.mark.postgres
THREADS = 8


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip(
            "PostgreSQL-specific: no PostgreSQL server configured "
            "(set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/burgerberaad_test)"
        )


def at_once(app, action: Callable[..., object], n: int = THREADS) -> tuple[int, list[str]]:
    """Run ``action(session)`` in ``n`` threads released together; (successes, refusals)."""
    barrier = threading.Barrier(n)
    done: list[object] = []
    refused: list[str] = []
    crashed: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            session = new_session(app)
            try:
                barrier.wait()
                action(session)
                session.commit()
                done.append(True)
            except DrawError as error:
                session.rollback()
                refused.append(type(error).__name__)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                session.rollback()
                crashed.append(error)
            finally:
                session.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashed == [], crashed  # no 500: every refusal is a message
    return len(done), refused


def _count(app, query) -> int:
    with app.app_context():
        session = new_session(app)
        try:
            return session.exec(query).one()
        finally:
            session.close()


def _the_assembly(session):
    return session.exec(select(Assembly).where(Assembly.slug == "beraad-a")).one()


def _first_seat(app) -> int:
    with app.app_context():
        session = new_session(app)
        run = runs.seeded_run(session, _the_assembly(session))
        seat = results.result(session, run).seats[0].member.id
        session.close()
    return seat


def test_a_seat_is_accepted_once(app, pool) -> None:
    draw(app)
    seat = _first_seat(app)

    def accept(session) -> None:
        member = session.get(PanelMember, seat)
        run = session.get(DrawRun, member.run_id)
        answers.respond(session, member, run, "accept", "ref")

    done, refused = at_once(app, accept)
    assert done == 1 and set(refused) == {"ResponseNotAllowed"}
    accepted = select(func.count()).where(AuditEntry.action == "draw.accepted")
    assert _count(app, accepted) == 1


def test_an_open_seat_is_filled_once(app, pool) -> None:
    draw(app)
    seat = _first_seat(app)
    with app.app_context():
        session = new_session(app)
        answers.record_answer(session, "test", _the_assembly(session), seat, "decline")
        session.commit()
        session.close()

    def fill(session) -> None:
        replacements.fill_open_seats(session, "test", _the_assembly(session))

    done, refused = at_once(app, fill, 4)
    assert done == 1 and set(refused) <= {"NothingToReplace", "StateChanged"}
    taken = select(func.count()).where(PanelMember.replaces_id == seat)
    assert _count(app, taken) == 1


def test_an_observer_signs_once(app, world, pool) -> None:
    draw(app)

    def sign(session) -> None:
        observer = session.exec(select(User).where(User.email == world.emails["observer"])).one()
        ceremony.countersign(session, observer, _the_assembly(session))

    done, refused = at_once(app, sign)
    assert done == 1 and set(refused) == {"AlreadySigned"}
    assert _count(app, select(func.count()).select_from(DrawSignature)) == 1


def test_the_seed_is_entered_once(app, pool) -> None:
    compute(app)
    with app.app_context():
        session = new_session(app)
        try:
            ceremony.publish(session, "test", _the_assembly(session), "Live.")
            session.commit()
        finally:
            session.close()
    seeds = iter(f"seed {n}" for n in range(THREADS))
    lock = threading.Lock()

    def enter(session) -> None:
        with lock:
            seed = next(seeds)
        ceremony.enter_seed(session, "test", _the_assembly(session), seed)

    done, refused = at_once(app, enter)
    assert done == 1 and set(refused) == {"AlreadySeeded"}
    assert _count(app, select(func.count()).where(AuditEntry.action == "draw.seed")) == 1


def test_members_are_invited_once(app, pool) -> None:
    draw(app)

    def invite(session) -> None:
        invitations.send_invitations(
            session, "test", _the_assembly(session), date.today() + timedelta(days=7)
        )

    done, refused = at_once(app, invite, 4)
    assert done == 1 and set(refused) == {"NothingToInvite"}
    invites = select(func.count()).where(OutboxMessage.subject.like("%geloot%"))
    with app.app_context():
        session = new_session(app)
        run = runs.seeded_run(session, _the_assembly(session))
        with_email = [s for s in results.result(session, run).seats if s.registration.email]
        session.close()
    assert _count(app, invites) == len(with_email)
