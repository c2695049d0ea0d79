"""Run the peer library (sortition-algorithms) on one instance and print JSON.

This script runs ONLY inside ``benchmarks/.peer-venv`` (see ``setup_peer.sh``), as a
separate process started by ``sortition_bench.py``. The peer is GPL-licensed: nothing in
the project imports this file or the peer; the benchmark reads the JSON this prints.

What is measured: the peer's fair selection as its ``find_random_sample`` runs it on free
solvers. Without Gurobi the peer switches LEXIMIN to MAXIMIN (``GUROBI_AVAILABLE`` is
False), so we call its MAXIMIN distribution directly with the HiGHS backend and the
one-per-household rule, normalise it with the peer's own ``standardize_distribution``,
and draw one panel from it. We call the distribution function rather than
``run_stratification`` because the latter only reports per-person probabilities as
rounded percentages in a text table; the time difference (a report table and a rounding
step) is negligible next to the column generation.

Output (stdout, one JSON object): time (seconds for distribution + draw), load_time,
algorithm, selected ids, per-person probabilities, min probability, panel count, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=Path, required=True)
    parser.add_argument("--categories", type=Path, required=True)
    parser.add_argument("--panel-size", type=int, required=True)
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--address-columns", default="", help="comma-separated; empty: no rule")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--algorithm", default="leximin", help="as requested from the peer")
    parser.add_argument("--backend", default="highspy")
    args = parser.parse_args()

    import logging

    from sortition_algorithms import CSVFileDataSource, SelectionData, Settings
    from sortition_algorithms.committee_generation import (
        GUROBI_AVAILABLE,
        find_distribution_leximin,
        find_distribution_maximin,
        find_distribution_nash,
        standardize_distribution,
    )
    from sortition_algorithms.utils import set_random_provider

    # The peer logs every column-generation step; keep stdout clean for our JSON.
    logging.disable(logging.WARNING)

    address_columns = [c for c in args.address_columns.split(",") if c]
    started = time.perf_counter()
    settings = Settings(
        id_column=args.id_column,
        columns_to_keep=[],
        check_same_address=bool(address_columns),
        check_same_address_columns=address_columns,
        selection_algorithm="maximin",
        solver_backend=args.backend,
        random_number_seed=args.seed,
    )
    data = SelectionData(
        CSVFileDataSource(
            features_file=args.categories,
            people_file=args.people,
            already_selected_file=None,
            selected_file=Path("/dev/null"),
            remaining_file=Path("/dev/null"),
        )
    )
    features, _ = data.load_features(args.panel_size)
    people, _ = data.load_people(settings, features)
    load_time = time.perf_counter() - started

    # Mirror the peer's own fallback: LEXIMIN needs Gurobi, otherwise MAXIMIN.
    algorithm = args.algorithm
    if algorithm == "leximin" and not GUROBI_AVAILABLE:
        algorithm = "maximin"
    function = {
        "leximin": find_distribution_leximin,
        "maximin": find_distribution_maximin,
        "nash": find_distribution_nash,
    }[algorithm]

    # The peer's randomised parts (initial committees) use its global random provider;
    # a non-zero seed makes them reproducible.
    set_random_provider(args.seed)
    started = time.perf_counter()
    committees, weights, _ = function(
        features,
        people,
        args.panel_size,
        settings.normalised_address_columns,
        args.backend,
    )
    committees, weights = standardize_distribution(committees, weights)
    # Draw one panel from the distribution (a plain weighted choice with our own seeded
    # generator; the peer's transparent-lottery rounding is not needed for one panel).
    chooser = random.Random(args.seed)
    selected = chooser.choices(committees, weights=weights, k=1)[0]
    elapsed = time.perf_counter() - started

    probabilities = dict.fromkeys(people, 0.0)
    for committee, weight in zip(committees, weights, strict=True):
        for person in committee:
            probabilities[person] += weight
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump(
        {
            "engine": "sortition-algorithms",
            "algorithm": algorithm,
            "requested_algorithm": args.algorithm,
            "gurobi_available": bool(GUROBI_AVAILABLE),
            "backend": args.backend,
            "time": elapsed,
            "load_time": load_time,
            "n_panels": len(committees),
            "selected": sorted(selected),
            "probabilities": probabilities,
            "min_probability": min(probabilities.values()),
            "peak_rss_mb": usage.ru_maxrss / 1024,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
