"""Background work that the database keeps track of: claim, heartbeat, staleness, finish.

A long job (a panel draw, an address import) is a row with a status. The worker *claims*
it (queued → running, in one conditional UPDATE, so a job delivered twice runs once),
writes a *heartbeat* while it works (so a worker that died is recognisable: its heartbeat
goes *stale*), and *finishes* it only while the row is still its own (same attempt, still
running), so a restarted job never has its result overwritten by the old worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from flask import Flask
from sqlalchemy import update
from sqlmodel import Session, SQLModel

from .db import session_scope
from .timeutil import as_utc, utcnow

M = TypeVar("M", bound=SQLModel)

QUEUED = "queued"
RUNNING = "running"


@dataclass(frozen=True)
class Tracker(Generic[M]):
    """How one kind of job row is tracked.

    Parameters
    ----------
    model : the job's table; it has ``id`` and ``status`` columns.
    heartbeat : the column the worker's heartbeat writes (a UTC datetime).
    stale_after : how long a running job may be silent before it counts as dead.
    attempts : the column counting claims (so a restarted job is told apart from the
        earlier attempt), or None when a job is never restarted.
    stale_states : the states in which silence means the worker died.
    """

    model: type[M]
    heartbeat: str
    stale_after: Callable[[], timedelta]
    attempts: str | None = None
    stale_states: tuple[str, ...] = (RUNNING,)

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)

    def _still_ours(self, job_id: int, attempt: int) -> list[Any]:
        conditions = [self._column("id") == job_id, self._column("status") == RUNNING]
        if self.attempts is not None:
            conditions.append(self._column(self.attempts) == attempt)
        return conditions

    def claim(self, session: Session, job_id: int, **values: Any) -> int | None:
        """Queued → running, with ``values``; the attempt number, or None when the job
        was not queued (already claimed, cancelled or gone)."""
        now = utcnow()
        changes: dict[str, Any] = {"status": RUNNING, self.heartbeat: now, **values}
        if self.attempts is not None:
            changes[self.attempts] = self._column(self.attempts) + 1
        claimed = session.execute(
            update(self.model)
            .where(self._column("id") == job_id, self._column("status") == QUEUED)
            .values(**changes)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        if self.attempts is None:
            return 1
        record = session.get(self.model, job_id)
        assert record is not None
        session.refresh(record)
        return int(getattr(record, self.attempts))

    def beat(self, session: Session, job_id: int, attempt: int, **values: Any) -> bool:
        """Write the heartbeat (and ``values``) while the job is still this attempt's."""
        written = session.execute(
            update(self.model)
            .where(*self._still_ours(job_id, attempt))
            .values(**{self.heartbeat: utcnow(), **values})
        )
        return bool(written.rowcount == 1)  # type: ignore[attr-defined]

    def owned(self, session: Session, job_id: int, attempt: int) -> M | None:
        """The job row when it is still running under ``attempt`` (else None)."""
        record = session.get(self.model, job_id)
        if record is None or getattr(record, "status") != RUNNING:  # noqa: B009
            return None
        if self.attempts is not None and getattr(record, self.attempts) != attempt:
            return None
        return record

    def is_stale(self, record: M, now: datetime | None = None) -> bool:
        """In a stale state, but silent for longer than ``stale_after``: its worker died."""
        if getattr(record, "status") not in self.stale_states:  # noqa: B009
            return False
        beat = (
            getattr(record, self.heartbeat)
            or getattr(record, "started_at", None)
            or getattr(record, "created_at", None)
        )
        if beat is None:
            return False
        return bool(as_utc(beat) < (now or utcnow()) - self.stale_after())


class Heartbeat(Generic[M]):
    """A thread that writes a job's heartbeat every ``every`` seconds while it works.

    ``values()`` adds what to write with each beat (progress); ``cancel(session)`` says
    whether someone asked the job to stop. ``stop`` is set when the job was cancelled or
    is no longer this worker's (restarted elsewhere); the job checks it at its next step.
    """

    def __init__(
        self,
        app: Flask,
        tracker: Tracker[M],
        job_id: int,
        attempt: int,
        *,
        every: float,
        values: Callable[[], dict[str, Any]] = dict,
        cancel: Callable[[Session, int], bool] | None = None,
    ) -> None:
        self.app = app
        self.tracker = tracker
        self.job_id = job_id
        self.attempt = attempt
        self.every = every
        self.values = values
        self.cancel = cancel
        self.stop = threading.Event()
        self.last_write = 0.0
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat[M]:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self.write()

    def write(self) -> None:
        """Beat now; set ``stop`` when the job was cancelled or taken over."""
        with self._lock:
            self.last_write = time.monotonic()
            with session_scope(self.app) as session:
                alive = self.tracker.beat(session, self.job_id, self.attempt, **self.values())
                cancelled = self.cancel is not None and self.cancel(session, self.job_id)
            if not alive or cancelled:
                self.stop.set()

    def since_write(self) -> float:
        return time.monotonic() - self.last_write
