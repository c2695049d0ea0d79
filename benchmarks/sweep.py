"""The sweep: our engine on 32 generated pools that vary the way real pools do.

Every instance of ``generate.SWEEP`` (four sizes, eight settings of the knobs: residence
as regions or municipalities, 4-7 age bands, relative or absolute quota tolerance,
households of up to four respondents, response skew) is written to
``benchmarks/out/instances/<name>/``, then measured:

- ours ``--runs`` times (``run_ours.py``, a fresh process each: ``find_distribution`` +
  ``draw``, and the peak RSS of that process);
- with ``--peer``, the peer ``--peer-runs`` times on the instances of at most 1,200
  people (``peer_driver.py`` in ``benchmarks/.peer-venv``), alternating with ours, so
  that the ratio peer/ours is measured in the same run under the same load;
- independently of both engines: the panel (size, every quota, one per address) and the
  LP maximin bound, the largest smallest chance that any lottery over the LP relaxation
  of the panels could give (one LP over people, with ``milp`` and no integers); our
  smallest chance must equal it to 1e-6.

The report gives per size the median and the worst instance (instances are summarised by
their median run), and every instance's row. Raw runs go to
``benchmarks/out/sweep-<time>.json``; the exit status is non-zero when a panel breaks a
rule, our engine fails, or a smallest chance misses the bound.

Usage::

    python benchmarks/sweep.py                         # ours only, 3 runs each
    python benchmarks/sweep.py --peer --runs 3 --peer-runs 1 --out benchmarks/out/sweep.md
    python benchmarks/sweep.py --sizes 500 1200 --settings 2 3 --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (sibling modules; benchmarks/ is not a package)
import sortition_bench as bench  # noqa: E402

#: Our smallest chance must equal the LP maximin bound to this much.
BOUND_TOLERANCE = 1e-6
#: The issue's targets: worst instance per pool size (seconds), and against the peer.
WORST_TARGETS = {1200: 5.0, 2000: 10.0, 4000: 30.0}
PEER_EVERY, PEER_MEDIAN = 30.0, 100.0
MEMORY_MB = 500.0


def lp_maximin_bound(case: bench.Case, eligible: set[str]) -> float:
    """The LP maximin bound, computed over people with SciPy (independent of the engine).

    ``max z`` over ``x`` in [0, 1]^n with ``sum(x) = k``, every quota, at most one per
    address, and ``x_i >= z`` for everyone who can be selected at all. Any lottery over
    panels has expected selections ``x`` in this polytope, so no lottery gives everyone a
    chance above ``z``.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array, csr_array, hstack, identity, vstack

    _, rows = bench._read_rows(case.people)
    _, quota_rows = bench._read_rows(case.categories)
    n = len(rows)
    ids = [row[case.id_column].strip() for row in rows]
    blocks, lower, upper = [], [], []
    for quota in quota_rows:
        member = np.array(
            [
                row[quota["feature"]].strip().casefold() == quota["value"].strip().casefold()
                for row in rows
            ],
            dtype=float,
        )
        blocks.append(csr_array(member[None, :]))
        lower.append(float(quota["min"]))
        upper.append(float(quota["max"]))
    blocks.append(csr_array(np.ones((1, n))))
    lower.append(float(case.k))
    upper.append(float(case.k))
    keys = ["\x1f".join(" ".join(row[c].split()).casefold() for c in case.address_columns)
            for row in rows]
    _, household, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    shared = np.flatnonzero(sizes[household] > 1)
    if case.address_columns and len(shared):
        _, row_of = np.unique(household[shared], return_inverse=True)
        blocks.append(
            coo_array((np.ones(len(shared)), (row_of, shared)), shape=(row_of.max() + 1, n))
        )
        lower += [0.0] * int(row_of.max() + 1)
        upper += [1.0] * int(row_of.max() + 1)
    panel = vstack(blocks)
    chosen = np.array([i for i, person in enumerate(ids) if person in eligible])
    floor = hstack([identity(n, format="csr")[chosen], csr_array(-np.ones((len(chosen), 1)))])
    matrix = vstack([hstack([panel, csr_array((panel.shape[0], 1))]), floor]).tocsr()
    result = milp(
        np.append(np.zeros(n), -1.0),
        constraints=LinearConstraint(
            matrix,
            np.concatenate([lower, np.zeros(len(chosen))]),
            np.concatenate([upper, np.full(len(chosen), np.inf)]),
        ),
        bounds=Bounds(0.0, 1.0),
    )
    if result.status != 0:
        raise RuntimeError(f"{case.name}: the LP maximin bound failed: {result.message}")
    return float(-result.fun)


