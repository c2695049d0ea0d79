"""Does ``--time-limit`` hold on a large pool? (#12.10)

Generates a pool (default 100,000 people, panel 150, six categories, with households) with
``generate.py`` and runs ``python -m sortition select --time-limit T`` on it several times,
each in a fresh process, measuring the wall-clock time of the whole command. The limit holds
when every run ends (with a lottery, or with the "stopped" message) within 10% of ``T``.

Usage::

    .venv/bin/python benchmarks/time_limit_bench.py [--n 100000] [--limit 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="pool size")
    parser.add_argument("--k", type=int, default=150, help="panel size")
    parser.add_argument("--limit", type=float, default=60.0, help="--time-limit in seconds")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="time-limit-") as folder:
        out = Path(folder)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--n", str(options.n), "--k",
             str(options.k), "--categories", "6", "--seed", "5", "--out", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        times, endings = [], []
        for run in range(options.runs):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "sortition", "select", "--people", str(out / "people.csv"),
                 "--categories", str(out / "categories.csv"), "--panel-size", str(options.k),
                 "--address-columns", "adres,postcode", "--time-limit", str(options.limit),
                 "--out", str(out / f"run{run}")],
                capture_output=True, text=True,
            )  # fmt: skip
            seconds = time.monotonic() - started
            ending = "lottery" if done.returncode == 0 else done.stderr.strip().splitlines()[-1]
            times.append(seconds)
            endings.append(ending)
            print(f"run {run + 1}: {seconds:.1f} s, exit {done.returncode}: {ending}", flush=True)
    worst = max(times)
    median = statistics.median(times)
    print(
        f"{options.n} people, --time-limit {options.limit:g}: median {median:.1f} s, "
        f"worst {worst:.1f} s ({worst / options.limit:.0%} of the limit)"
    )
    return 0 if worst <= 1.1 * options.limit else 1


if __name__ == "__main__":
    raise SystemExit(main())
