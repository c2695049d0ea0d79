"""The background job that computes a panel lottery (see ``service.execute_run``)."""

from __future__ import annotations

from .. import jobs
from . import service


@jobs.job()
def run_draw_job(run_id: int) -> None:
    service.execute_run(run_id)