def measure(
    spec: generate.Spec, args: argparse.Namespace, python: str, peer_python: Path
) -> dict[str, Any]:
    case = bench.generated_case(spec, bench.OUT / "instances", False)
    eligible = bench.eligible_ids(case)
    record: dict[str, Any] = {
        "name": spec.name,
        "n": spec.n,
        "k": spec.k,
        "knobs": spec.knobs(),
        "digest": case.digest(),
        "bound": lp_maximin_bound(case, eligible),
        "load_start": os.getloadavg(),
        "ours": [],
        "peer": [],
    }
    peer_runs = args.peer_runs if args.peer and spec.peer else 0
    print(f"== {spec.name} ({spec.knobs()}); LP bound {record['bound']:.6%}", flush=True)
    for run in range(1, max(args.runs, peer_runs) + 1):
        if run <= args.runs:
            result = bench.run_child(
                bench._command(python, HERE / "run_ours.py", case, run), args.our_timeout
            )
            record["ours"].append(bench.summarise_run(case, result, eligible))
            bench._print_run("ours", run, record["ours"][-1])
        if run <= peer_runs:
            result = bench.run_child(
                bench._command(str(peer_python), HERE / "peer_driver.py", case, run),
                args.peer_timeout,
            )
            record["peer"].append(bench.summarise_run(case, result, eligible))
            bench._print_run("peer", run, record["peer"][-1])
    record["load_end"] = os.getloadavg()
    record["summary"] = summarise(record)
    return record


def _ok(run: dict[str, Any]) -> bool:
    return "error" not in run and not run.get("problems")


