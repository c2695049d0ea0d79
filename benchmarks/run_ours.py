"""Run our engine once on one instance and print JSON (one fresh process per measurement).

``sortition_bench.py`` starts this with the project's python so that the peak memory
(``ru_maxrss`` of this process) belongs to exactly one run, and so that a crash or a
runaway run cannot take the benchmark down with it.

Timed: ``find_distribution`` (LEXIMIN by default) plus ``draw`` of one panel with a
public seed — what an organiser waits for. Reading the CSV files is reported separately.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import time
import traceback
from pathlib import Path

# Run as a script from anywhere: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sortition import Instance, Pool, Quota, Quotas, draw, find_distribution  # noqa: E402


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def load_quotas(path: Path) -> Quotas:
    """``feature,value,min,max[,min_flex,max_flex]`` or the older ``category,feature,min,max``."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or ()]
        # In the old header "feature" is the value and "category" the category.
        old = "category" in fields and "value" not in fields
        quotas = []
        for number, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            category = row["category"] if old else row["feature"]
            value = row["feature"] if old else row["value"]
            quotas.append(
                Quota(
                    category,
                    value,
                    int(row["min"]),
                    int(row["max"]),
                    _int(row.get("min_flex")),
                    _int(row.get("max_flex")),
                    row=number,
                )
            )
    return Quotas(tuple(quotas))


def load_pool(path: Path, quotas: Quotas, id_column: str, address_columns: list[str]) -> Pool:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    ids = [row[id_column].strip() for row in rows]
    keys = None
    if address_columns:
        # Household key: the address columns joined; Pool.from_rows normalises case/spaces.
        keys = ["\x1f".join(row[c] for c in address_columns) for row in rows]
    return Pool.from_rows(ids, rows, quotas, household_keys=keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=Path, required=True)
    parser.add_argument("--categories", type=Path, required=True)
    parser.add_argument("--panel-size", type=int, required=True)
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--address-columns", default="", help="comma-separated; empty: no rule")
    parser.add_argument("--seed", type=int, default=1, help="rng seed of the algorithm")
    parser.add_argument("--draw-seed", default="benchmark", help="public seed of the draw")
    parser.add_argument("--algorithm", default="leximin")
    parser.add_argument("--time-limit", type=float, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    quotas = load_quotas(args.categories)
    address_columns = [c for c in args.address_columns.split(",") if c]
    pool = load_pool(args.people, quotas, args.id_column, address_columns)
    instance = Instance(pool, quotas, args.panel_size)
    load_time = time.perf_counter() - started

    output: dict[str, object] = {"engine": "burgerberaad", "algorithm": args.algorithm}
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = find_distribution(
            instance, algorithm=args.algorithm, time_limit=args.time_limit, rng=args.seed
        )
        found = time.perf_counter()
        drawn = draw(result, pool.ids, f"{args.draw_seed}-{args.seed}")
        finished = time.perf_counter()
        cpu_time = time.process_time() - cpu_started
    except Exception as error:  # noqa: BLE001 - report any failure as data, not a crash
        output.update(
            error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc(limit=5)
        )
    else:
        probabilities = result.probabilities
        output.update(
            time=finished - started,
            # CPU seconds of this process: what a busy machine inflates least.
            cpu_time=cpu_time,
            distribution_time=found - started,
            draw_time=finished - found,
            status=result.status,
            message=result.message,
            bound=result.bound,
            iterations=result.iterations,
            n_panels=result.distribution.n_panels,
            selected=sorted(drawn.selected),
            probabilities={pid: float(p) for pid, p in zip(pool.ids, probabilities, strict=True)},
            min_probability=float(probabilities.min()),
        )
    output["load_time"] = load_time
    output["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
