"""Table groups: every hard rule holds, repeats are few, the same seed gives the same plan.

The checks here are written independently of the engine: they recount table sizes,
balance, pins and pairs from the returned seating.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortition import InfeasibleError, InputError
from sortition.cli import main
from sortition.tables import Seat, TablePeople, TablePlan, construct, plan_tables
from sortition.tables.construct import seat_session
from sortition.tables.problem import prepare
from sortition.tables.reseat import SessionSearch
from sortition.tables.result import check_plan

ROOT = Path(__file__).resolve().parents[2]

GENDER = ("man", "vrouw")
AGE = ("16-24", "25-34", "35-49", "50-64", "65-79", "80+")
EDUCATION = ("laag", "midden", "hoog")
REGION = ("Walcheren", "Zeeuws-Vlaanderen", "De Bevelanden", "Schouwen")


def make_people(n: int, seed: int) -> TablePeople:
    rng = np.random.default_rng(seed)
    columns = {
        "geslacht": [GENDER[k] for k in rng.integers(0, 2, n)],
        "leeftijd": [AGE[k] for k in rng.integers(0, 6, n)],
        "opleiding": [EDUCATION[k] for k in rng.integers(0, 3, n)],
        "regio": [REGION[k] for k in rng.integers(0, 4, n)],
    }
    return TablePeople.from_columns([f"p{i:03d}" for i in range(n)], columns)


def repeats(plan: TablePlan) -> int:
    meetings: Counter[tuple[str, str]] = Counter()
    for session in plan.tables:
        for table in session:
            meetings.update(itertools.combinations(sorted(table), 2))
    return sum(k - 1 for k in meetings.values() if k > 1)


def check_rules(
    plan: TablePlan,
    people: TablePeople,
    *,
    table_size: int,
    balance: Sequence[str] = (),
    pins: Sequence[Seat] = (),
    apart: Sequence[tuple[str, str]] = (),
    together: Sequence[tuple[str, str]] = (),
    present: dict[int, set[str]] | None = None,
) -> None:
    """Assert every hard rule of every planned session from the seating alone."""
    for s in plan.planned:
        tables = plan.tables[s - 1]
        here = present.get(s, set(people.ids)) if present else set(people.ids)
        seated = [p for t in tables for p in t]
        assert sorted(seated) == sorted(here), f"session {s}: not everyone present is seated"
        sizes = [len(t) for t in tables]
        assert max(sizes) <= table_size and max(sizes) - min(sizes) <= 1, sizes
        assert len(tables) == -(-len(here) // table_size)
        for column in balance:
            c = people.columns.index(column)
            value = {p: people.values[i][c] for i, p in enumerate(people.ids)}
            for v in {value[p] for p in here}:
                counts = [sum(value[p] == v for p in t) for t in tables]
                assert max(counts) - min(counts) <= 1, (s, column, v, counts)
        where = {p: t for t, members in enumerate(tables, start=1) for p in members}
        for pin in pins:
            if pin.session == s:
                assert where[pin.id] == pin.table
        for a, b in apart:
            if a in where and b in where:
                assert where[a] != where[b]
        for a, b in together:
            if a in where and b in where:
                assert where[a] == where[b]
    assert plan.repeated_pairs == repeats(plan)


# --- the hard rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "sessions", "size", "balance"),
    [
        (30, 3, 6, ["geslacht", "leeftijd"]),
        (47, 4, 8, ["geslacht", "leeftijd", "opleiding"]),
        (23, 2, 5, ["regio"]),
        (12, 3, 12, ["geslacht"]),  # a single table
    ],
)
def test_hard_rules_hold(n: int, sessions: int, size: int, balance: list[str]) -> None:
    people = make_people(n, seed=n)
    pins = [Seat(2, 1, "p005"), Seat(1, 2, "p006")]
    apart = [("p000", "p001"), ("p001", "p002")]
    together = [("p003", "p004")]
    if size >= n:
        pins, apart = [], []
    plan = plan_tables(
        people,
        sessions=sessions,
        table_size=size,
        seed=1,
        balance=balance,
        pins=pins,
        apart=apart,
        together=together,
        effort=0.2,
    )
    check_rules(
        plan, people, table_size=size, balance=balance, pins=pins, apart=apart, together=together
    )
    assert plan.planned == tuple(range(1, sessions + 1))
    assert all(plan.spread[column] <= 1 for column in balance)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(4, 36),
    size=st.integers(2, 9),
    sessions=st.integers(1, 4),
    balance=st.sampled_from([[], ["geslacht"], ["leeftijd"], ["geslacht", "opleiding"]]),
    seed=st.integers(0, 10_000),
    data=st.data(),
)
def test_hard_rules_hold_on_random_inputs(
    n: int, size: int, sessions: int, balance: list[str], seed: int, data: st.DataObject
) -> None:
    people = make_people(n, seed)
    ids = list(people.ids)
    pair = st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True)
    apart = [tuple(p) for p in data.draw(st.lists(pair, max_size=3))]
    together = [tuple(p) for p in data.draw(st.lists(pair, max_size=2))]
    absent = data.draw(st.sets(st.sampled_from(ids), max_size=n // 3))
    present = {1: set(ids) - absent}
    try:
        plan = plan_tables(
            people,
            sessions=sessions,
            table_size=size,
            seed=seed,
            balance=balance,
            apart=apart,
            together=together,
            present=present,
            effort=0.2,
        )
    except InfeasibleError as error:
        # Only the pairs can make these inputs impossible: with at most two balance
        # columns a balanced seating always exists.
        assert error.code in {
            "together_apart_conflict",
            "together_group_too_large",
            "together_breaks_balance",
            "apart_impossible",
        }, error
        return
    check_rules(
        plan,
        people,
        table_size=size,
        balance=balance,
        apart=apart,
        together=together,
        present=present,
    )


def test_attendance_differs_per_session() -> None:
    people = make_people(20, seed=3)
    present = {1: set(people.ids[:14]), 3: set(people.ids[5:])}
    plan = plan_tables(
        people, sessions=3, table_size=4, seed="x", balance=["geslacht"], present=present
    )
    check_rules(plan, people, table_size=4, balance=["geslacht"], present=present)
    assert len(plan.tables[0]) == 4 and len(plan.tables[1]) == 5
    assert plan.table_of("p019", 1) is None and plan.table_of("p019", 2) is not None


# --- repeats, determinism, history -----------------------------------------------------------


def test_zero_repeats_where_possible() -> None:
    people = make_people(32, seed=8)  # 4 sessions x (4 - 1) = 12 <= 31 others
    plan = plan_tables(people, sessions=4, table_size=4, seed=2, balance=["geslacht"])
    assert plan.repeated_pairs == 0 == repeats(plan)
    assert plan.status == 0 and plan.success
    assert plan.random_repeated_pairs > 5


def test_fewer_repeats_than_random_on_a_crowded_programme() -> None:
    people = make_people(30, seed=4)  # 6 x 5 = 30 > 29: some repeats are unavoidable
    plan = plan_tables(people, sessions=6, table_size=6, seed=3, balance=["geslacht"], effort=0.3)
    assert plan.repeated_pairs < plan.random_repeated_pairs / 2


def test_reseating_a_session_counts_its_repeats_and_keeps_every_rule() -> None:
    # One session seated again against a graph of who met whom elsewhere: the repeats it
    # reports are the met pairs at one table, never more than where it started, and the
    # pin, the pairs and the balance still hold.
    people = make_people(40, seed=5)
    problem = prepare(
        people, sessions=1, table_size=5, balance=["geslacht", "leeftijd"], spread=None,
        history=(), pins=[Seat(1, 2, "p003")], apart=[("p000", "p001")],
        together=[("p004", "p005")], present=None,
    )  # fmt: skip
    session = problem.sessions[0]
    rng = np.random.default_rng(1)
    tab = seat_session(problem, session, np.zeros((40, 40), dtype=bool), rng, 30.0)
    met = rng.random((40, 40)) < 0.3
    met = (met | met.T) & ~np.eye(40, dtype=bool)
    apart = np.zeros((40, 40), dtype=bool)
    apart[0, 1] = apart[1, 0] = True

    def met_at_a_table(seating: np.ndarray) -> int:
        return int((met & (seating[:, None] == seating[None, :])).sum()) // 2

    done = SessionSearch(session, problem.bal, apart, rng).run(tab.copy(), met, 300)
    assert done.cost == met_at_a_table(done.tab) <= met_at_a_table(tab)
    assert done.cost < met_at_a_table(tab) / 2
    check_plan(problem, done.tab[None, :])


def test_random_baseline_is_the_exact_expectation() -> None:
    # Four people at two tables of two, twice: a pair meets twice with chance (1/3)^2.
    people = TablePeople.from_columns(["a", "b", "c", "d"])
    plan = plan_tables(people, sessions=2, table_size=2, seed=0)
    assert plan.random_repeated_pairs == pytest.approx(6 / 9)


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    people = make_people(40, seed=5)
    args = {"sessions": 3, "table_size": 6, "balance": ["geslacht", "leeftijd"]}
    first = plan_tables(people, seed="zaal 1", **args)
    again = plan_tables(people, seed="zaal 1", **args)
    other = plan_tables(people, seed="zaal 2", **args)
    assert first.tables == again.tables
    assert first.tables != other.tables
    assert (
        plan_tables(people, seed=7, **args).tables == plan_tables(people, seed="7", **args).tables
    )


SCRIPT = """
import sys
from sortition.tables import TablePeople, plan_tables
ids = [f"deelnemer {i}" for i in range(30)]
colours = [("rood", "groen", "blauw")[i % 3] for i in range(30)]
people = TablePeople.from_columns(ids, {"kleur": colours})
plan = plan_tables(
    people, sessions=3, table_size=5, seed="s", balance=["kleur"],
    apart=[("deelnemer 1", "deelnemer 2")], together=[("deelnemer 3", "deelnemer 4")],
)
print(plan.tables)
"""


def test_plan_does_not_depend_on_the_hash_seed() -> None:
    outputs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_history_is_kept_and_counted() -> None:
    people = make_people(24, seed=6)
    first = plan_tables(people, sessions=4, table_size=4, seed=1, balance=["geslacht"])
    # The organiser moves p001 by hand to p000's table in sessions 1 and 2; those are
    # now fixed (held, or edited) and only sessions 3 and 4 are planned again.
    history = [
        Seat(s.session, first.table_of("p000", s.session) or 0, s.id) if s.id == "p001" else s
        for s in first.seats()
        if s.session <= 2
    ]
    plan = plan_tables(
        people, sessions=4, table_size=4, seed=1, balance=["geslacht"], history=history
    )
    assert plan.planned == (3, 4)
    kept = {(s.session, s.table, s.id) for s in plan.seats() if s.session <= 2}
    assert kept == {tuple(s) for s in history}
    # p000 and p001 now share a table in sessions 1 and 2: one repeat no plan can avoid.
    assert plan.table_of("p000", 1) == plan.table_of("p001", 1)
    assert plan.table_of("p000", 2) == plan.table_of("p001", 2)
    assert plan.unavoidable_repeated_pairs >= 1
    assert plan.repeated_pairs == repeats(plan)
    check_rules(plan, people, table_size=4, balance=["geslacht"])


# --- refusals ------------------------------------------------------------------------------


def refusal(code: str, **kwargs: object) -> InfeasibleError:
    people = kwargs.pop("people", make_people(12, seed=1))
    args: dict[str, object] = {"sessions": 2, "table_size": 4, "seed": 1}
    args.update(kwargs)
    with pytest.raises(InfeasibleError) as caught:
        plan_tables(people, **args)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert str(caught.value)
    return caught.value


def test_table_size_one_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        plan_tables(make_people(6, 1), sessions=2, table_size=1, seed=1)
    assert caught.value.code == "table_size_too_small"


def test_unknown_ids_and_columns_are_refused() -> None:
    people = make_people(6, 1)
    for kwargs, code in [
        ({"apart": [("p000", "nobody")]}, "unknown_id"),
        ({"balance": ["haarkleur"]}, "unknown_column"),
        ({"pins": [Seat(3, 1, "p000")]}, "session_out_of_range"),
    ]:
        with pytest.raises(InputError) as caught:
            plan_tables(people, sessions=2, table_size=3, seed=1, **kwargs)  # type: ignore[arg-type]
        assert caught.value.code == code


def test_contradictory_rules_are_refused_with_the_reason() -> None:
    error = refusal(
        "pins_break_apart", apart=[("p000", "p001")], pins=[Seat(1, 2, "p000"), Seat(1, 2, "p001")]
    )
    assert error.params["ids"] == ["p000", "p001"] and error.params["session"] == 1
    refusal(
        "pins_split_together",
        together=[("p000", "p001")],
        pins=[Seat(2, 1, "p000"), Seat(2, 2, "p001")],
    )
    refusal(
        "together_apart_conflict",
        together=[("p000", "p001"), ("p001", "p002")],
        apart=[("p000", "p002")],
    )
    error = refusal(
        "together_group_too_large",
        together=[("p000", "p001"), ("p001", "p002"), ("p002", "p003"), ("p003", "p004")],
    )
    assert error.params["largest"] == 4
    refusal("pin_table_out_of_range", pins=[Seat(1, 4, "p000")])
    refusal("conflicting_pins", pins=[Seat(1, 1, "p000"), Seat(1, 2, "p000")])
    refusal("pins_overfill_table", pins=[Seat(1, 1, f"p00{i}") for i in range(5)])
    # Four people who must all be apart, but three tables.
    refusal(
        "apart_impossible", apart=list(itertools.combinations(["p000", "p001", "p002", "p003"], 2))
    )


def test_together_group_that_breaks_the_balance_is_refused() -> None:
    people = TablePeople.from_columns(
        [f"q{i}" for i in range(8)], {"geslacht": ["man"] * 4 + ["vrouw"] * 4}
    )
    error = refusal(
        "together_breaks_balance",
        people=people,
        balance=["geslacht"],
        together=[("q0", "q1"), ("q1", "q2")],
    )
    assert error.params["balance_column"] == "geslacht" and error.params["limit"] == 2


def test_impossible_balance_of_three_columns_is_refused() -> None:
    # Two tables of two: whoever sits with (a, x, p) breaks the balance of one column.
    people = TablePeople.from_columns(
        ["w", "x", "y", "z"],
        {"c1": ["a", "a", "b", "b"], "c2": ["x", "y", "x", "y"], "c3": ["p", "q", "q", "p"]},
    )
    error = refusal(
        "balance_impossible", people=people, sessions=1, table_size=2, balance=["c1", "c2", "c3"]
    )
    assert error.params["columns"] == ["c1", "c2", "c3"]


# --- command line --------------------------------------------------------------------------


def write_people(path: Path, n: int = 30) -> Path:
    people = make_people(n, seed=11)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["nr", "naam", *people.columns])
        for i, person in enumerate(people.ids):
            writer.writerow([person, f"Naam {i}", *people.values[i]])
    return path


def test_cli_writes_the_plan_and_the_report(tmp_path: Path) -> None:
    people = write_people(tmp_path / "mensen.csv")
    (tmp_path / "apart.csv").write_text("id_a,id_b\np000,p001\n", encoding="utf-8")
    (tmp_path / "samen.csv").write_text("id_a,id_b\np002,p003\n", encoding="utf-8")
    (tmp_path / "pins.csv").write_text("id,session,table\np004,2,3\n", encoding="utf-8")
    out = tmp_path / "uit"
    args = [
        "tables",
        "--people",
        str(people),
        "--id-column",
        "nr",
        "--sessions",
        "3",
        "--table-size",
        "6",
        "--balance",
        "geslacht,leeftijd",
        "--seed",
        "avond 1",
        "--apart",
        str(tmp_path / "apart.csv"),
        "--together",
        str(tmp_path / "samen.csv"),
        "--pins",
        str(tmp_path / "pins.csv"),
        "--effort",
        "0.2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    with (out / "tables.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["session", "table", "id"]
    assert {int(r["session"]) for r in rows} == {1, 2, 3}
    assert min(int(r["table"]) for r in rows) == 1
    assert len(rows) == 3 * 30
    assert {"session": "2", "table": "3", "id": "p004"} in rows
    report = json.loads((out / "tables-report.json").read_text(encoding="utf-8"))
    assert report["format"] == "burgerberaad-tables-report"
    for key in ("repeated_pairs", "random_repeated_pairs", "spread", "solve_time", "status"):
        assert key in report
    assert report["spread"]["geslacht"] <= 1 and report["spread"]["leeftijd"] <= 1
    assert "naam" not in report["spread_columns"]  # a different value for everybody
    assert report["inputs"]["people"]["sha256"]

    # Re-plan session 3 with sessions 1 and 2 as history: they come back unchanged.
    (tmp_path / "held.csv").write_text(
        "session,table,id\n"
        + "".join(f"{r['session']},{r['table']},{r['id']}\n" for r in rows if r["session"] != "3"),
        encoding="utf-8",
    )
    again = tmp_path / "opnieuw"
    assert main([*args[:-2], "--history", str(tmp_path / "held.csv"), "--out", str(again)]) == 0
    with (again / "tables.csv").open(encoding="utf-8", newline="") as handle:
        replanned = list(csv.DictReader(handle))
    assert [r for r in replanned if r["session"] != "3"] == [r for r in rows if r["session"] != "3"]


def test_cli_refuses_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = write_people(tmp_path / "mensen.csv", n=8)
    (tmp_path / "pins.csv").write_text("id,session,table\np000,1,1\np001,1,1\n", encoding="utf-8")
    (tmp_path / "apart.csv").write_text("id_a,id_b\np000,p001\n", encoding="utf-8")
    base = [
        "tables",
        "--people",
        str(people),
        "--sessions",
        "2",
        "--table-size",
        "4",
        "--seed",
        "1",
        "--out",
        str(tmp_path / "uit"),
    ]
    code = main(
        [*base, "--pins", str(tmp_path / "pins.csv"), "--apart", str(tmp_path / "apart.csv")]
    )
    assert code == 2
    assert "pinned to the same table" in capsys.readouterr().out
    assert not (tmp_path / "uit").exists()

    assert main([*base, "--balance", "haarkleur"]) == 1
    assert "column 'haarkleur'" in capsys.readouterr().err
    (tmp_path / "apart.csv").write_text("id_a,id_b\np000,nobody\n", encoding="utf-8")
    assert main([*base, "--apart", str(tmp_path / "apart.csv")]) == 1
    assert "apart.csv, row 2, column 'id_b'" in capsys.readouterr().err


def test_the_integer_programme_seats_what_the_quick_construction_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Force the fallback: the exact model must find a seating that keeps every rule.
    monkeypatch.setattr(construct.Builder, "peel", lambda self, known, unit: False)
    monkeypatch.setattr(construct.Builder, "repair", lambda self, max_iter: False)
    people = make_people(30, seed=9)
    apart = [("p000", "p001"), ("p000", "p002"), ("p001", "p002")]
    pins = [Seat(1, 2, "p003")]
    together = [("p004", "p005")]
    balance = ["geslacht", "leeftijd", "opleiding"]
    plan = plan_tables(people, sessions=2, table_size=5, seed=4, balance=balance, apart=apart,
                       pins=pins, together=together, effort=0.2)  # fmt: skip
    check_rules(plan, people, table_size=5, balance=balance, pins=pins, apart=apart,
                together=together)  # fmt: skip


def test_repeats_forced_by_a_single_table_count_as_unavoidable() -> None:
    people = TablePeople.from_columns(["a", "b", "c"])
    plan = plan_tables(people, sessions=2, table_size=4, seed=1, history=[Seat(1, 1, "a"),
                       Seat(1, 1, "b")])  # fmt: skip
    assert plan.tables[1] == (("a", "b", "c"),)
    assert plan.repeated_pairs == plan.unavoidable_repeated_pairs == 1
    assert plan.status == 0
