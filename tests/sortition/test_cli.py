"""``python -m sortition`` end to end, on small files written to ``tmp_path``.

The ``fake_engine`` tests check the plumbing with a brute-force engine; the
``test_real_*`` tests repeat the essentials against the real solvers.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sortition_helpers import write

import sortition.cli
from sortition.cli import Progress, main
from sortition.draw import DrawResult
from sortition.replace import ReplacementResult

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = "feature,value,min,max\ngender,f,2,2\ngender,m,2,2\nage,young,1,3\nage,old,1,3\n"
INFEASIBLE = "feature,value,min,max\ngender,f,3,4\ngender,m,0,4\nage,young,0,4\nage,old,0,4\n"


def people_csv(n: int = 16, *, n_women: int | None = None, delimiter: str = ",") -> str:
    """``n`` people; p01 and p02 share an address; extra columns to be kept in the output."""
    lines = [delimiter.join(["nr", "naam", "gender", "age", "adres"])]
    for i in range(1, n + 1):
        woman = i <= n_women if n_women is not None else i % 2 == 1
        address = "Kerkstraat 1" if i <= 2 else f"Dorpsweg {i}"
        lines.append(
            delimiter.join(
                [
                    f"p{i:02d}",
                    f"Naam {i}",
                    "f" if woman else "m",
                    "young" if i % 4 < 2 else "old",
                    address,
                ]
            )
        )
    return "\n".join(lines) + "\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "people": write(tmp_path / "people.csv", people_csv()),
        "categories": write(tmp_path / "categories.csv", CATEGORIES),
        "out": tmp_path / "out",
    }


def select_args(files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "select", "--people", str(files["people"]), "--categories", str(files["categories"]),
        "--panel-size", "4", "--address-columns", "adres", "--out", str(files["out"]), *extra,
    ]  # fmt: skip


def read_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def check_select_outputs(files: dict[str, Path], stdout: str) -> dict[str, object]:
    out = files["out"]
    selected, remaining = read_rows(out / "selected.csv"), read_rows(out / "remaining.csv")
    original = read_rows(files["people"])
    assert selected[0] == remaining[0] == original[0]
    assert len(selected) == 5 and len(remaining) == 13
    # every original row exactly once, each file in the original order
    assert sorted(selected[1:] + remaining[1:]) == sorted(original[1:])
    for rows in (selected[1:], remaining[1:]):
        assert rows == [r for r in original[1:] if r in rows]
    assert sum(1 for r in selected[1:] if r[4] == "Kerkstraat 1") <= 1
    assert sorted(r[2] for r in selected[1:]) == ["f", "f", "m", "m"]
    probabilities = read_rows(out / "probabilities.csv")
    assert probabilities[0] == ["id", "probability"]
    assert [r[0] for r in probabilities[1:]] == [r[0] for r in original[1:]]
    assert sum(float(r[1]) for r in probabilities[1:]) == pytest.approx(4.0)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(report["selected"]) == sorted(r[0] for r in selected[1:])
    assert re.search(r"min \d\.\d+, mean 0\.2500, max \d\.\d+", stdout)
    assert "panels" in stdout
    return report


def test_select_writes_files(files: dict[str, Path], fake_engine: None, capsys) -> None:
    assert main(select_args(files, "--seed", "2024-05-01")) == 0
    captured = capsys.readouterr()
    report = check_select_outputs(files, captured.out)
    assert report["seed"] == "2024-05-01"
    assert report["settings"]["address_columns"] == ["adres"]
    assert all(row["ok"] for row in report["quota_table"])


def test_select_reserves(files: dict[str, Path], fake_engine: None, capsys) -> None:
    assert main(select_args(files, "--seed", "s", "--reserves", "3")) == 0
    report = json.loads((files["out"] / "report.json").read_text())
    reserves = read_rows(files["out"] / "reserves.csv")
    assert [r[0] for r in reserves[1:]] == report["reserves"] and len(report["reserves"]) == 3
    assert not set(report["reserves"]) & set(report["selected"])


def test_select_generated_ids_and_semicolons(tmp_path: Path, fake_engine: None, capsys) -> None:
    people = write(tmp_path / "p.csv", "\ufeffgender;age\n" + "f;young\nm;old\n" * 4)
    categories = write(tmp_path / "c.csv", "category,feature,min,max\ngender,f,1,1\ngender,m,1,1\n"
                       "age,young,0,2\nage,old,0,2\n")  # fmt: skip
    out = tmp_path / "out"
    argv = ["select", "--people", str(people), "--categories", str(categories),
            "--panel-size", "2", "--seed", "x", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "numbered 1, 2" in capsys.readouterr().err
    selected = read_rows(out / "selected.csv", ";")
    assert selected[0] == ["id", "gender", "age"]
    assert all(r[0] in {str(i) for i in range(1, 9)} for r in selected[1:])


def test_select_without_seed_then_verify(files: dict[str, Path], fake_engine: None, capsys) -> None:
    assert main(select_args(files)) == 0
    assert not (files["out"] / "selected.csv").exists()
    assert "no seed" in capsys.readouterr().out
    report = str(files["out"] / "report.json")
    assert main(["verify", "--report", report, "--seed", "abc"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"selected: p\d\d, p\d\d, p\d\d, p\d\d", out)
    assert "no panel to compare" in out


def test_verify(files: dict[str, Path], fake_engine: None, capsys) -> None:
    assert main(select_args(files, "--seed", "public seed", "--reserves", "2")) == 0
    report_path = files["out"] / "report.json"
    report = json.loads(report_path.read_text())
    capsys.readouterr()
    argv = ["verify", "--report", str(report_path), "--seed", "public seed"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"selected: {', '.join(report['selected'])}" in out and "OK" in out

    full = [*argv, "--people", str(files["people"]), "--categories", str(files["categories"])]
    assert main(full) == 0
    assert "people file matches" in capsys.readouterr().out

    # another seed: the report's seed differs (and almost surely the panel)
    assert main(["verify", "--report", str(report_path), "--seed", "public seed "]) == 3
    assert "MISMATCH" in capsys.readouterr().out

    # a different input file
    write(files["people"], people_csv().replace("Naam 3", "Naam 33"))
    assert main(full) == 3
    assert "SHA-256 differs" in capsys.readouterr().out


def test_verify_detects_tampered_panel(files: dict[str, Path], fake_engine: None, capsys) -> None:
    assert main(select_args(files, "--seed", "s")) == 0
    report_path = files["out"] / "report.json"
    report = json.loads(report_path.read_text())
    others = [p for p in (f"p{i:02d}" for i in range(1, 17)) if p not in report["selected"]]
    report["selected"][0] = others[0]
    report_path.write_text(json.dumps(report))
    capsys.readouterr()
    assert main(["verify", "--report", str(report_path), "--seed", "s"]) == 3
    assert "panel differs" in capsys.readouterr().out


def test_verify_bad_report(tmp_path: Path, capsys) -> None:
    bad = write(tmp_path / "report.json", "{not json")
    assert main(["verify", "--report", str(bad), "--seed", "s"]) == 1
    assert "report.json" in capsys.readouterr().err
    assert main(["verify", "--report", str(tmp_path / "missing.json"), "--seed", "s"]) == 1


def test_check_feasible(files: dict[str, Path], fake_engine: None, capsys) -> None:
    argv = ["check", "--people", str(files["people"]), "--categories", str(files["categories"]),
            "--panel-size", "4"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("feasible")


def test_check_infeasible(files: dict[str, Path], fake_engine: None, capsys) -> None:
    write(files["categories"], INFEASIBLE)
    write(files["people"], people_csv(n_women=2))
    argv = ["check", "--people", str(files["people"]), "--categories", str(files["categories"]),
            "--panel-size", "4"]  # fmt: skip
    assert main(argv) == 2
    out = capsys.readouterr().out
    assert "infeasible" in out
    assert re.search(r"^  gender f: min 3 → 0$", out, re.M)


def test_select_infeasible(files: dict[str, Path], fake_engine: None, capsys) -> None:
    write(files["categories"], INFEASIBLE)
    write(files["people"], people_csv(n_women=2))
    assert main(select_args(files, "--seed", "s")) == 2
    assert "gender f: min 3 →" in capsys.readouterr().out
    assert not (files["out"] / "report.json").exists()


@pytest.mark.parametrize(
    ("people", "categories", "located"),
    [
        (
            people_csv().replace("p03,Naam 3,f", "p03,Naam 3,x"),
            CATEGORIES,
            "people.csv, row 4, column 'gender'",
        ),
        (people_csv().replace("p05", "p04"), CATEGORIES, "people.csv, row 6, column 'nr'"),
        (
            people_csv(),
            CATEGORIES.replace("2,2", "2.5,2", 1),
            "categories.csv, row 2, column 'min'",
        ),
        (people_csv(), CATEGORIES.replace("1,3", "3,1", 1), "categories.csv, row 4"),
        (
            people_csv().replace(",adres", ",straat"),
            CATEGORIES,
            "people.csv, row 1, column 'adres'",
        ),
    ],
)
def test_bad_input_exits_1(
    files: dict[str, Path], people: str, categories: str, located: str, capsys
) -> None:
    write(files["people"], people)
    write(files["categories"], categories)
    assert main(select_args(files, "--seed", "s")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert located in err
    assert "Traceback" not in err


def test_panel_larger_than_pool(files: dict[str, Path], capsys) -> None:
    argv = select_args(files, "--seed", "s")
    argv[argv.index("4")] = "40"
    assert main(argv) == 1
    assert "larger than the pool" in capsys.readouterr().err


def test_usage_error_exits_1(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["select", "--people", "p.csv"])
    assert info.value.code == 1


def test_replace_plumbing(files: dict[str, Path], fake_engine: None, monkeypatch, capsys) -> None:
    assert main(select_args(files, "--seed", "s")) == 0
    report = json.loads((files["out"] / "report.json").read_text())
    dropped = report["selected"][0]
    calls = {}

    def fake_replace(instance, **options):  # noqa: ANN001, ANN202
        calls.update(options)
        released = ("p03",)  # an unconfirmed member who had to make room
        return ReplacementResult(("p16",), released, None, DrawResult("s2", 0.5, 0, ("p16",), ()))  # type: ignore[arg-type]

    monkeypatch.setattr(sortition.cli, "replace", fake_replace)
    monkeypatch.setattr(sortition.cli, "summary", lambda result: {})
    out = files["out"] / "r"
    argv = ["replace", "--people", str(files["people"]), "--categories", str(files["categories"]),
            "--panel-size", "4", "--address-columns", "adres", "--report",
            str(files["out"] / "report.json"), "--dropped", dropped, "--seed", "s2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert calls["dropped"] == [int(dropped[1:]) - 1] and calls["seed"] == "s2"
    assert read_rows(out / "replacements.csv")[1][0] == "p16"
    # A member who lost their seat must be named, not silently dropped.
    assert "released (no longer on the panel): p03" in capsys.readouterr().out
    assert json.loads((out / "replacement.json").read_text())["released"] == ["p03"]
    argv[argv.index(dropped)] = "nobody"
    assert main(argv) == 1
    assert "nobody" in capsys.readouterr().err


def test_progress_is_throttled() -> None:
    import io

    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, interval=2.0, clock=lambda: now[0])
    for t, fraction in [(0.5, 0.1), (1.9, 0.2), (2.5, 0.3), (3.0, None), (4.6, 0.9)]:
        now[0] = t
        progress(fraction, f"step at {t}")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "30%" in lines[0] and "step at 4.6" in lines[1]


def test_python_m_sortition(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "sortition", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0 and "select" in run.stdout and "verify" in run.stdout
    people = write(tmp_path / "people.csv", "nr,gender,age\np1,f,young\np1,m,old\n")
    categories = write(tmp_path / "categories.csv", CATEGORIES)
    run = subprocess.run(
        [sys.executable, "-m", "sortition", "check", "--people", str(people),
         "--categories", str(categories), "--panel-size", "1"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 1
    assert "row 3, column 'nr'" in run.stderr and "Traceback" not in run.stderr


# --- against the real engine ------------------------------------------------------------


def test_real_select_and_verify(files: dict[str, Path], capsys) -> None:
    assert main(select_args(files, "--seed", "real", "--reserves", "2")) == 0
    report = check_select_outputs(files, capsys.readouterr().out)
    assert report["algorithm"] == "leximin"
    probabilities = [float(r[1]) for r in read_rows(files["out"] / "probabilities.csv")[1:]]
    # the two people sharing an address together have at most one seat
    assert probabilities[0] + probabilities[1] <= 1.0 + 1e-6
    argv = ["verify", "--report", str(files["out"] / "report.json"), "--seed", "real",
            "--people", str(files["people"]), "--categories", str(files["categories"])]  # fmt: skip
    assert main(argv) == 0
    argv[4] = "Real"
    assert main(argv) == 3


@pytest.mark.parametrize("algorithm", ["maximin", "nash"])
def test_real_select_algorithms(files: dict[str, Path], algorithm: str, capsys) -> None:
    assert main(select_args(files, "--seed", "x", "--algorithm", algorithm)) == 0
    report = check_select_outputs(files, capsys.readouterr().out)
    assert report["algorithm"] == algorithm


def test_real_select_infeasible(files: dict[str, Path], capsys) -> None:
    write(files["categories"], INFEASIBLE)
    write(files["people"], people_csv(n_women=2))
    assert main(select_args(files, "--seed", "s")) == 2
    assert "infeasible" in capsys.readouterr().out


def test_real_check(files: dict[str, Path], capsys) -> None:
    argv = ["check", "--people", str(files["people"]), "--categories", str(files["categories"]),
            "--panel-size", "4", "--address-columns", "adres"]  # fmt: skip
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("feasible")
    write(files["categories"], INFEASIBLE)
    write(files["people"], people_csv(n_women=2))
    assert main(argv) == 2
    out = capsys.readouterr().out
    # The two women share an address, so at most one of them can sit on the panel.
    assert re.search(r"^  gender f: min 3 → 1$", out, re.M)


def test_real_replace(files: dict[str, Path], capsys) -> None:
    assert main(select_args(files, "--seed", "s")) == 0
    report = json.loads((files["out"] / "report.json").read_text())
    dropped = report["selected"][0]
    out = files["out"] / "r"
    argv = ["replace", "--people", str(files["people"]), "--categories", str(files["categories"]),
            "--panel-size", "4", "--address-columns", "adres", "--report",
            str(files["out"] / "report.json"), "--dropped", dropped, "--seed", "s2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    rows = read_rows(out / "replacements.csv")
    assert len(rows) == 2 and rows[1][0] not in report["selected"]


def test_the_command_line_imports_no_solver_before_it_solves() -> None:
    """Start-up: SciPy's optimiser and linear algebra and HiGHS took most of a second to
    import before any file was read; ``verify``, ``--help`` and the parser need none."""
    code = (
        "import sys, sortition, sortition.cli\n"
        "print(sorted(m for m in ('scipy.optimize', 'scipy.linalg', 'scipy.sparse', "
        "'highspy') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


# --- #12.10: clear messages instead of tracebacks, a time limit that holds -------------------


@pytest.mark.parametrize("where", ["file", "unwritable"])
def test_out_that_cannot_be_a_directory_is_refused_before_solving(
    files: dict[str, Path], fake_engine: None, where: str, capsys
) -> None:
    if where == "file":
        files["out"].write_text("already here\n")
        expected = "is a file, not a directory"
    else:
        files["out"] = Path("/proc/no-such-dir/out")
        expected = "cannot be created"
    assert main(select_args(files, "--seed", "s")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --out") and expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize("limit", ["-1", "0", "nan"])
def test_time_limit_must_be_positive(files: dict[str, Path], limit: str, capsys) -> None:
    assert main(select_args(files, "--time-limit", limit)) == 1
    assert "--time-limit must be a number of seconds above 0" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"\x00" * 100, b"PK\x03\x04" + b"\x00" * 60])
def test_a_binary_people_file_is_named_as_such(
    files: dict[str, Path], content: bytes, capsys
) -> None:
    files["people"].write_bytes(content)
    assert main(select_args(files)) == 1
    err = capsys.readouterr().err
    assert "not a CSV file" in err and "empty" not in err and "no people" not in err


def test_the_time_limit_counts_from_the_start_and_stops_a_solver_that_ignores_it(
    files: dict[str, Path], monkeypatch, capsys
) -> None:
    """A solver that does not return in time is stopped at the limit, with a message."""
    import time as clock

    def stuck(instance, **options):  # noqa: ANN001, ANN202
        clock.sleep(30)

    monkeypatch.setattr(sortition.cli, "find_distribution", stuck)
    started = clock.monotonic()
    assert main(select_args(files, "--time-limit", "1.5")) == 4
    assert clock.monotonic() - started < 1.5 * 1.1 + 0.5
    err = capsys.readouterr().err
    assert "time limit of 1.5 s" in err and "nothing was written" in err
    assert not files["out"].exists() or not (files["out"] / "report.json").exists()


def test_the_solver_gets_what_is_left_of_the_time_limit(
    files: dict[str, Path], fake_engine: None, monkeypatch, capsys
) -> None:
    real = sortition.cli.find_distribution
    seen = files["out"].parent / "time_limit.txt"  # the solver runs in a child process

    def spy(instance, **options):  # noqa: ANN001, ANN202
        seen.write_text(str(options["time_limit"]))
        return real(instance, **options)

    monkeypatch.setattr(sortition.cli, "find_distribution", spy)
    assert main(select_args(files, "--seed", "s", "--time-limit", "20")) == 0
    assert 0 < float(seen.read_text()) < 20 * 0.95
