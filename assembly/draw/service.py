"""The panel draw: quotas, the lottery as a background job, the public seed ceremony, the
result, invitations and replacements.

Views call these with the request's session; nothing here commits, except the background
job (:func:`execute_run`), which runs outside any request in short transactions of its own
so that no transaction is open while the solver works. Errors are typed so the view can
say what went wrong in the organiser's language. Audit payloads hold fingerprints, seeds
and the random references, never names, contact details or tokens.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import logging
import random
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, insert
from sqlmodel import Session, select

import sortition

from .. import audit, signals
from ..audit import Actor
from ..db import session_scope
from ..mail import after_commit, queue_mail
from ..models import (
    Address,
    Assembly,
    CategoryOption,
    DrawPerson,
    DrawRun,
    DrawSignature,
    Invitation,
    InvitationBatch,
    PanelMember,
    Registration,
    SessionDate,
    User,
)
from ..pool.eligibility import is_in_pool
from ..questionnaire.questions import load_questions
from ..questionnaire.session_dates import load_session_dates
from ..questionnaire.shares import ShareInvalid, parse_share
from ..settings import settings as configured
from ..timeutil import as_utc, end_of_day, local_day, local_time, utcnow
from ..tokens import token_digest
from ..tracked import Heartbeat, Tracker
from . import engine

log = logging.getLogger(__name__)

# A lottery's computation, tracked in its row (claim, heartbeat, staleness).
RUNS = Tracker(
    DrawRun,
    heartbeat="heartbeat_at",
    stale_after=lambda: configured().draw_stale_after,
    attempts="attempts",
)

QUEUED, RUNNING, DONE, INFEASIBLE, FAILED, CANCELLED = (
    "queued",
    "running",
    "done",
    "infeasible",
    "failed",
    "cancelled",
)
ACTIVE = (QUEUED, RUNNING)
PENDING, ACCEPTED, DECLINED, NO_ANSWER = "pending", "accepted", "declined", "no_answer"
SEATED = (PENDING, ACCEPTED)
LEFT = (DECLINED, NO_ANSWER)
ANSWERS = ("accept", "decline", "no_answer")
JOB_ACTOR = "job:draw"
PARTICIPANT_ACTOR = "participant"
MAX_SEED_METHOD = 2000
MAX_SEED = 200


class DrawError(Exception):
    pass


class DrawInProgress(DrawError):
    """A lottery is being computed for this assembly; one at a time."""


class DrawPublished(DrawError):
    """A lottery was published; its seed ceremony must not be undermined by a new one."""


class NoRun(DrawError):
    """There is no lottery to act on."""


class NotRestartable(DrawError):
    """The run is alive (its heartbeat is recent) or already finished."""


class NotDone(DrawError):
    """The lottery has not been computed (yet), so it cannot be published."""


class AlreadyPublished(DrawError):
    pass


class NotPublished(DrawError):
    pass


class AlreadySeeded(DrawError):
    pass


class NotSeeded(DrawError):
    pass


class AlreadySigned(DrawError):
    pass


class QuotasChanged(DrawError):
    """The quotas changed since the suggestion was made; check again."""


class InvalidQuotas(DrawError):
    """``args[0]``: option id -> reason code (``min_above_max``, ``max_above_panel``)."""


class SharesRejected(DrawError):
    """The population figures file has errors (``args[0]``: list of RowError)."""


class NothingToInvite(DrawError):
    pass


class NoSuchMember(DrawError):
    pass


class AnswerNotAllowed(DrawError):
    """The seat's status does not allow this answer (already answered, or replaced)."""


class DeadlinePassed(DrawError):
    pass


class DeadlineNotPassed(DrawError):
    """ "No answer" can only be recorded after the deadline."""


class NothingToReplace(DrawError):
    pass


class ReplacementImpossible(DrawError):
    """No replacement keeps every quota (``args[0]``: the engine's diagnosis, if any)."""


class StateChanged(DrawError):
    """The panel changed while replacements were being computed; try again."""


class DrawCancelled(Exception):
    """Raised inside the job when the organiser cancelled the run."""


# --- helpers ------------------------------------------------------------------------------


def _lock(session: Session, assembly: Assembly) -> None:
    # Serialises starting runs per assembly on PostgreSQL; on SQLite every transaction
    # already holds the write lock (BEGIN IMMEDIATE), and FOR UPDATE is not rendered.
    session.exec(select(Assembly.id).where(Assembly.id == assembly.id).with_for_update()).one()


def runs(session: Session, assembly: Assembly) -> list[DrawRun]:
    query = (
        select(DrawRun).where(DrawRun.assembly_id == assembly.id).order_by(DrawRun.id.desc())  # type: ignore[union-attr]
    )
    return list(session.exec(query))


def latest_run(session: Session, assembly: Assembly) -> DrawRun | None:
    found = runs(session, assembly)
    return found[0] if found else None


def published_run(session: Session, assembly: Assembly) -> DrawRun | None:
    query = select(DrawRun).where(
        DrawRun.assembly_id == assembly.id,
        DrawRun.published_at.is_not(None),  # type: ignore[union-attr]
    )
    return session.exec(query).first()


def seeded_run(session: Session, assembly: Assembly) -> DrawRun | None:
    run = published_run(session, assembly)
    return run if run is not None and run.seed is not None else None


def is_stale(run: DrawRun, now: datetime | None = None) -> bool:
    """A running job whose worker stopped writing its heartbeat (it died or was killed)."""
    return RUNS.is_stale(run, now)


def can_restart(run: DrawRun) -> bool:
    return is_stale(run) or run.status == FAILED


def _refs_payload(name: str, references: list[str]) -> dict[str, Any]:
    # References are random and say nothing about a person; very long lists are replaced
    # by their hash so that the entry stays within the audit log's size limit.
    if len(references) * 12 > 3000:
        digest = hashlib.sha256("\n".join(references).encode()).hexdigest()
        return {f"{name}_count": len(references), f"{name}_sha256": digest}
    return {name: references}


