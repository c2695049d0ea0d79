"""#11.5: anyone checks the draw from the public page alone: the program (a wheel the page
offers, with its version and the install commands), the fingerprints of the inputs and of the
lottery published before the seed, the panel from the seed, and every replacement."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import zipfile
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.draw import program, runs
from assembly.models import Registration
from assembly.timeutil import utcnow
from sortition import cli

from .conftest import compute, draw
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"
PUBLIC = "/a/beraad-a/loting"
SEED = "07 12 19 33 41"


def _commands(page: str) -> list[str]:
    """The page's command blocks, as a visitor copies them."""
    blocks = re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.S)
    return [unescape(block) for block in blocks]


def _download_all(client, page: str, folder: Path) -> list[str]:
    names = []
    for link in re.findall(r'href="(/a/beraad-a/loting/[^"]+)"', page):
        name = unescape(link).rsplit("/", 1)[1]
        response = client.get(unescape(link))
        assert response.status_code == 200, link
        (folder / name).write_bytes(response.data)
        names.append(name)
    return names


def _replace_some(organiser, app) -> None:
    """Two members decline; one seat goes to a reserve, one to the engine's fair draw."""
    from assembly.draw import engine, results

    with app.app_context():
        session = get_session()
        run = runs.seeded_run(session, assembly())
        found = results.result(session, run)
        loaded = engine.load_run(run)
        panel = found.current_references
        order = [r.reference for r in found.reserves]
        # A member whose seat a reserve can take, and another one.
        first = next(
            s for s in found.seats
            if engine.next_reserve(loaded, panel=panel, out=s.reference, reserves=order,
                                   excluded=set(panel)) is not None
        )
        second = next(s for s in found.seats if s is not first)
        reserves = [r.registration.id for r in found.reserves]
    organiser.post(PAGE + "antwoord", data={"member_id": first.member.id, "answer": "decline"})
    organiser.post(PAGE + "vervangen")
    # Every reserve withdraws: the next seat needs the engine.
    with app.app_context():
        session = get_session()
        for registration in session.exec(select(Registration).where(Registration.id.in_(reserves))):
            registration.withdrawn_at = utcnow()
        session.commit()
    organiser.post(PAGE + "antwoord", data={"member_id": second.member.id, "answer": "decline"})
    organiser.post(PAGE + "vervangen")


def _verify(argv: list[str], folder: Path) -> tuple[int, str]:
    args = [str(folder / a) if a.endswith((".json", ".csv")) else a for a in argv]
    out = io.StringIO()
    code = cli.main(args, stdout=out, stderr=out)
    return code, out.getvalue()


def test_the_page_names_the_program_and_how_to_install_it(client, app, pool) -> None:
    draw(app)
    page = unescape(client.get(PUBLIC).text)
    assert program.version() in page and program.wheel_name() in page
    install, command = _commands(client.get(PUBLIC).text)
    assert "python3 -m venv" in install
    wheel_url = f"http://burgerberaad.test/a/beraad-a/loting/{program.wheel_name()}"
    assert f"pip install {wheel_url}" in install
    for option in ("--lottery loting.json", "--lottery-sha256", "--fingerprint", "--recompute",
                   "--replacements vervangingen.json", "--report report.json"):
        assert option in command
    wheel = client.get(f"{PUBLIC}/{program.wheel_name()}")
    names = zipfile.ZipFile(io.BytesIO(wheel.data)).namelist()
    assert "sortition/cli.py" in names and "sortition/__main__.py" in names
    assert not any(name.startswith("assembly") for name in names)
    # The same bytes every time: the address may be cached and the download compared.
    assert client.get(f"{PUBLIC}/{program.wheel_name()}").data == wheel.data


def test_before_the_seed_the_lottery_can_be_checked_and_kept(client, app, pool, tmp_path) -> None:
    compute(app)
    with app.app_context():
        from assembly.draw import ceremony

        session = get_session()
        ceremony.publish(session, "test", assembly(), "Live op 12 maart.")
        session.commit()
        run = runs.published_run(session, assembly())
    page = client.get(PUBLIC).text
    _download_all(client, page, tmp_path)
    command = _commands(page)[-1]
    assert "--report" not in command and "--seed" not in command
    code, output = _verify(shlex.split(command)[3:], tmp_path)
    assert code == 0, output
    assert f"lottery file SHA-256 {run.lottery_sha256}" in output
    assert "OK: the lottery matches its published fingerprints" in output
    assert "computed again: every chance equals the lottery's" in output