def summarise(record: dict[str, Any]) -> dict[str, Any]:
    ours = [r for r in record["ours"] if _ok(r)]
    peer = [r for r in record["peer"] if _ok(r)]
    # Ours and the peer ran back to back on this instance: the ratio of their medians.
    ratios = (
        [statistics.median(p["time"] for p in peer) / statistics.median(o["time"] for o in ours)]
        if ours and peer
        else []
    )
    gaps = [abs(r["min_probability"] - record["bound"]) for r in ours]
    return {
        "time": statistics.median(r["time"] for r in ours) if ours else None,
        "cpu": statistics.median(r.get("cpu_time", float("nan")) for r in ours) if ours else None,
        "slowest_run": max((r["time"] for r in ours), default=None),
        "rss": max((r["peak_rss_mb"] for r in ours), default=None),
        "min": statistics.median(r["min_probability"] for r in ours) if ours else None,
        "gap": max(gaps, default=None),
        "peer_time": statistics.median(r["time"] for r in peer) if peer else None,
        "peer_min": statistics.median(r["min_probability"] for r in peer) if peer else None,
        "ratio": statistics.median(ratios) if ratios else None,
        "failed": len(record["ours"]) - len(ours),
        "problems": sorted({p for r in record["ours"] for p in r.get("problems", [])}),
        "errors": sorted({r["error"] for r in record["ours"] + record["peer"] if "error" in r}),
    }


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def markdown(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "### Sweep: median and worst instance per size",
        "",
        f"Date: {meta['date']}  ",
        f"Machine: {meta['machine']}  ",
        "Load average (1/5/15 min) at start: "
        + " ".join(f"{x:.2f}" for x in meta["load_start"])
        + ", at end: "
        + " ".join(f"{x:.2f}" for x in meta.get("load_end", meta["load_start"]))
        + "  ",
        f"Ours: {meta['ours']}  ",
        f"Peer: {meta['peer']}  ",
        f"Command: `{meta['command']}`  ",
        f"Runs: ours {meta['runs']} per instance, peer {meta['peer_runs']} "
        "(alternating with ours, one instance after the other; ratio = the peer's median "
        "over ours on the same instance in the same run).",
        "",
        "Seconds of `find_distribution` + `draw` (ours) and of the peer's MAXIMIN + one draw;",
        "an instance counts with the median of its runs. Smallest chance vs. the LP",
        "maximin bound: the largest difference over all runs.",
        "",
        "| size (n / k) | instances | median | worst | worst instance | slowest single run "
        "| max \\|min chance − LP bound\\| | peak RSS MB | peer ratio: median | lowest "
        "| CPU s: median | worst |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, k in generate.SWEEP_SIZES:
        group = [r for r in records if r["n"] == n and r["summary"]["time"] is not None]
        if not group:
            continue
        times = [r["summary"]["time"] for r in group]
        worst = max(group, key=lambda r: r["summary"]["time"])
        ratios = [r["summary"]["ratio"] for r in group if r["summary"]["ratio"] is not None]
        cpus = [c for r in group if (c := r["summary"].get("cpu")) is not None and c == c]
        lines.append(
            f"| {n} / {k} | {len(group)} | {statistics.median(times):.2f} "
            f"| {max(times):.2f} | {worst['name']} "
            f"| {max(r['summary']['slowest_run'] for r in group):.2f} "
            f"| {max(r['summary']['gap'] for r in group):.1e} "
            f"| {max(r['summary']['rss'] for r in group):.0f} "
            f"| {_fmt(statistics.median(ratios) if ratios else None, '.0f')} "
            f"| {_fmt(min(ratios, default=None), '.0f')} "
            f"| {_fmt(statistics.median(cpus) if cpus else None, '.2f')} "
            f"| {_fmt(max(cpus, default=None), '.2f')} |"
        )
    lines += [
        "",
        "| instance | knobs | ours (median) | slowest run | ours CPU s | peer | ratio "
        "| our min chance | LP bound | peer min chance | RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        s = r["summary"]
        lines.append(
            f"| {r['name']} | {r['knobs']} | {_fmt(s['time'], '.2f')} "
            f"| {_fmt(s['slowest_run'], '.2f')} | {_fmt(s.get('cpu'), '.2f')} "
            f"| {_fmt(s['peer_time'], '.1f')} "
            f"| {_fmt(s['ratio'], '.0f')} | {_fmt(s['min'], '.6%')} | {r['bound']:.6%} "
            f"| {_fmt(s['peer_min'], '.6%')} | {_fmt(s['rss'], '.0f')} |"
        )
    lines += ["", "Targets:", ""] + [f"- {t}" for t in targets(records)] + [""]
    problems = [
        f"{r['name']}: {p}"
        for r in records
        for p in r["summary"]["problems"] + r["summary"]["errors"]
    ]
    if problems:
        lines += ["Problems:", ""] + [f"- {p}" for p in problems] + [""]
    lines += [f"Raw runs: `{meta['raw']}` (not committed).", ""]
    return "\n".join(lines)


def targets(records: list[dict[str, Any]]) -> list[str]:
    out = []
    gaps = [r["summary"]["gap"] for r in records if r["summary"]["gap"] is not None]
    broken = [r["name"] for r in records if r["summary"]["problems"] or r["summary"]["failed"]]
    if gaps:
        verdict = "met" if max(gaps) <= BOUND_TOLERANCE and not broken else "NOT met"
        out.append(
            f"smallest chance = LP maximin bound (±{BOUND_TOLERANCE:g}) and panel valid on every "
            f"instance: largest difference {max(gaps):.1e}"
            + (f", failures on {', '.join(broken)}" if broken else "")
            + f" — {verdict}"
        )
    for n, limit in WORST_TARGETS.items():
        times = [r["summary"]["time"] for r in records if r["n"] == n]
        if times and None not in times:
            verdict = "met" if max(times) < limit else "NOT met"
            out.append(f"{n} people: worst instance {max(times):.2f} s (target < {limit:g} s)"
                       f" — {verdict}")
    ratios = {r["name"]: r["summary"]["ratio"] for r in records if r["summary"]["ratio"]}
    if ratios:
        lowest = min(ratios, key=lambda name: ratios[name])
        verdict = "met" if ratios[lowest] >= PEER_EVERY else "NOT met"
        out.append(f"peer ratio on every instance: lowest {ratios[lowest]:.0f}× ({lowest}; "
                   f"target ≥ {PEER_EVERY:g}×) — {verdict}")
        median = statistics.median(ratios.values())
        verdict = "met" if median >= PEER_MEDIAN else "NOT met"
        out.append(f"peer ratio, median over {len(ratios)} instances: {median:.0f}× "
                   f"(target ≥ {PEER_MEDIAN:g}×) — {verdict}")
    rss = [r["summary"]["rss"] for r in records if r["summary"]["rss"] is not None]
    if rss:
        verdict = "met" if max(rss) < MEMORY_MB else "NOT met"
        out.append(f"peak memory {max(rss):.0f} MB (target < {MEMORY_MB:g} MB) — {verdict}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of ours per instance")
    parser.add_argument("--peer", action="store_true", help="run the peer (n <= 1200)")
    parser.add_argument("--peer-runs", type=int, default=1, help="runs of the peer")
    parser.add_argument("--sizes", type=int, nargs="*", help="pool sizes (default: all)")
    parser.add_argument("--settings", type=int, nargs="*", help="setting numbers 0-7")
    parser.add_argument("--our-timeout", type=float, default=600.0)
    parser.add_argument("--peer-timeout", type=float, default=3600.0)
    parser.add_argument("--python", help="python of our engine (default: .venv)")
    parser.add_argument("--out", type=Path, help="markdown report (default: next to the raw)")
    parser.add_argument("--render", type=Path, help="only rewrite --out from a raw JSON file")
    args = parser.parse_args(argv)
    if args.render:
        data = json.loads(args.render.read_text(encoding="utf-8"))
        out = args.out or args.render.with_suffix(".md")
        out.write_text(markdown(data["records"], data["meta"]), encoding="utf-8")
        print("\n".join(targets(data["records"])))
        return 0
    python = bench.our_python(args.python)
    peer_python = bench.PEER_VENV / "bin" / "python"
    if args.peer and not peer_python.exists():
        parser.error(f"no peer at {bench.PEER_VENV}: run benchmarks/setup_peer.sh")
    specs = [
        spec
        for spec in generate.SWEEP.values()
        if (not args.sizes or spec.n in args.sizes)
        and (not args.settings or int(spec.name.rsplit("-", 1)[1]) in args.settings)
    ]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw = bench.OUT / f"sweep-{stamp}.json"
    out = args.out or raw.with_suffix(".md")
    ours = bench.versions(python, ("numpy", "scipy", "highspy"))
    meta: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": bench.machine(),
        "ours": ", ".join(f"{k} {v}" for k, v in ours.items()),
        "peer": "not run",
        "command": "python benchmarks/sweep.py "
        + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "runs": args.runs,
        "peer_runs": args.peer_runs if args.peer else 0,
        "raw": str(raw.relative_to(bench.REPO)),
        "load_start": os.getloadavg(),
    }
    if args.peer:
        v = bench.versions(str(peer_python), ("sortition-algorithms", "highspy"))
        meta["peer"] = (
            f"sortition-algorithms {v.get('sortition-algorithms')} (highspy {v.get('highspy')})"
        )
    records: list[dict[str, Any]] = []
    for spec in specs:
        records.append(measure(spec, args, python, peer_python))
        meta["load_end"] = os.getloadavg()
        bench.OUT.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps({"meta": meta, "records": records}, indent=1), "utf-8")
        out.write_text(markdown(records, meta), encoding="utf-8")
    print(f"wrote {out} and {raw}")
    print("\n".join(targets(records)))
    failed = any(
        r["summary"]["problems"] or r["summary"]["failed"] or r["summary"]["time"] is None
        or (r["summary"]["gap"] or 0.0) > BOUND_TOLERANCE
        for r in records
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