# --- quotas -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaInput:
    share: float | None
    tolerance: float
    min: int
    max: int


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


def save_quotas(
    session: Session, actor: Actor, assembly: Assembly, submitted: dict[int, QuotaInput]
) -> int:
    """Store shares, tolerances and bounds; returns how many values changed.

    Min and max follow the share and tolerance (panel size × share ± tolerance, rounded
    outward) unless the organiser typed other numbers; typing the computed number again
    makes it follow once more.
    """
    lines = {line.option_id: line for line in engine.quota_lines(session, assembly)}
    errors: dict[int, str] = {}
    changes = []
    planned: list[tuple[CategoryOption, float | None, float, int | None, int | None]] = []
    for option_id, new in submitted.items():
        line = lines.get(option_id)
        option = session.get(CategoryOption, option_id) if line is not None else None
        if line is None or option is None:
            continue
        share = None if line.prefer_not else new.share
        target_changed = not _same(share, line.share) or not _same(new.tolerance, line.tolerance)
        low, high = engine.computed_bounds(share, new.tolerance, assembly.panel_size)
        quota_min, quota_max = option.quota_min, option.quota_max
        if new.min != line.min:
            quota_min = None if new.min == low else new.min
        elif target_changed:
            quota_min = None
        if new.max != line.max:
            quota_max = None if new.max == high else new.max
        elif target_changed:
            quota_max = None
        effective_min = low if quota_min is None else quota_min
        effective_max = high if quota_max is None else quota_max
        if effective_max > assembly.panel_size:
            errors[option_id] = "max_above_panel"
        elif effective_min > effective_max:
            errors[option_id] = "min_above_max"
        if not target_changed and (quota_min, quota_max) == (option.quota_min, option.quota_max):
            continue
        planned.append((option, share, new.tolerance, quota_min, quota_max))
        changes.append(
            {
                "category": line.category,
                "value": line.value,
                "share": share,
                "tolerance": new.tolerance,
                "min": effective_min,
                "max": effective_max,
            }
        )
    if errors:
        raise InvalidQuotas(errors)
    for option, share, tolerance, quota_min, quota_max in planned:
        if not option.prefer_not:
            option.population_share = share
        option.tolerance = tolerance
        option.quota_min = quota_min
        option.quota_max = quota_max
        session.add(option)
    if changes:
        audit.record(session, actor, "draw.quotas", assembly, {"changes": changes[:60]})
    return len(changes)


@dataclass
class RowError:
    row: int  # the line in the file, the header being line 1
    column: str
    reason: str  # a code; the view words it


SHARE_COLUMNS = {
    "category": ("category", "categorie", "feature", "kenmerk"),
    "value": ("value", "waarde"),
    "share": ("share", "aandeel", "population_share", "percentage"),
}


def import_shares(session: Session, actor: Actor, assembly: Assembly, stream: IO[bytes]) -> int:
    """Set population shares from a CSV ``category,value,share``; returns how many changed.

    Every row is checked first; with any error nothing changes (:class:`SharesRejected`).
    """
    errors: list[RowError] = []
    try:
        text = stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SharesRejected([RowError(1, "", "encoding")]) from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    positions: dict[str, int] = {}
    for name, aliases in SHARE_COLUMNS.items():
        for index, title in enumerate(header):
            if title in aliases:
                positions[name] = index
                break
        else:
            errors.append(RowError(1, aliases[0], "missing_column"))
    if errors:
        raise SharesRejected(errors)
    options = {
        (sortition.normalize(q.category), sortition.normalize(o.value)): o
        for q, opts in load_questions(session, assembly)
        for o in opts
    }
    updates: dict[int, tuple[CategoryOption, float]] = {}
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        line = reader.line_num
        if len(cells) < len(header):
            errors.append(RowError(line, "", "columns"))
            continue
        category = cells[positions["category"]]
        value = cells[positions["value"]]
        option = options.get((sortition.normalize(category), sortition.normalize(value)))
        if option is None:
            errors.append(RowError(line, header[positions["value"]], "unknown_value"))
            continue
        try:
            share = parse_share(cells[positions["share"]])
        except ShareInvalid:
            errors.append(RowError(line, header[positions["share"]], "share"))
            continue
        if option.prefer_not:
            errors.append(RowError(line, header[positions["value"]], "prefer_not"))
            continue
        updates[option.id] = (option, share)  # type: ignore[index]
    if errors:
        raise SharesRejected(errors[:100])
    changed = 0
    for option, share in updates.values():
        if _same(option.population_share, share):
            continue
        option.population_share = share
        # The bounds follow the new share.
        option.quota_min = None
        option.quota_max = None
        session.add(option)
        changed += 1
    audit.record(
        session, actor, "draw.shares_import", assembly, {"rows": len(updates), "changed": changed}
    )
    return changed


# --- feasibility --------------------------------------------------------------------------


@dataclass
class Feasibility:
    problem: str = ""  # no_categories | pool_too_small | bad_inputs
    problem_params: dict[str, Any] = field(default_factory=dict)
    diagnosis: dict[str, Any] | None = None
    pool_size: int = 0
    households: int = 0


def feasibility_inputs(session: Session, assembly: Assembly) -> Feasibility | engine.Loaded:
    """Read what the check needs; the caller ends the transaction before :func:`diagnose`."""
    try:
        inputs = engine.build_inputs(session, assembly)
        return engine.load(inputs.people_csv, inputs.categories_csv, assembly.panel_size)
    except engine.NoCategories:
        return Feasibility(problem="no_categories")
    except engine.PoolTooSmall as exc:
        return Feasibility(
            problem="pool_too_small", problem_params={"pool": exc.args[0], "panel": exc.args[1]}
        )
    except engine.BadInputs as exc:
        return Feasibility(problem="bad_inputs", problem_params={"message": str(exc.args[0])})


