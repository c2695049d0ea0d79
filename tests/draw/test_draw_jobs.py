"""The lottery as a background job: start, progress, cancel, one at a time, a dead worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.draw import engine, jobs, runs
from assembly.models import AuditEntry, DrawPerson, DrawRun, DrawStatus
from assembly.timeutil import utcnow

from ..conftest import login
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"


@pytest.fixture
def queued(make_app, world, pool, tmp_path):
    """Web and worker as separate apps whose jobs wait in a queue; an organiser's client."""
    config = {
        "JOBS_IMMEDIATE": False,
        "HUEY_PATH": str(tmp_path / "jobs.db"),
        "DRAW_PROGRESS_SECONDS": 0,
        "DRAW_HEARTBEAT_SECONDS": 0.05,
    }
    web, worker = make_app(**config), make_app(**config)
    client = web.test_client()
    login(client, world.emails["organiser"])
    return web, client, worker


def _run(app) -> DrawRun:
    with app.app_context():
        found = runs.latest_run(get_session(), assembly())
        assert found is not None
        return found


def _actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in get_session().exec(select(AuditEntry).order_by(AuditEntry.id))]


def test_start_computes_the_lottery(organiser, app, pool) -> None:
    response = organiser.post(PAGE + "start")
    assert response.status_code == 303
    run = _run(app)
    assert run.status == DrawStatus.DONE and run.progress == 1.0
    assert run.min_probability == pytest.approx(8 / 40, abs=0.05)
    page = organiser.get(PAGE).text
    assert run.fingerprint in page and run.lottery_sha256 in page
    assert "Refresh" not in organiser.get(PAGE).headers
    with app.app_context():
        people = get_session().exec(select(DrawPerson).where(DrawPerson.run_id == run.id)).all()
    assert len(people) == 40
    assert sum(p.probability for p in people) == pytest.approx(8)
    assert _actions(app)[-2:] == ["draw.start", "draw.computed"]


def test_progress_shows_on_the_page_while_the_job_runs(queued) -> None:
    app, client, worker = queued
    client.post(PAGE + "start")
    run = _run(app)
    assert run.status == DrawStatus.QUEUED
    waiting = client.get(PAGE)
    assert waiting.headers["Refresh"] == "3"
    seen = {}

    def solve(loaded, *args, progress, **kwargs):
        progress(0.4, "halfway")
        time.sleep(0.15)  # the heartbeat thread writes meanwhile
        page = client.get(PAGE)
        seen["page"] = page.text
        seen["refresh"] = page.headers.get("Refresh")
        seen["run"] = _run(app)
        return engine.solve(loaded, *args, progress=progress, **kwargs)

    with worker.app_context():
        assert jobs.execute_run(run.id, solve=solve) == DrawStatus.DONE
    assert 'value="40"' in seen["page"] and "halfway" in seen["page"]
    assert seen["refresh"] == "3"
    during = seen["run"]
    assert during.status == DrawStatus.RUNNING and during.progress == 0.4
    assert during.heartbeat_at > during.started_at
    assert _run(app).status == DrawStatus.DONE
    assert "Refresh" not in client.get(PAGE).headers


def test_cancel_while_running(queued) -> None:
    app, client, worker = queued
    client.post(PAGE + "start")
    run = _run(app)

    def solve(loaded, *args, progress, **kwargs):
        progress(0.1, "started")
        assert client.post(PAGE + "annuleren").status_code == 303
        progress(0.2, "still going")  # the engine's next report stops it
        raise AssertionError("not cancelled")

    with worker.app_context():
        assert jobs.execute_run(run.id, solve=solve) == DrawStatus.CANCELLED
    assert _run(app).status == DrawStatus.CANCELLED
    assert _actions(app)[-2:] == ["draw.cancel", "draw.cancelled"]
    # A new lottery can be started afterwards.
    client.post(PAGE + "start")
    assert _run(app).status == DrawStatus.QUEUED and _run(app).id != run.id


def test_cancel_a_queued_run_and_start_only_one_at_a_time(queued) -> None:
    app, client, worker = queued
    client.post(PAGE + "start")
    page = client.post(PAGE + "start", follow_redirects=True).text
    assert "wordt al een loting berekend" in page or "already being computed" in page
    with app.app_context():
        assert len(runs.runs(get_session(), assembly())) == 1
    client.post(PAGE + "annuleren")
    run = _run(app)
    assert run.status == DrawStatus.CANCELLED
    with worker.app_context():
        assert jobs.execute_run(run.id) == "skipped"  # the worker finds nothing to do


def test_a_dead_worker_is_detected_and_the_run_restarted(queued) -> None:
    app, client, worker = queued
    client.post(PAGE + "start")
    run = _run(app)
    with app.app_context():
        session = get_session()
        stored = session.get(DrawRun, run.id)
        # The worker took the job and was killed: its heartbeat stopped ten minutes ago.
        stored.status = DrawStatus.RUNNING
        stored.attempts = 1
        stored.started_at = stored.heartbeat_at = utcnow() - timedelta(minutes=10)
        session.commit()
    response = client.get(PAGE)
    assert "Refresh" not in response.headers
    assert "herstarten" in response.text  # the restart form
    assert client.post(PAGE + "herstarten").status_code == 303
    assert _run(app).status == DrawStatus.QUEUED
    with worker.app_context():
        assert jobs.execute_run(run.id) == DrawStatus.DONE
        # Should the old worker come back, its result no longer counts.
        assert jobs._finish(app, run.id, 1, DrawStatus.FAILED) == "obsolete"
    assert _run(app).status == DrawStatus.DONE and _run(app).attempts == 2
    assert "draw.restart" in _actions(app)


def test_a_live_run_cannot_be_restarted(queued) -> None:
    app, client, worker = queued
    client.post(PAGE + "start")
    page = client.post(PAGE + "herstarten", follow_redirects=True).text
    assert _run(app).status == DrawStatus.QUEUED
    assert "kan niet opnieuw" in page or "cannot be restarted" in page


def test_infeasible_quotas_end_the_run_with_the_diagnosis(organiser, app, pool) -> None:
    with app.app_context():
        session = get_session()
        for line in engine.quota_lines(session, assembly()):
            if line.category == "regio":
                from assembly.models import CategoryOption

                option = session.get(CategoryOption, line.option_id)
                option.quota_min = 6
                session.add(option)
        session.commit()
    organiser.post(PAGE + "start")
    run = _run(app)
    assert run.status == DrawStatus.INFEASIBLE
    assert "category_min_sum_above_panel" in (run.diagnosis_json or "")
    page = organiser.get(PAGE).text
    assert "/beheer/a/beraad-a/loting/controle" in page
