"""Benchmark the table groups (``sortition.tables``) against a greedy and random seatings.

For every instance and seed the benchmark draws a panel of Zeeland residents (gender, age
band, education, region, from ``generate.py``'s population tables; a drawn panel follows
the population shares), then seats it for every session

* with our engine (``plan_tables``, balanced on the instance's columns), timed;
* with a plain greedy seating, the method of the Sortition Foundation's table tool as
  described (not its code): per session 100 attempts, each placing the people in a
  random order at the table with room where the fewest share their values (diversity
  first), then where they have met the fewest people before, keeping the attempt with
  the fewest repeated pairs;
* with uniformly random seatings of the same table sizes (the mean of 20).

Every plan of ours is checked independently (table sizes, balance); the exit status is
non-zero when one breaks a rule. Repeated pairs: a pair meeting ``k > 1`` times counts
``k - 1``.

Usage::

    .venv/bin/python benchmarks/tables_bench.py                # 5 seeds per instance
    .venv/bin/python benchmarks/tables_bench.py --seeds 2 --instances t150
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402  (sibling module; benchmarks/ is not a package)

from sortition.tables import TablePeople, TablePlan, plan_tables  # noqa: E402

OUT = HERE / "out"
GREEDY_ATTEMPTS = 100
RANDOM_RUNS = 20


@dataclass(frozen=True)
class Instance:
    name: str
    n: int
    sessions: int
    table_size: int
    balance: tuple[str, ...]
    time_target: float
    note: str


INSTANCES = {
    spec.name: spec
    for spec in (
        Instance("t150", 150, 4, 8, ("geslacht", "leeftijd", "opleiding"), 1.0,
                 "anchor: greedy tool 3.3–3.9 s, ~315 repeats; random ~136; target 0"),
        Instance("t175", 175, 6, 7, ("geslacht", "leeftijd", "opleiding"), 3.0,
                 "Nationaal Burgerberaad Klimaat size; target 0"),
        Instance("t100", 100, 8, 10, ("geslacht", "leeftijd"), 20.0,
                 "near the social golfer bound 8 x 9 = 72 <= 99"),
    )
}  # fmt: skip


def panel(n: int, seed: int) -> TablePeople:
    """``n`` people drawn from the Zeeland population, deterministically per seed."""
    rng = np.random.default_rng(seed)
    drawn = generate._sample_population(rng, n)
    regions = [generate.MUNICIPALITIES[g][1] for g in drawn["gemeente"]]
    columns = {
        "geslacht": [generate.GENDER[k] for k in drawn["geslacht"]],
        "leeftijd": [generate.AGE[k] for k in drawn["leeftijd"]],
        "opleiding": [generate.EDUCATION[k] for k in drawn["opleiding"]],
        "regio": regions,
    }
    return TablePeople.from_columns([f"d{i:04d}" for i in range(n)], columns)


def table_sizes(n: int, table_size: int) -> list[int]:
    tables = -(-n // table_size)
    small, big = divmod(n, tables)
    return [small + 1] * big + [small] * (tables - big)


def repeated_pairs(seatings: Sequence[np.ndarray], n: int) -> int:
    """Repeated pairs of seatings given as a table number per person and session."""
    meet = np.zeros((n, n), dtype=np.int64)
    for tab in seatings:
        meet += tab[:, None] == tab[None, :]
    np.fill_diagonal(meet, 0)
    return int(np.maximum(meet - 1, 0).sum() // 2)


def random_seating(n: int, sizes: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    return np.repeat(np.arange(len(sizes)), sizes)[rng.permutation(n)]


def greedy(people: TablePeople, spec: Instance, rng: np.random.Generator) -> list[np.ndarray]:
    """The greedy tool: per session the best of 100 randomly ordered greedy seatings."""
    n = len(people.ids)
    sizes = np.array(table_sizes(n, spec.table_size))
    cols = [people.columns.index(c) for c in spec.balance]
    codes = np.array([[hash_free_code(people.values[i][c]) for c in cols] for i in range(n)])
    meet = np.zeros((n, n), dtype=np.int64)
    seatings = []
    for _ in range(spec.sessions):
        best, best_cost = None, None
        known = meet >= 1
        for _ in range(GREEDY_ATTEMPTS):
            tab = np.full(n, -1)
            seated = np.zeros(len(sizes), dtype=np.int64)
            met_at = np.zeros((n, len(sizes)), dtype=np.int64)
            alike_at = np.zeros((n, len(sizes)), dtype=np.int64)
            for p in rng.permutation(n):
                room = seated < sizes
                score = alike_at[p] * 1000 + met_at[p] * 10 + rng.random(len(sizes))
                t = int(np.argmin(np.where(room, score, np.inf)))
                tab[p] = t
                seated[t] += 1
                met_at[:, t] += known[p]
                alike_at[:, t] += (codes == codes[p]).sum(axis=1)
            cost = int((known & (tab[:, None] == tab[None, :])).sum() // 2)
            if best_cost is None or cost < best_cost:
                best, best_cost = tab, cost
        assert best is not None
        seatings.append(best)
        same = best[:, None] == best[None, :]
        np.fill_diagonal(same, False)
        meet += same
    return seatings


def hash_free_code(value: str) -> int:
    """A stable small integer per category value (independent of PYTHONHASHSEED)."""
    return int.from_bytes(value.encode("utf-8")[:8].ljust(8, b"\0"), "big") % (1 << 62)


def check(plan: TablePlan, people: TablePeople, spec: Instance) -> list[str]:
    """Independent check of sizes and balance; returns the problems found."""
    problems = []
    value = {
        column: dict(zip(people.ids, (row[people.columns.index(column)] for row in people.values),
                         strict=True))
        for column in spec.balance
    }  # fmt: skip
    for s, tables in enumerate(plan.tables, start=1):
        sizes = [len(t) for t in tables]
        if sorted(sizes, reverse=True) != table_sizes(len(people.ids), spec.table_size):
            problems.append(f"session {s}: table sizes {sizes}")
        for column, of in value.items():
            for v in set(of.values()):
                counts = [sum(of[p] == v for p in t) for t in tables]
                if max(counts) - min(counts) > 1:
                    problems.append(f"session {s}: {column} {v} {counts}")
    return problems


def run_instance(spec: Instance, seed: int) -> dict[str, Any]:
    people = panel(spec.n, seed)
    n = spec.n
    start = time.perf_counter()
    plan = plan_tables(people, sessions=spec.sessions, table_size=spec.table_size,
                       seed=seed, balance=spec.balance)  # fmt: skip
    ours_time = time.perf_counter() - start
    rng = np.random.default_rng(seed + 1)
    start = time.perf_counter()
    greedy_seatings = greedy(people, spec, rng)
    greedy_time = time.perf_counter() - start
    sizes = table_sizes(n, spec.table_size)
    randoms = [
        repeated_pairs([random_seating(n, sizes, rng) for _ in range(spec.sessions)], n)
        for _ in range(RANDOM_RUNS)
    ]
    return {
        "instance": spec.name,
        "seed": seed,
        "ours_time": ours_time,
        "ours_engine_time": plan.solve_time,
        "ours_repeats": plan.repeated_pairs,
        "ours_status": plan.status,
        "ours_iterations": plan.iterations,
        "ours_spread": plan.spread,
        "ours_most_meetings": plan.most_meetings,
        "random_expected": plan.random_repeated_pairs,
        "random_repeats": statistics.mean(randoms),
        "greedy_time": greedy_time,
        "greedy_repeats": repeated_pairs(greedy_seatings, n),
        "problems": check(plan, people, spec),
    }


def _median_worst(values: Sequence[float], fmt: str, *, worst_is_max: bool = True) -> str:
    worst = max(values) if worst_is_max else min(values)
    return f"{format(statistics.median(values), fmt)} ({format(worst, fmt)})"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| instance | balanced on | ours: time s | ours: repeats | greedy: time s | "
        "greedy: repeats | random: repeats | random / ours | rules |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, group in itertools.groupby(results, key=lambda r: r["instance"]):
        runs = list(group)
        spec = INSTANCES[name]
        ratio = [r["random_repeats"] / r["ours_repeats"] for r in runs if r["ours_repeats"]]
        ok = "ok" if not any(r["problems"] for r in runs) else "BROKEN"
        lines.append(
            f"| {spec.n} × {spec.sessions} × {spec.table_size} | {', '.join(spec.balance)} | "
            f"{_median_worst([r['ours_time'] for r in runs], '.2f')} | "
            f"{_median_worst([r['ours_repeats'] for r in runs], '.0f')} | "
            f"{_median_worst([r['greedy_time'] for r in runs], '.2f')} | "
            f"{_median_worst([r['greedy_repeats'] for r in runs], '.0f')} | "
            f"{_median_worst([r['random_repeats'] for r in runs], '.0f')} | "
            f"{_median_worst(ratio, '.1f', worst_is_max=False) if ratio else '∞ (no repeat)'} | "
            f"{ok} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per instance (default 5)")
    parser.add_argument("--instances", nargs="*", choices=list(INSTANCES), default=list(INSTANCES))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    results = []
    for name in args.instances:
        for seed in range(1, args.seeds + 1):
            result = run_instance(INSTANCES[name], seed)
            results.append(result)
            print(
                f"{name} seed {seed}: ours {result['ours_repeats']} repeats in "
                f"{result['ours_time']:.2f} s, greedy {result['greedy_repeats']} in "
                f"{result['greedy_time']:.2f} s, random {result['random_repeats']:.0f}"
                + (f"  PROBLEMS: {result['problems'][:3]}" if result["problems"] else ""),
                flush=True,
            )
    print()
    print(f"Medians over seeds 1–{args.seeds} (worst in brackets):")
    print()
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = args.out / f"tables-{stamp}.json"
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"\nraw results: {path}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