def diagnose(loaded: engine.Loaded) -> Feasibility:
    """The engine's feasibility check and, when the quotas conflict, the smallest fix."""
    diagnosis = engine.check(loaded)
    pool = loaded.instance.pool
    households = len(set(pool.households.tolist())) if pool.households is not None else pool.size
    return Feasibility(
        diagnosis=engine.diagnosis_to_dict(diagnosis), pool_size=pool.size, households=households
    )


@dataclass(frozen=True)
class Relaxation:
    category: str
    value: str
    bound: str  # min | max
    old: int
    new: int


def quota_state(lines: Iterable[engine.QuotaLine]) -> str:
    """A short hash of every bound, to tell whether the quotas changed since a check."""
    text = "\n".join(f"{line.option_id}:{line.min}:{line.max}" for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def apply_relaxation(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    relaxations: list[Relaxation],
    state: str | None = None,
) -> None:
    """Apply the suggested changes, provided the quotas are still what the check saw.

    ``state`` is :func:`quota_state` at the time of the check; any change since then (also
    to quotas the suggestion does not touch) makes the suggestion stale.
    """
    current = engine.quota_lines(session, assembly)
    if state is not None and state != quota_state(current):
        raise QuotasChanged()
    lines = {
        (sortition.normalize(line.category), sortition.normalize(line.value)): line
        for line in current
    }
    if not relaxations:
        raise QuotasChanged()
    for relaxation in relaxations:
        key = (sortition.normalize(relaxation.category), sortition.normalize(relaxation.value))
        line = lines.get(key)
        if line is None or relaxation.bound not in ("min", "max"):
            raise QuotasChanged()
        current = line.min if relaxation.bound == "min" else line.max
        if current != relaxation.old or not 0 <= relaxation.new <= assembly.panel_size:
            raise QuotasChanged()
        option = session.get(CategoryOption, line.option_id)
        assert option is not None
        if relaxation.bound == "min":
            option.quota_min = relaxation.new
        else:
            option.quota_max = relaxation.new
        session.add(option)
    audit.record(
        session,
        actor,
        "draw.relax",
        assembly,
        {"changes": [r.__dict__ for r in relaxations][:60]},
    )


# --- the lottery as a background job --------------------------------------------------------


def start_draw(session: Session, actor: Actor, assembly: Assembly) -> DrawRun:
    """Snapshot the inputs and queue the computation of the lottery (after the commit)."""
    run = create_run(session, actor, assembly)
    run_id = run.id
    after_commit(session, lambda: _enqueue(run_id))  # type: ignore[arg-type]
    return run


def create_run(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    *,
    tolerance: float | None = None,
    id_source: random.Random | None = None,
) -> DrawRun:
    """Snapshot the inputs of a new lottery; :func:`execute_run` computes it.

    ``tolerance`` is the engine's: how far each chance may be from exact LEXIMIN (the
    configured ``DRAW_TOLERANCE``, by default 1e-6). It is part of the published settings.
    """
    _lock(session, assembly)
    for run in runs(session, assembly):
        if run.published_at is not None:
            raise DrawPublished()
        if run.status in ACTIVE:
            if not is_stale(run):
                raise DrawInProgress()
            run.status = FAILED
            run.error = "worker stopped"
            run.finished_at = utcnow()
            session.add(run)
    if tolerance is None:
        tolerance = configured().draw_tolerance
    inputs = engine.build_inputs(session, assembly, tolerance, id_source=id_source)
    engine.load(inputs.people_csv, inputs.categories_csv, assembly.panel_size)
    run = DrawRun(
        assembly_id=assembly.id,  # type: ignore[arg-type]
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


def _enqueue(run_id: int) -> None:
    from .. import jobs
    from .jobs import run_draw_job

    try:
        jobs.enqueue(run_draw_job, run_id)
    except (OSError, ConnectionError) as exc:
        # The run stays queued; the organiser can restart it when the queue is back.
        log.warning("Could not queue draw run %s: %s", run_id, exc)


def request_cancel(session: Session, actor: Actor, assembly: Assembly) -> DrawRun:
    """Stop the current run: at once when queued or dead, else at the engine's next report."""
    run = latest_run(session, assembly)
    if run is None or run.status not in ACTIVE:
        raise NoRun()
    if run.status == QUEUED or is_stale(run):
        run.status = CANCELLED
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
    if run is None:
        raise NoRun()
    if not can_restart(run):
        raise NotRestartable()
    run.status = QUEUED
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
    run_id = run.id
    after_commit(session, lambda: _enqueue(run_id))  # type: ignore[arg-type]
    return run


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


Solver = Callable[..., engine.Solved]


def execute_run(run_id: int, *, solve: Solver | None = None) -> str:
    """The background job: compute the lottery of one run and store it; returns the status.

    No transaction is open while the engine works: the inputs are read in one short
    transaction, the result written in another, and the heartbeat in between in its own.
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
        return _finish(app, run_id, attempt, CANCELLED)
    except sortition.InfeasibleError as error:
        diagnosis = error.params.get("diagnosis")
        details = (
            engine.diagnosis_to_dict(diagnosis)
            if isinstance(diagnosis, sortition.Diagnosis)
            else {"feasible": False, "conflicts": [], "relaxations": []}
        )
        return _finish(app, run_id, attempt, INFEASIBLE, diagnosis=details)
    except (sortition.SolverError, sortition.InputError, engine.BadInputs) as error:
        return _finish(app, run_id, attempt, FAILED, error=str(error))
    except Exception as error:
        # Recorded so the page offers a restart instead of waiting for a heartbeat.
        _finish(app, run_id, attempt, FAILED, error=type(error).__name__)
        raise
    return _save(app, run_id, attempt, solved)


def _finish(
    app: Flask,
    run_id: int,
    attempt: int,
    status: str,
    *,
    error: str = "",
    diagnosis: dict[str, Any] | None = None,
) -> str:
    with session_scope(app) as session:
        run = RUNS.owned(session, run_id, attempt)
        if run is None:
            return "obsolete"
        run.status = status
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
            run.status = CANCELLED
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
            return CANCELLED
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
            session.execute(insert(DrawPerson.__table__), rows)  # type: ignore[attr-defined]
        values = list(probabilities.values())
        run.report_json = text
        run.lottery_sha256 = engine.sha256_text(text)
        run.min_probability = min(values) if values else None
        run.max_probability = max(values) if values else None
        run.status = DONE
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
    return DONE


# --- the public seed ceremony ---------------------------------------------------------------


def publish(session: Session, actor: Actor, assembly: Assembly, seed_method: str) -> DrawRun:
    """Step 1: publish the fingerprint, the lottery and how the seed will be chosen."""
    if published_run(session, assembly) is not None:
        raise AlreadyPublished()
    run = latest_run(session, assembly)
    if run is None or run.status != DONE:
        raise NotDone()
    run.published_at = utcnow()
    run.seed_method = seed_method.strip()[:MAX_SEED_METHOD]
    session.add(run)
    audit.record(
        session,
        actor,
        "draw.publish",
        run,
        {
            "fingerprint": run.fingerprint,
            "lottery_sha256": run.lottery_sha256,
            "seed_method": run.seed_method[:1000],
        },
        assembly=assembly,
    )
    return run


def enter_seed(session: Session, actor: Actor, assembly: Assembly, seed: str) -> DrawRun:
    """Step 2: the seed turns the published lottery into the panel and the reserve list."""
    run = published_run(session, assembly)
    if run is None:
        raise NotPublished()
    if run.seed is not None:
        raise AlreadySeeded()
    assert run.report_json is not None
    report = json.loads(run.report_json)
    loaded = engine.load(
        run.people_csv.encode("utf-8"), run.categories_csv.encode("utf-8"), run.panel_size
    )
    drawn = engine.draw(report, seed)
    final = engine.final_report(report, loaded, drawn)
    run.seed = seed
    run.seeded_at = utcnow()
    run.final_report_json = engine.report_text(final)
    session.add(run)
    people = {
        p.reference: p for p in session.exec(select(DrawPerson).where(DrawPerson.run_id == run.id))
    }
    for reference in drawn.selected:
        person = people[reference]
        person.selected = True
        session.add(person)
        session.add(
            PanelMember(
                run_id=run.id,  # type: ignore[arg-type]
                registration_id=person.registration_id,
                origin="draw",
            )
        )
    for rank, reference in enumerate(drawn.reserves, start=1):
        person = people[reference]
        person.reserve_rank = rank
        session.add(person)
    audit.record(
        session,
        actor,
        "draw.seed",
        run,
        {
            "seed": seed,
            "fingerprint": run.fingerprint,
            "lottery_sha256": run.lottery_sha256,
            "report_sha256": engine.sha256_text(run.final_report_json),
            **_refs_payload("selected", list(drawn.selected)),
            **_refs_payload("reserves", list(drawn.reserves)),
        },
        assembly=assembly,
    )
    return run


def countersign(session: Session, user: User, assembly: Assembly) -> DrawSignature:
    """An observer signs for the result they witnessed (their account and the time)."""
    run = seeded_run(session, assembly)
    if run is None or run.final_report_json is None:
        raise NotSeeded()
    existing = session.exec(
        select(DrawSignature).where(
            DrawSignature.run_id == run.id, DrawSignature.user_id == user.id
        )
    ).first()
    if existing is not None:
        raise AlreadySigned()
    signature = DrawSignature(
        run_id=run.id,  # type: ignore[arg-type]
        user_id=user.id,  # type: ignore[arg-type]
        report_sha256=engine.sha256_text(run.final_report_json),
    )
    session.add(signature)
    session.flush()
    audit.record(
        session,
        user,
        "draw.countersign",
        signature,
        {
            "fingerprint": run.fingerprint,
            "seed": run.seed,
            "report_sha256": signature.report_sha256,
        },
        assembly=assembly,
    )
    return signature


def signatures(session: Session, run: DrawRun) -> list[tuple[DrawSignature, User]]:
    query = (
        select(DrawSignature, User)
        .join(User, DrawSignature.user_id == User.id)  # type: ignore[arg-type]
        .where(DrawSignature.run_id == run.id)
        .order_by(DrawSignature.signed_at)  # type: ignore[arg-type]
    )
    return list(session.exec(query).all())  # type: ignore[arg-type]


# --- the result ---------------------------------------------------------------------------


def people_values(run: DrawRun) -> dict[str, dict[str, str]]:
    """Per reference: household and category values, from the published people file."""
    reader = csv.DictReader(io.StringIO(run.people_csv, newline=""))
    return {row[engine.ID_COLUMN]: dict(row) for row in reader}


def run_quotas(run: DrawRun) -> list[tuple[str, str, int, int]]:
    reader = csv.DictReader(io.StringIO(run.categories_csv, newline=""))
    return [(r["feature"], r["value"], int(r["min"]), int(r["max"])) for r in reader]


def targets(run: DrawRun) -> list[dict[str, Any]]:
    return list(json.loads(run.targets_json or "[]"))


@dataclass
class ValueRow:
    category: str
    value: str
    label: str
    share: float | None
    min: int
    max: int
    pool: int = 0
    drawn: int = 0
    panel: int = 0
    pool_share: float = 0.0
    panel_share: float = 0.0

    @property
    def ok(self) -> bool:
        return self.min <= self.panel <= self.max


@dataclass
class CategoryRow:
    category: str
    question: str
    values: list[ValueRow]


def composition(run: DrawRun, locale: str, panel: Iterable[str] = ()) -> list[CategoryRow]:
    """Per category value: population share, pool, drawn panel and current panel."""
    values = people_values(run)
    info = {(t["category"], t["value"]): t for t in targets(run)}
    drawn: list[str] = []
    if run.final_report_json:
        drawn = list(json.loads(run.final_report_json).get("selected") or [])
    current = list(panel) or drawn
    categories: dict[str, CategoryRow] = {}
    for category, value, low, high in run_quotas(run):
        target = info.get((category, value), {})
        question = (target.get("question_en") if locale == "en" else "") or target.get(
            "question", category
        )
        label = (target.get("label_en") if locale == "en" else "") or target.get("label", value)
        row = categories.setdefault(category, CategoryRow(category, question or category, []))
        row.values.append(ValueRow(category, value, label or value, target.get("share"), low, high))
    for category_row in categories.values():
        by_value = {sortition.normalize(v.value): v for v in category_row.values}
        for person in values.values():
            cell = by_value.get(sortition.normalize(person.get(category_row.category, "")))
            if cell is not None:
                cell.pool += 1
        for group, attribute in ((drawn, "drawn"), (current, "panel")):
            for reference in group:
                person = values.get(reference, {})
                cell = by_value.get(sortition.normalize(person.get(category_row.category, "")))
                if cell is not None:
                    setattr(cell, attribute, getattr(cell, attribute) + 1)
        pool_total = sum(v.pool for v in category_row.values) or 1
        panel_total = sum(v.panel for v in category_row.values) or 1
        for cell in category_row.values:
            cell.pool_share = cell.pool / pool_total
            cell.panel_share = cell.panel / panel_total
    return list(categories.values())


@dataclass
class Seat:
    member: PanelMember
    registration: Registration
    reference: str
    probability: float
    replaces: str = ""  # reference of the person whose seat this was
    replaced_by: str = ""


@dataclass
class Reserve:
    rank: int
    reference: str
    registration: Registration
    probability: float
    status: str  # waiting | on_panel | left | unavailable


@dataclass
class Result:
    run: DrawRun
    seats: list[Seat]  # current members, in order of their seat
    former: list[Seat]  # declined or did not answer
    reserves: list[Reserve]
    people: list[tuple[DrawPerson, Registration]]
    open_seats: int

    @property
    def current_references(self) -> list[str]:
        return [s.reference for s in self.seats]


def result(session: Session, run: DrawRun) -> Result:
    persons = list(
        session.exec(
            select(DrawPerson, Registration)
            .join(Registration, DrawPerson.registration_id == Registration.id)  # type: ignore[arg-type]
            .where(DrawPerson.run_id == run.id)
            .order_by(DrawPerson.probability.desc(), DrawPerson.reference)  # type: ignore[attr-defined]
        ).all()
    )
    by_registration = {p.registration_id: (p, r) for p, r in persons}
    members = list(
        session.exec(
            select(PanelMember).where(PanelMember.run_id == run.id).order_by(PanelMember.id)  # type: ignore[arg-type]
        )
    )
    by_id = {m.id: m for m in members}
    replaced_by = {m.replaces_id: m for m in members if m.replaces_id is not None}

    def seat(member: PanelMember) -> Seat:
        person, registration = by_registration[member.registration_id]
        previous = by_id.get(member.replaces_id) if member.replaces_id else None
        successor = replaced_by.get(member.id)
        return Seat(
            member,
            registration,
            person.reference,
            person.probability,
            replaces=by_registration[previous.registration_id][0].reference if previous else "",
            replaced_by=(
                by_registration[successor.registration_id][0].reference if successor else ""
            ),
        )

    seats = [seat(m) for m in members if m.status in SEATED]
    former = [seat(m) for m in members if m.status in LEFT]
    on_panel = {m.registration_id: m for m in members}
    reserves = []
    for person, registration in sorted(
        (pr for pr in persons if pr[0].reserve_rank is not None),
        key=lambda pr: pr[0].reserve_rank or 0,
    ):
        member = on_panel.get(person.registration_id)
        if member is not None:
            status = "on_panel" if member.status in SEATED else "left"
        elif not is_in_pool(registration):
            status = "unavailable"
        else:
            status = "waiting"
        reserves.append(
            Reserve(
                person.reserve_rank or 0, person.reference, registration, person.probability, status
            )
        )
    open_seats = sum(1 for m in members if m.status in LEFT and m.id not in replaced_by)
    return Result(run, seats, former, reserves, persons, open_seats)


EXPORT_HEADER = (
    "reference",
    "role",
    "status",
    "reserve_rank",
    "probability",
    "name",
    "email",
    "phone",
)


def export_rows(session: Session, run: DrawRun) -> Iterator[tuple[Any, ...]]:
    """Everyone in the lottery with their chance; contact details for members and reserves."""
    found = result(session, run)
    yield EXPORT_HEADER
    listed: set[str] = set()
    for seat in found.seats + found.former:
        listed.add(seat.reference)
        r = seat.registration
        yield (
            seat.reference,
            "member",
            seat.member.status,
            "",
            f"{seat.probability:.6f}",
            r.name,
            r.email,
            r.phone,
        )
    for reserve in found.reserves:
        if reserve.reference in listed:
            continue
        listed.add(reserve.reference)
        r = reserve.registration
        yield (
            reserve.reference,
            "reserve",
            reserve.status,
            reserve.rank,
            f"{reserve.probability:.6f}",
            r.name,
            r.email,
            r.phone,
        )
    for person, _registration in found.people:
        if person.reference not in listed:
            yield (person.reference, "pool", "", "", f"{person.probability:.6f}", "", "", "")


def record_export(session: Session, actor: Actor, assembly: Assembly, run: DrawRun) -> None:
    audit.record(
        session, actor, "draw.export", run, {"fingerprint": run.fingerprint}, assembly=assembly
    )


# --- invitations and answers ----------------------------------------------------------------


def invitation_token(member: PanelMember) -> str:
    """The personal link's token: derived from the secret key, so letters can be reprinted."""
    secret = configured().secret_key.encode()
    message = f"panel-invitation\x1f{member.id}\x1f{member.token_nonce}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_link(assembly: Assembly, token: str) -> str:
    # Built by hand: the link goes into mail and print, away from any request.
    return f"{configured().base_url}/a/{assembly.slug}/uitnodiging/{token}"


@dataclass
class Invited:
    emails: int
    letters: int


def send_invitations(
    session: Session, actor: Actor, assembly: Assembly, respond_by: date
) -> Invited:
    """Invite every member who has not been invited yet: by e-mail, or by a printed letter."""
    run = seeded_run(session, assembly)
    if run is None:
        raise NotSeeded()
    run.respond_by = end_of_day(respond_by)
    session.add(run)
    found = result(session, run)
    dates = load_session_dates(session, assembly)
    sent = Invited(0, 0)
    for seat in found.seats:
        member = seat.member
        if member.invited_at is not None or member.status != PENDING:
            continue
        member.token_nonce = secrets.token_hex(8)
        session.add(member)
        session.flush()
        token = invitation_token(member)
        member.token_hash = token_digest(token)
        member.invited_at = utcnow()
        member.by_letter = not seat.registration.email
        if member.by_letter:
            sent.letters += 1
        else:
            sent.emails += 1
            subject, body = invitation_mail(assembly, run, seat.registration, token, dates)
            queue_mail(session, seat.registration.email, subject, body, assembly_id=assembly.id)
    if not sent.emails and not sent.letters:
        raise NothingToInvite()
    audit.record(
        session,
        actor,
        "draw.invite",
        run,
        {"emails": sent.emails, "letters": sent.letters, "respond_by": respond_by.isoformat()},
        assembly=assembly,
    )
    return sent


def invitation_mail(
    assembly: Assembly,
    run: DrawRun,
    registration: Registration,
    token: str,
    dates: list[SessionDate],
) -> tuple[str, str]:
    # Residents read Dutch, whatever language the organiser uses.
    with force_locale("nl"):
        subject = _("You have been drawn for %(name)s", name=assembly.name)
        # Straight from the Jinja environment: the mail may be written outside a request
        # (the demo, a job), where the app's request-bound template globals do not exist.
        template = current_app.jinja_env.get_template("draw/invitation_mail.txt")
        body = template.render(
            assembly=assembly,
            name=registration.name,
            link=invitation_link(assembly, token),
            respond_by=local_day(run.respond_by) if run.respond_by else None,
            dates=[(local_time(d.starts_at), d) for d in dates],
        )
    return subject, body


@dataclass
class Letter:
    registration: Registration
    address: Address | None
    link: str


def letters(session: Session, assembly: Assembly) -> list[Letter]:
    """Invitations to print: members without e-mail who were invited and did not answer."""
    run = seeded_run(session, assembly)
    if run is None:
        return []
    found = result(session, run)
    printed = []
    for seat in found.seats:
        member = seat.member
        if not member.by_letter or member.invited_at is None or member.status != PENDING:
            continue
        address = None
        if seat.registration.invitation_id is not None:
            invitation = session.get(Invitation, seat.registration.invitation_id)
            if invitation is not None:
                address = session.get(Address, invitation.address_id)
        printed.append(
            Letter(seat.registration, address, invitation_link(assembly, invitation_token(member)))
        )
    return printed


def record_letters(session: Session, actor: Actor, assembly: Assembly, count: int) -> None:
    audit.record(session, actor, "draw.letters", assembly, {"letters": count})


def member_by_token(
    session: Session, assembly: Assembly, token: str
) -> tuple[PanelMember, Registration, DrawRun] | None:
    if not token or len(token) > 100:
        return None
    member = session.exec(
        select(PanelMember).where(PanelMember.token_hash == token_digest(token))
    ).first()
    if member is None:
        return None
    run = session.get(DrawRun, member.run_id)
    registration = session.get(Registration, member.registration_id)
    if run is None or registration is None or run.assembly_id != assembly.id:
        return None
    return member, registration, run


def deadline_passed(run: DrawRun, now: datetime | None = None) -> bool:
    return run.respond_by is not None and as_utc(run.respond_by) < (now or utcnow())


def respond(
    session: Session, member: PanelMember, run: DrawRun, answer: str, reference: str
) -> None:
    """The invited person's own answer through their personal link."""
    if answer == "accept":
        if member.status != PENDING:
            raise AnswerNotAllowed()
        if deadline_passed(run):
            raise DeadlinePassed()
        member.status = ACCEPTED
    elif answer == "decline":
        # Stepping back is possible at any time while someone holds a seat.
        if member.status not in SEATED:
            raise AnswerNotAllowed()
        member.status = DECLINED
    else:
        raise AnswerNotAllowed()
    member.responded_at = utcnow()
    session.add(member)
    audit.record(
        session,
        PARTICIPANT_ACTOR,
        f"draw.{member.status}",
        member,
        {"reference": reference, "by": "participant"},
        assembly=run.assembly_id,
    )


@signals.registration_withdrawn.connect
def _on_registration_withdrawn(registration: Registration, *, session: Session) -> None:
    give_up_seat(session, registration)


def give_up_seat(session: Session, registration: Registration) -> bool:
    """Someone who withdraws or erases their data declines the seat they hold, if any.

    Returns whether they held one; the organiser then fills it like any other decline.
    """
    assembly = session.get(Assembly, registration.assembly_id)
    run = seeded_run(session, assembly) if assembly is not None else None
    if run is None:
        return False
    member = session.exec(
        select(PanelMember).where(
            PanelMember.run_id == run.id, PanelMember.registration_id == registration.id
        )
    ).first()
    if member is None or member.status not in SEATED:
        return False
    member.status = DECLINED
    member.responded_at = utcnow()
    session.add(member)
    person = session.exec(
        select(DrawPerson).where(
            DrawPerson.run_id == run.id, DrawPerson.registration_id == registration.id
        )
    ).one()
    audit.record(
        session,
        PARTICIPANT_ACTOR,
        "draw.declined",
        member,
        {"reference": person.reference, "by": "withdrawal"},
        assembly=run.assembly_id,
    )
    return True


def record_answer(
    session: Session, actor: Actor, assembly: Assembly, member_id: int, answer: str
) -> PanelMember:
    """An organiser records an answer given by phone or post, or that none came in time."""
    run = seeded_run(session, assembly)
    member = session.get(PanelMember, member_id)
    if run is None or member is None or member.run_id != run.id:
        raise NoSuchMember()
    if answer == "accept":
        if member.status != PENDING:
            raise AnswerNotAllowed()
        member.status = ACCEPTED
    elif answer == "decline":
        if member.status not in SEATED:
            raise AnswerNotAllowed()
        member.status = DECLINED
    elif answer == "no_answer":
        if member.status != PENDING or member.invited_at is None:
            raise AnswerNotAllowed()
        if not deadline_passed(run):
            raise DeadlineNotPassed()
        member.status = NO_ANSWER
    else:
        raise AnswerNotAllowed()
    member.responded_at = utcnow()
    session.add(member)
    person = session.exec(
        select(DrawPerson).where(
            DrawPerson.run_id == run.id, DrawPerson.registration_id == member.registration_id
        )
    ).one()
    audit.record(
        session,
        actor,
        f"draw.{member.status}",
        member,
        {"reference": person.reference, "by": "organiser"},
        assembly=assembly,
    )
    return member


# --- replacements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Replacement:
    out: str  # references
    into: str
    via: str  # reserve | engine


@dataclass
class ReserveOutcome:
    done: list[Replacement]
    remaining: int


@dataclass(frozen=True)
class _Panel:
    run: DrawRun
    references: dict[int, str]  # registration id -> reference
    members: list[PanelMember]
    seated: list[str]
    open_seats: list[PanelMember]  # left, not yet replaced, in order
    used: set[str]  # everyone who ever held a seat
    eligible: set[str]  # references still eligible now


def _panel_state(session: Session, assembly: Assembly) -> _Panel:
    run = seeded_run(session, assembly)
    if run is None:
        raise NotSeeded()
    rows = session.exec(
        select(DrawPerson.registration_id, DrawPerson.reference, Registration)
        .join(Registration, DrawPerson.registration_id == Registration.id)  # type: ignore[arg-type]
        .where(DrawPerson.run_id == run.id)
    ).all()
    references = {registration_id: reference for registration_id, reference, _r in rows}
    eligible = {reference for _id, reference, r in rows if is_in_pool(r)}
    members = list(
        session.exec(
            select(PanelMember).where(PanelMember.run_id == run.id).order_by(PanelMember.id)  # type: ignore[arg-type]
        )
    )
    replaced = {m.replaces_id for m in members if m.replaces_id is not None}
    return _Panel(
        run=run,
        references=references,
        members=members,
        seated=[references[m.registration_id] for m in members if m.status in SEATED],
        open_seats=[m for m in members if m.status in LEFT and m.id not in replaced],
        used={references[m.registration_id] for m in members},
        eligible=eligible,
    )


def _loaded(run: DrawRun) -> engine.Loaded:
    return engine.load(
        run.people_csv.encode("utf-8"), run.categories_csv.encode("utf-8"), run.panel_size
    )


def replace_with_reserves(session: Session, actor: Actor, assembly: Assembly) -> ReserveOutcome:
    """Fill the seats of people who declined or did not answer from the reserve list.

    For each open seat the next reserve is taken whose swap for the person who left keeps
    every quota (and who does not live with a member). Seats no reserve fits are left for
    :func:`plan_engine_replacement`.
    """
    state = _panel_state(session, assembly)
    if not state.open_seats:
        raise NothingToReplace()
    loaded = _loaded(state.run)
    values = people_values(state.run)
    reserves = [
        p.reference
        for p in session.exec(
            select(DrawPerson)
            .where(DrawPerson.run_id == state.run.id, DrawPerson.reserve_rank.is_not(None))  # type: ignore[union-attr]
            .order_by(DrawPerson.reserve_rank)  # type: ignore[arg-type]
        )
    ]
    registration_of = {reference: rid for rid, reference in state.references.items()}
    panel = state.seated + [state.references[m.registration_id] for m in state.open_seats]
    used = set(state.used)
    done: list[Replacement] = []
    remaining = 0
    for seat in state.open_seats:
        out = state.references[seat.registration_id]
        others = [p for p in panel if p != out]
        households = {values[p][engine.HOUSEHOLD_COLUMN] for p in others}
        for candidate in reserves:
            if candidate in used or candidate not in state.eligible:
                continue
            if values[candidate][engine.HOUSEHOLD_COLUMN] in households:
                continue
            if not engine.quotas_hold(loaded, [*others, candidate]):
                continue
            panel = [*others, candidate]
            used.add(candidate)
            done.append(
                _fill_seat(
                    session, actor, assembly, state.run, seat, out, candidate,
                    registration_of[candidate], via="reserve",
                )
            )
            break
        else:
            remaining += 1
    return ReserveOutcome(done, remaining)


@dataclass(frozen=True)
class EnginePlan:
    run_id: int
    people_csv: bytes
    categories_csv: bytes
    panel_size: int
    panel: tuple[str, ...]
    dropped: tuple[str, ...]
    available: frozenset[str]
    seed: str


def plan_engine_replacement(session: Session, assembly: Assembly) -> EnginePlan | None:
    """What the engine needs to fill the seats no reserve could fill (None: none open)."""
    state = _panel_state(session, assembly)
    if not state.open_seats:
        return None
    dropped = tuple(state.references[m.registration_id] for m in state.open_seats)
    seed = f"{state.run.seed} / vervanging {','.join(sorted(dropped))}"
    return EnginePlan(
        run_id=state.run.id,  # type: ignore[arg-type]
        people_csv=state.run.people_csv.encode("utf-8"),
        categories_csv=state.run.categories_csv.encode("utf-8"),
        panel_size=state.run.panel_size,
        panel=tuple(state.seated) + dropped,
        dropped=dropped,
        available=frozenset(state.eligible - state.used),
        seed=seed,
    )


def run_engine_replacement(plan: EnginePlan) -> tuple[str, ...]:
    """The engine's fair replacement draw; call it with no transaction open."""
    loaded = engine.load(plan.people_csv, plan.categories_csv, plan.panel_size)
    try:
        return engine.replace(
            loaded,
            available=set(plan.available),
            panel=plan.panel,
            dropped=plan.dropped,
            seed=plan.seed,
        )
    except sortition.InfeasibleError as error:
        diagnosis = error.params.get("diagnosis")
        raise ReplacementImpossible(
            engine.diagnosis_to_dict(diagnosis)
            if isinstance(diagnosis, sortition.Diagnosis)
            else None
        ) from None
    except (sortition.InputError, sortition.SolverError):
        raise ReplacementImpossible(None) from None


def apply_engine_replacement(
    session: Session, actor: Actor, assembly: Assembly, plan: EnginePlan, chosen: tuple[str, ...]
) -> list[Replacement]:
    state = _panel_state(session, assembly)
    dropped = tuple(state.references[m.registration_id] for m in state.open_seats)
    if (
        state.run.id != plan.run_id
        or dropped != plan.dropped
        or tuple(state.seated) + dropped != plan.panel
        or len(chosen) != len(dropped)
        or any(c in state.used or c not in state.eligible for c in chosen)
    ):
        raise StateChanged()
    registration_of = {reference: rid for rid, reference in state.references.items()}
    done = []
    for seat, candidate in zip(state.open_seats, chosen, strict=True):
        out = state.references[seat.registration_id]
        done.append(
            _fill_seat(
                session, actor, assembly, state.run, seat, out, candidate,
                registration_of[candidate], via="engine", seed=plan.seed,
            )
        )
    return done


def _fill_seat(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    run: DrawRun,
    seat: PanelMember,
    out: str,
    candidate: str,
    registration_id: int,
    *,
    via: str,
    seed: str | None = None,
) -> Replacement:
    """Give ``seat``'s place to ``candidate`` (a reserve, or the engine's choice); audited."""
    session.add(
        PanelMember(
            run_id=run.id,  # type: ignore[arg-type]
            registration_id=registration_id,
            origin="reserve" if via == "reserve" else "replacement",
            replaces_id=seat.id,
        )
    )
    payload: dict[str, Any] = {"out": out, "in": candidate, "via": via}
    if seed is not None:
        payload["seed"] = seed
    audit.record(session, actor, "draw.replace", seat, payload, assembly=assembly)
    return Replacement(out, candidate, via)


# --- for other modules ------------------------------------------------------------------------


@signals.final_panel_requested.connect
def _on_final_panel_requested(
    assembly: Assembly, *, session: Session
) -> tuple[datetime, set[int]] | None:
    return final_panel(session, assembly)


def final_panel(session: Session, assembly: Assembly) -> tuple[datetime, set[int]] | None:
    """When every seat is accepted: since when, and whose data to keep (members, reserves).

    The respondent pool's privacy module purges everyone else's personal data after the
    retention period.
    """
    run = seeded_run(session, assembly)
    if run is None:
        return None
    state = _panel_state(session, assembly)
    seated = [m for m in state.members if m.status in SEATED]
    if state.open_seats or len(seated) != run.panel_size:
        return None
    if any(m.status != ACCEPTED or m.responded_at is None for m in seated):
        return None
    final_at = max(as_utc(m.responded_at) for m in seated if m.responded_at is not None)
    keep = {m.registration_id for m in seated}
    keep |= {
        p.registration_id
        for p in session.exec(
            select(DrawPerson).where(
                DrawPerson.run_id == run.id,
                DrawPerson.reserve_rank.is_not(None),  # type: ignore[union-attr]
            )
        )
    }
    return final_at, keep


# --- the transparency page ------------------------------------------------------------------


def letters_sent(session: Session, assembly: Assembly) -> int:
    query = (
        select(func.count())
        .select_from(Invitation)
        .join(InvitationBatch, Invitation.batch_id == InvitationBatch.id)  # type: ignore[arg-type]
        .where(InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).one()


def replacements_count(session: Session, run: DrawRun) -> int:
    query = select(func.count()).where(
        PanelMember.run_id == run.id,
        PanelMember.replaces_id.is_not(None),  # type: ignore[union-attr]
    )
    return session.exec(query).one()


def current_panel(session: Session, run: DrawRun) -> list[str]:
    query = (
        select(DrawPerson.reference)
        .join(
            PanelMember,
            (PanelMember.registration_id == DrawPerson.registration_id)  # type: ignore[arg-type]
            & (PanelMember.run_id == DrawPerson.run_id),
        )
        .where(DrawPerson.run_id == run.id, PanelMember.status.in_(SEATED))  # type: ignore[attr-defined]
    )
    return list(session.exec(query))


def n_panels(run: DrawRun) -> int:
    if not run.report_json:
        return 0
    return len(json.loads(run.report_json)["distribution"]["panels"])


PUBLIC_FILES = {
    engine.PEOPLE_FILE: "text/csv",
    engine.CATEGORIES_FILE: "text/csv",
    engine.LOTTERY_FILE: "application/json",
    engine.REPORT_FILE: "application/json",
}


def public_file(session: Session, assembly: Assembly, name: str) -> bytes | None:
    """The anonymised inputs and the reports, once they are public."""
    run = published_run(session, assembly)
    if run is None:
        return None
    if name == engine.PEOPLE_FILE:
        return run.people_csv.encode("utf-8")
    if name == engine.CATEGORIES_FILE:
        return run.categories_csv.encode("utf-8")
    if name == engine.LOTTERY_FILE and run.report_json:
        return run.report_json.encode("utf-8")
    if name == engine.REPORT_FILE and run.final_report_json:
        return run.final_report_json.encode("utf-8")
    return None
