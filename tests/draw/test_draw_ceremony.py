"""The public seed ceremony, the transparency page and re-running the draw with the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.draw import engine, runs
from assembly.models import AuditEntry, Registration
from sortition import cli

from ..conftest import login
from .conftest import compute, draw
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"
PUBLIC = "/a/beraad-a/loting"
SEED = "07 12 19 33 41"


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        entries = get_session().exec(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(e.payload) for e in entries]


def test_the_ceremony_step_by_step(organiser, client, app, pool) -> None:
    page = client.get(PUBLIC).text
    assert "nog niet geloot" in page or "not been drawn yet" in page
    organiser.post(PAGE + "start")
    # Nothing is public before the organiser publishes.
    assert client.get(PUBLIC + "/mensen.csv").status_code == 404

    method = "Vijf getallen van 1 tot 99, live getrokken op 12 maart om 20.00 uur."
    # Publishing cannot be undone: without the confirmation nothing is published.
    organiser.post(PAGE + "publiceren", data={"seed_method": method})
    with app.app_context():
        assert runs.published_run(get_session(), assembly()) is None
    published = organiser.post(PAGE + "publiceren", data={"seed_method": method, "confirm": "y"})
    assert published.status_code == 303
    with app.app_context():
        run = runs.published_run(get_session(), assembly())
    page = client.get(PUBLIC).text
    assert run.fingerprint in page and run.lottery_sha256 in page and method in page
    assert client.get(PUBLIC + "/mensen.csv").status_code == 200
    lottery = client.get(PUBLIC + "/loting.json").data
    assert engine.sha256_text(lottery.decode()) == run.lottery_sha256
    assert client.get(PUBLIC + "/report.json").status_code == 404  # no seed yet
    assert _audit(app, "draw.publish")[0]["fingerprint"] == run.fingerprint
    # Publishing again, or computing again, is no longer possible.
    organiser.post(PAGE + "start")
    with app.app_context():
        assert len(runs.runs(get_session(), assembly())) == 1

    # The seed needs the organiser's confirmation that it was chosen as announced.
    organiser.post(PAGE + "seed", data={"seed": SEED})
    assert client.get(PUBLIC + "/report.json").status_code == 404
    organiser.post(PAGE + "seed", data={"seed": SEED, "witnessed": "y"})
    report = client.get(PUBLIC + "/report.json").json
    assert report["seed"] == SEED and len(report["selected"]) == 8 and len(report["reserves"]) == 4
    assert all(row["ok"] for row in report["quota_table"])
    entry = _audit(app, "draw.seed")[0]
    assert entry["seed"] == SEED and entry["selected"] == report["selected"]
    assert entry["fingerprint"] == run.fingerprint
    page = organiser.get(PAGE).text
    for reference in report["selected"]:
        assert reference in page
    # The seed cannot be entered twice.
    organiser.post(PAGE + "seed", data={"seed": "another", "witnessed": "y"})
    assert client.get(PUBLIC + "/report.json").json["seed"] == SEED


def test_observer_countersigns(client, world, app, pool) -> None:
    draw(app)
    login(client, world.emails["observer"])
    assert "medeondertekenen" in client.get(PAGE).text
    assert client.post(PAGE + "medeondertekenen").status_code == 303
    page = client.get(PAGE).text
    assert "obs-a@example.org" in page  # who signed, on the organisers' page
    assert 'action="/beheer/a/beraad-a/loting/medeondertekenen"' not in page
    client.post(PAGE + "medeondertekenen")  # a second time changes nothing
    entries = _audit(app, "draw.countersign")
    assert len(entries) == 1 and entries[0]["seed"] == SEED
    with app.app_context():
        report = runs.seeded_run(get_session(), assembly()).final_report_json
    assert entries[0]["report_sha256"] == engine.sha256_text(report)


def test_anyone_can_reproduce_the_panel_with_the_published_files(
    client, app, pool, tmp_path
) -> None:
    draw(app)
    page = client.get(PUBLIC).text
    for link in re.findall(r'href="(/a/beraad-a/loting/[^"]+)"', page):
        name = link.rsplit("/", 1)[1]
        response = client.get(link)
        assert response.status_code == 200, link
        (tmp_path / name).write_bytes(response.data)
    assert {p.name for p in tmp_path.iterdir()} >= {"mensen.csv", "quota.csv", "report.json"}
    command = unescape(
        re.search(r"<pre[^>]*><code>(python -m sortition verify.*?)</code></pre>", page, re.S)[1]
    )
    argv = shlex.split(command)
    assert argv[:4] == ["python", "-m", "sortition", "verify"]
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the draw reproduces the report" in result.stdout
    assert "people file matches the report" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert f"selected: {', '.join(report['selected'])}" in result.stdout
    # And a different seed does not give this panel (in-process: the same CLI, faster).
    wrong = argv[4:]
    wrong[wrong.index("--seed") + 1] = "07 12 19 33 42"
    wrong = [str(tmp_path / a) if a.endswith((".json", ".csv")) else a for a in wrong]
    assert cli.main(["verify", *wrong], stdout=io.StringIO(), stderr=io.StringIO()) == 3


def test_public_pages_hold_no_personal_data(client, app, pool) -> None:
    draw(app)
    with app.app_context():
        people = get_session().exec(select(Registration)).all()
        secrets = [
            value
            for r in people
            for value in (r.name, r.email, r.phone, r.household_key, r.token_hash)
            if value
        ]
    texts = [client.get(PUBLIC).text, client.get("/a/beraad-a/").text]
    for name in ("mensen.csv", "quota.csv", "loting.json", "report.json"):
        texts.append(client.get(f"{PUBLIC}/{name}").data.decode())
    for text in texts:
        for secret in secrets:
            assert secret not in text
    # Everyone in the published people file is a random reference with an anonymous household.
    rows = list(csv.DictReader(io.StringIO(texts[2])))
    assert all(re.fullmatch(r"h\d+", row["household"]) for row in rows)


def test_public_page_before_publication_shows_no_fingerprint(client, app, pool) -> None:
    compute(app)
    with app.app_context():
        run = runs.latest_run(get_session(), assembly())
    page = client.get(PUBLIC).text
    assert run.fingerprint not in page
    assert client.get(PUBLIC + "/loting.json").status_code == 404
    assert client.get("/a/onbekend/loting").status_code == 404


@pytest.mark.parametrize(("tolerance", "mentioned"), [(1e-2, True), (None, False)])
def test_a_coarse_tolerance_is_said_on_the_public_page(
    client, app, pool, tolerance: float | None, mentioned: bool
) -> None:
    """Chances computed only roughly (DRAW_TOLERANCE) are not presented as exact."""
    if tolerance is not None:
        app.config["DRAW_TOLERANCE"] = tolerance
    draw(app)
    page = unescape(client.get(PUBLIC).text)
    said = "tot op 1 procentpunt" in page or "within 1 percentage points" in page
    assert said == mentioned
