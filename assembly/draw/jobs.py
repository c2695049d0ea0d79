"""The background job that computes a lottery: claim the run, solve, store the result.

No transaction is open while the engine works: the inputs are read in one short
transaction, the result written in another, and the heartbeat in between in its own. The
job runs outside any request; it records itself in the audit log as ``job:draw``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert
from sqlmodel import Session, select

from .. import audit
from .. import jobs as queue
from ..db import session_scope
from ..models import DrawPerson, DrawRun, DrawStatus
from ..settings import settings as configured
from ..states import DRAW
from ..timeutil import utcnow
from ..tracked import Heartbeat, Tracker
from . import engine
from .errors import BadInputs

JOB_ACTOR = "job:draw"

# A lottery's computation, tracked in its row (claim, heartbeat, staleness).
RUNS = Tracker(
    DrawRun,
    heartbeat="heartbeat_at",
    stale_after=lambda: configured().draw_stale_after,
    attempts="attempts",
)

Solver = Callable[..., engine.Solved]


class DrawCancelled(Exception):
    """Raised inside the job when the organiser cancelled the run."""


@queue.job()
def run_draw_job(run_id: int) -> None:
    execute_run(run_id)


class _Monitor:
    """The job's link to the database while the solver runs: heartbeat, progress, cancel.

    A thread writes the heartbeat every few seconds, so a run whose worker died is
    recognisable by its stale heartbeat, even when the engine reports no progress for a
    while. Progress reports are written at most every ``DRAW_PROGRESS_SECONDS``; when the
    organiser cancels, the next report raises :class:`DrawCancelled` inside the engine.
    """

    def __init__(self, app: Flask, run_id: int, attempt: int) -> None:
        self.throttle = configured(app).draw_progress_seconds
        self.fraction = 0.0
        self.message = ""
        self.heartbeat = Heartbeat(
            app,
            RUNS,
            run_id,
            attempt,
            every=configured(app).draw_heartbeat_seconds,
            values=lambda: {"progress": self.fraction, "progress_message": self.message[:300]},
            cancel=_cancel_requested,
        )
        self.cancelled = self.heartbeat.stop

    def __enter__(self) -> _Monitor:
        self.heartbeat.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.heartbeat.__exit__(*exc)

    def progress(self, fraction: float | None, message: str) -> None:
        """The engine's progress callback."""
        if fraction is not None:
            self.fraction = max(0.0, min(1.0, float(fraction)))
        self.message = message
        if self.heartbeat.since_write() >= self.throttle:
            self.heartbeat.write()
        if self.cancelled.is_set():
            raise DrawCancelled()


def _cancel_requested(session: Session, run_id: int) -> bool:
    query = select(DrawRun.cancel_requested).where(DrawRun.id == run_id)
    return bool(session.exec(query).first())


def execute_run(run_id: int, *, solve: Solver | None = None) -> str:
    """Compute the lottery of one run and store it; returns the status it ended in.

    "skipped" when the run was not queued (already claimed, or cancelled), "obsolete"
    when it was restarted elsewhere meanwhile.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    solve = solve or engine.solve
    now = utcnow()
    with session_scope(app) as session:
        attempt = RUNS.claim(
            session,
            run_id,
            started_at=now,
            progress=0.0,
            progress_message="",
            cancel_requested=False,
        )
        if attempt is None:
            return "skipped"
        run = session.get(DrawRun, run_id)
        assert run is not None
        people_csv = run.people_csv.encode("utf-8")
        categories_csv = run.categories_csv.encode("utf-8")
        settings = json.loads(run.settings_json)
        panel_size, reserves = run.panel_size, run.reserves
    monitor = _Monitor(app, run_id, attempt)
    try:
        with monitor:
            loaded = engine.load(people_csv, categories_csv, panel_size)
            solved = solve(
                loaded,
                people_csv,
                categories_csv,
                settings,
                reserves,
                progress=monitor.progress,
                tolerance=float(settings.get("tolerance", engine.ENGINE_TOLERANCE)),
                time_limit=configured(app).draw_time_limit,
            )
            if monitor.cancelled.is_set():
                raise DrawCancelled()
    except DrawCancelled:
        return _finish(app, run_id, attempt, DrawStatus.CANCELLED)
    except engine.Infeasible as error:
        return _finish(app, run_id, attempt, DrawStatus.INFEASIBLE, diagnosis=error.diagnosis)
    except engine.SolveFailed as error:
        return _finish(app, run_id, attempt, DrawStatus.FAILED, error=str(error))
    except BadInputs as error:
        return _finish(app, run_id, attempt, DrawStatus.FAILED, error=error.params["message"])
    except Exception as error:
        # Recorded so the page offers a restart instead of waiting for a heartbeat.
        _finish(app, run_id, attempt, DrawStatus.FAILED, error=type(error).__name__)
        raise
    return _save(app, run_id, attempt, solved)


def _finish(
    app: Flask,
    run_id: int,
    attempt: int,
    status: DrawStatus,
    *,
    error: str = "",
    diagnosis: dict[str, Any] | None = None,
) -> str:
    with session_scope(app) as session:
        run = RUNS.owned(session, run_id, attempt)
        if run is None:
            return "obsolete"
        run.status = DRAW.move(run.status, status)
        run.finished_at = utcnow()
        run.error = error[:1000]
        if diagnosis is not None:
            run.diagnosis_json = json.dumps(diagnosis, ensure_ascii=False)
        session.add(run)
        audit.record(
            session,
            JOB_ACTOR,
            f"draw.{status}",
            run,
            {"fingerprint": run.fingerprint, **({"error": error[:200]} if error else {})},
            assembly=run.assembly_id,
        )
    return status


def _save(app: Flask, run_id: int, attempt: int, solved: engine.Solved) -> str:
    text = engine.report_text(solved.report)
    probabilities = solved.probabilities
    with session_scope(app) as session:
        run = RUNS.owned(session, run_id, attempt)
        if run is None:
            return "obsolete"
        if run.cancel_requested:
            run.status = DRAW.move(run.status, DrawStatus.CANCELLED)
            run.finished_at = utcnow()
            session.add(run)
            audit.record(
                session,
                JOB_ACTOR,
                "draw.cancelled",
                run,
                {"fingerprint": run.fingerprint},
                assembly=run.assembly_id,
            )
            return DrawStatus.CANCELLED
        ids: dict[str, int] = json.loads(run.id_map_json)
        rows = [
            {
                "run_id": run_id,
                "registration_id": ids[reference],
                "reference": reference,
                "probability": probability,
                "selected": False,
                "reserve_rank": None,
            }
            for reference, probability in probabilities.items()
            if reference in ids
        ]
        if rows:
            session.execute(insert(DrawPerson), rows)
        values = list(probabilities.values())
        run.report_json = text
        run.lottery_sha256 = engine.sha256_text(text)
        run.min_probability = min(values) if values else None
        run.max_probability = max(values) if values else None
        run.status = DRAW.move(run.status, DrawStatus.DONE)
        run.progress = 1.0
        run.progress_message = ""
        run.finished_at = utcnow()
        run.heartbeat_at = run.finished_at
        session.add(run)
        audit.record(
            session,
            JOB_ACTOR,
            "draw.computed",
            run,
            {
                "fingerprint": run.fingerprint,
                "lottery_sha256": run.lottery_sha256,
                "min_probability": run.min_probability,
                "max_probability": run.max_probability,
                "panels": solved.summary.get("n_panels"),
                "seconds": round(float(solved.summary.get("solve_time") or 0), 2),
                "status": solved.summary.get("message"),
            },
            assembly=run.assembly_id,
        )
    return DrawStatus.DONE