def test_the_check_covers_the_lottery_the_panel_and_every_replacement(
    client, organiser, app, pool, tmp_path
) -> None:
    draw(app)
    _replace_some(organiser, app)
    page = client.get(PUBLIC).text
    names = _download_all(client, page, tmp_path)
    assert "vervangingen.json" in names
    steps = json.loads((tmp_path / "vervangingen.json").read_text())["steps"]
    assert [step["via"] for step in steps] == ["reserve", "engine"]
    argv = shlex.split(_commands(page)[-1])[3:]
    code, output = _verify(argv, tmp_path)
    assert code == 0, output
    for line in (
        "the report's lottery is the lottery published before the seed",
        "fingerprint of the inputs",
        "panels of the lottery meets every quota",
        f"replacement 1: reserve {steps[0]['in']} for {steps[0]['out']}",
        "replacement 2: fair draw of",
        "OK: the draw reproduces the report",
    ):
        assert line in output, line


@pytest.mark.parametrize("tamper", ["lottery", "replacement", "people", "fingerprint"])
def test_the_check_finds_a_changed_file(
    client, organiser, app, pool, tmp_path, tamper: str
) -> None:
    draw(app)
    _replace_some(organiser, app)
    page = client.get(PUBLIC).text
    _download_all(client, page, tmp_path)
    argv = shlex.split(_commands(page)[-1])[3:]
    if tamper == "lottery":
        lottery = json.loads((tmp_path / "loting.json").read_text())
        lottery["distribution"]["panels"][0]["probability"] += 0.01
        (tmp_path / "loting.json").write_text(json.dumps(lottery))
    elif tamper == "replacement":
        evidence = json.loads((tmp_path / "vervangingen.json").read_text())
        step = evidence["steps"][0]
        step["in"] = next(p for p in step["withdrawn"] + [step["out"]] if p != step["in"])
        (tmp_path / "vervangingen.json").write_text(json.dumps(evidence))
    elif tamper == "people":
        people = (tmp_path / "mensen.csv").read_text().splitlines()
        old, new = ("vrouw", "man") if "vrouw" in people[1] else ("man", "vrouw")
        people[1] = people[1].replace(old, new)
        (tmp_path / "mensen.csv").write_text("\n".join(people) + "\n")
    else:
        argv[argv.index("--fingerprint") + 1] = "0" * 64
    code, output = _verify(argv, tmp_path)
    assert code == 3, output
    assert "MISMATCH" in output


def _base_python() -> str:
    """The interpreter this project's virtual environment was made from."""
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.mark.slow
def test_a_fresh_environment_installs_the_program_and_runs_the_pages_commands(
    client, organiser, app, pool, tmp_path
) -> None:
    """Exactly what a visitor does: a new virtual environment, the page's install command
    (the wheel from the page, installed offline: its dependencies come from this machine's
    numpy, SciPy and HiGHS), then the page's command on the downloaded files."""
    draw(app)
    _replace_some(organiser, app)
    page = client.get(PUBLIC).text
    folder = tmp_path / "downloads"
    folder.mkdir()
    _download_all(client, page, folder)
    install, command = _commands(page)
    venv = tmp_path / "loting-controle"
    subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # No network: the engine's dependencies are those installed for the tests, put on the
    # new environment's path (not the project itself: it is not on that path).
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    dependencies = sysconfig.get_paths()["purelib"]
    Path(site, "dependencies.pth").write_text(dependencies + "\n")
    wheel = shlex.split(install.splitlines()[-1])[-1].rsplit("/", 1)[1]
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(folder / wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    version = subprocess.run(
        [str(python), "-m", "sortition", "--version"],
        cwd=folder, capture_output=True, text=True, env=env, timeout=120,
    )
    assert version.stdout.strip() == f"burgerberaad-sortition {program.version()}", version.stderr
    where = subprocess.run(
        [str(python), "-c", "import sortition; print(sortition.__file__)"],
        cwd=folder, capture_output=True, text=True, env=env, timeout=120,
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "sortition"]
    result = subprocess.run(
        [str(python), *argv[1:]], cwd=folder, capture_output=True, text=True, env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the draw reproduces the report" in result.stdout
    assert "replacement 2: fair draw of" in result.stdout
    assert os.path.exists(folder / "vervangingen.json")
