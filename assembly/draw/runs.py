"""The lotteries of an assembly: finding them, and starting, stopping or restarting one.

A run snapshots the inputs (the eligible pool and the quotas, as the files that are
published) and is computed by a background job (:mod:`.jobs`). One run at a time; once a
run is published, no new one may start, so the seed ceremony cannot be undermined.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from .. import audit
from .. import jobs as queue
from ..audit import Actor
from ..mail import after_commit
from ..models import Assembly, DrawRun, DrawStatus, PanelMember
from ..settings import settings as configured
from ..states import DRAW
from ..timeutil import utcnow
from . import engine
from .errors import DrawInProgress, DrawPublished, NoRun, NotRestartable
from .jobs import RUNS, run_draw_job

log = logging.getLogger(__name__)

ACTIVE = (DrawStatus.QUEUED, DrawStatus.RUNNING)


# --- finding runs -----------------------------------------------------------------------------


def runs(session: Session, assembly: Assembly) -> list[DrawRun]:
    """Every run of ``assembly``, newest first."""
    query = (
        select(DrawRun).where(DrawRun.assembly_id == assembly.id).order_by(col(DrawRun.id).desc())
    )
    return list(session.exec(query))


def latest_run(session: Session, assembly: Assembly) -> DrawRun | None:
    found = runs(session, assembly)
    return found[0] if found else None


def published_run(session: Session, assembly: Assembly) -> DrawRun | None:
    query = select(DrawRun).where(
        DrawRun.assembly_id == assembly.id, col(DrawRun.published_at).is_not(None)
    )
    return session.exec(query).first()


def seeded_run(session: Session, assembly: Assembly) -> DrawRun | None:
    """The published run once its seed has drawn the panel."""
    run = published_run(session, assembly)
    return run if run is not None and run.seed is not None else None


def is_stale(run: DrawRun, now: datetime | None = None) -> bool:
    """A running job whose worker stopped writing its heartbeat (it died or was killed)."""
    return RUNS.is_stale(run, now)


def can_restart(run: DrawRun) -> bool:
    return is_stale(run) or run.status == DrawStatus.FAILED


def is_computing(run: DrawRun | None) -> bool:
    """A run that a live worker is (or soon will be) computing."""
    return run is not None and run.status in ACTIVE and not is_stale(run)


# --- starting, stopping, restarting -------------------------------------------------------------


def lock_assembly(session: Session, assembly: Assembly) -> None:
    """Serialise a check-then-write on this assembly's draw until the transaction ends.

    On PostgreSQL a row lock (``SELECT … FOR UPDATE``); on SQLite every transaction
    already holds the write lock (BEGIN IMMEDIATE), and FOR UPDATE is not rendered.
    """
    session.exec(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update()).one()


Row = TypeVar("Row", DrawRun, PanelMember)


def locked_row(session: Session, model: type[Row], row_id: int | None) -> Row:
    """The row read again, locked until the transaction ends (``SELECT … FOR UPDATE``).

    What another request committed meanwhile (a seed, a signature, an answer) is then
    visible: the check that follows holds until this transaction commits.
    """
    query = (
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(query).one()


def locked(session: Session, run: DrawRun) -> DrawRun:
    """``run`` read again with its row locked (see :func:`locked_row`)."""
    return locked_row(session, DrawRun, run.id)


def start_draw(session: Session, actor: Actor, assembly: Assembly) -> DrawRun:
    """Snapshot the inputs and queue the computation of the lottery (after the commit)."""
    run = create_run(session, actor, assembly)
    _enqueue_after_commit(session, run)
    return run


def create_run(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    *,
    tolerance: float | None = None,
    id_source: random.Random | None = None,
) -> DrawRun:
    """Snapshot the inputs of a new lottery; :func:`.jobs.execute_run` computes it.

    ``tolerance`` is the engine's: how far each chance may be from exact LEXIMIN (the
    configured ``DRAW_TOLERANCE``, by default 1e-6). It is part of the published settings.

    Raises
    ------
    DrawPublished, DrawInProgress, NoCategories, PoolTooSmall, BadInputs
    """
    lock_assembly(session, assembly)
    for run in runs(session, assembly):
        if run.published_at is not None:
            raise DrawPublished()
        if run.status in ACTIVE:
            if not is_stale(run):
                raise DrawInProgress()
            run.status = DRAW.move(run.status, DrawStatus.FAILED)
            run.error = "worker stopped"
            run.finished_at = utcnow()
            session.add(run)
    if tolerance is None:
        tolerance = configured().draw_tolerance
    inputs = engine.build_inputs(session, assembly, tolerance, id_source=id_source)
    engine.load(inputs.people_csv, inputs.categories_csv, assembly.panel_size)
    assert assembly.id is not None
    run = DrawRun(
        assembly_id=assembly.id,
        panel_size=assembly.panel_size,
        reserves=assembly.reserves,
        algorithm=engine.ALGORITHM,
        pool_size=inputs.pool_size,
        households=inputs.households,
        people_csv=inputs.people_csv.decode("utf-8"),
        categories_csv=inputs.categories_csv.decode("utf-8"),
        settings_json=json.dumps(inputs.settings, sort_keys=True),
        targets_json=json.dumps(inputs.targets, ensure_ascii=False),
        fingerprint=inputs.fingerprint,
        id_map_json=json.dumps(inputs.registration_ids, sort_keys=True),
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "draw.start",
        run,
        {
            "fingerprint": inputs.fingerprint,
            "pool": inputs.pool_size,
            "households": inputs.households,
            "panel_size": assembly.panel_size,
            "reserves": assembly.reserves,
        },
        assembly=assembly,
    )
    return run


def _enqueue_after_commit(session: Session, run: DrawRun) -> None:
    run_id = run.id
    assert run_id is not None
    after_commit(session, lambda: _enqueue(run_id))


def _enqueue(run_id: int) -> None:
    try:
        queue.enqueue(run_draw_job, run_id)
    except (OSError, ConnectionError) as exc:
        # The run stays queued; the organiser can restart it when the queue is back.
        log.warning("Could not queue draw run %s: %s", run_id, exc)


def request_cancel(session: Session, actor: Actor, assembly: Assembly) -> DrawRun:
    """Stop the current run: at once when queued or dead, else at the engine's next report."""
    run = latest_run(session, assembly)
    if run is None or run.status not in ACTIVE:
        raise NoRun()
    if run.status == DrawStatus.QUEUED or is_stale(run):
        run.status = DRAW.move(run.status, DrawStatus.CANCELLED)
        run.finished_at = utcnow()
    else:
        run.cancel_requested = True
    session.add(run)
    audit.record(
        session, actor, "draw.cancel", run, {"fingerprint": run.fingerprint}, assembly=assembly
    )
    return run


def restart(session: Session, actor: Actor, assembly: Assembly) -> DrawRun:
    """Queue a run again whose worker died (stale heartbeat) or that failed."""
    run = latest_run(session, assembly)
    if run is None or not can_restart(run):
        raise NotRestartable()
    run.status = DRAW.move(run.status, DrawStatus.QUEUED)
    run.cancel_requested = False
    run.progress = 0.0
    run.progress_message = ""
    run.error = ""
    run.heartbeat_at = None
    run.finished_at = None
    session.add(run)
    audit.record(
        session,
        actor,
        "draw.restart",
        run,
        {"fingerprint": run.fingerprint, "attempts": run.attempts},
        assembly=assembly,
    )
    _enqueue_after_commit(session, run)
    return run
