"""Command line: ``python -m sortition select | check | verify | replace``.

Exit codes: 0 success; 1 bad input (the message names file, row and column) or a usage
error; 2 the quotas cannot be met (the diagnosis is printed); 3 ``verify`` found a
difference; 4 the solver failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from .draw import DRAW_VERSION, draw_from_description
from .errors import InfeasibleError, InputError, SolverError
from .io import PeopleTable, load_people, load_quotas
from .model import Instance, Quotas
from .replace import replace
from .report import (
    REPORT_FORMAT,
    build_report,
    canonical_json,
    fingerprint,
    quota_table,
    summary,
)
from .result import ALGORITHMS, Diagnosis
from .select import find_distribution  # imports its solvers only when it runs
from .tables_cli import add_tables_command, run_tables
from .verify import (
    DRAW_FIELDS,
    RECOMPUTE_TOLERANCE,
    distribution_problems,
    lottery_differences,
    person_probabilities,
    probability_differences,
    replacement_problems,
)
from .version import version
from .watchdog import TimeLimitReached, run_until, solver_budget

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_INFEASIBLE = 2
EXIT_MISMATCH = 3
EXIT_SOLVER = 4
PROGRAM = "burgerberaad-sortition"

#: Seed of the solver's own randomness (initial panels, legacy runs). Fixed so that the
#: distribution depends only on the published inputs, never on the public draw seed.
SOLVER_RNG_SEED = 0


def check(instance: Instance) -> Diagnosis:
    """:func:`sortition.feasibility.check`, imported when first used: it needs HiGHS and
    SciPy, which ``verify`` and ``--help`` do not."""
    from .feasibility import check as diagnose

    return diagnose(instance)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with 1 (bad input): 2 already means "infeasible" here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


class Progress:
    """A ``ProgressCallback`` that prints to a stream at most once per ``interval`` seconds.

    Nothing is printed during the first ``interval`` seconds, so quick runs stay quiet.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.start = clock()
        self.last = self.start

    def __call__(self, fraction: float | None, message: str) -> None:
        now = self.clock()
        if now - self.last < self.interval:
            return
        self.last = now
        done = "" if fraction is None else f" {100.0 * fraction:3.0f}%"
        print(f"[{now - self.start:6.1f} s]{done} {message}", file=self.stream, flush=True)


def _split(text: str | None) -> list[str]:
    """Comma-separated list; empty items are ignored."""
    if not text:
        return []
    return [item.strip() for item in text.split(",") if item.strip()]


def _add_input_options(parser: argparse.ArgumentParser, *, panel_size: bool = True) -> None:
    parser.add_argument("--people", required=True, type=Path, help="CSV file of the pool")
    parser.add_argument(
        "--categories",
        required=True,
        type=Path,
        help="CSV file of the quotas: feature,value,min,max (or category,feature,min,max)",
    )
    if panel_size:
        parser.add_argument(
            "--panel-size", required=True, type=int, help="number of people to select"
        )
    parser.add_argument(
        "--id-column",
        help="column with unique ids (default: the first column; when that is a category, "
        "people are numbered 1, 2, ... in file order)",
    )
    parser.add_argument(
        "--address-columns",
        help="comma-separated columns that together identify a household; at most one "
        "person per household is selected",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sortition``."""
    parser = _Parser(
        prog="python -m sortition",
        description="Fair stratified selection of citizens' assemblies (LEXIMIN).",
        epilog="Exit codes: 0 ok, 1 bad input, 2 quotas cannot be met, 3 verification "
        "failed, 4 solver failure.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    select = commands.add_parser(
        "select",
        help="compute the fairest distribution over panels and draw one with a seed",
        description="Compute a distribution over panels that meet every quota, with "
        "selection chances as equal as possible, and draw one panel with the public seed. "
        "Writes selected.csv, remaining.csv, probabilities.csv and report.json to --out. "
        "Without --seed only the distribution is computed (probabilities.csv, report.json); "
        "publish it, then draw with 'verify --seed'.",
    )
    _add_input_options(select)
    select.add_argument("--seed", help="the public seed, used exactly as given")
    select.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="leximin",
        help="leximin (default): maximise the smallest chance, then the next, ...; "
        "maximin: only the smallest; nash: maximise the product of chances; "
        "legacy: the greedy procedure, with chances estimated from repeated runs",
    )
    select.add_argument(
        "--reserves", type=int, default=0, help="number of ordered reserves to draw (default 0)"
    )
    select.add_argument(
        "--time-limit",
        type=float,
        help="seconds; when reached, the best distribution found so far is used",
    )
    select.add_argument("--out", required=True, type=Path, help="directory for the output files")

    check_cmd = commands.add_parser(
        "check",
        help="check whether the quotas can be met",
        description="Check whether any panel meets every quota. Exit 0 when one does "
        "(listing people who are in every panel or in none), 2 when not, with the "
        "conflicting quotas and the smallest relaxation that makes a panel possible.",
    )
    _add_input_options(check_cmd)
    check_cmd.add_argument("--time-limit", type=float, help="seconds")

    verify = commands.add_parser(
        "verify",
        help="check a published draw from its files",
        description="Check a published draw: that the people and categories files are the "
        "inputs (their SHA-256 and the fingerprint), that the lottery published before the "
        "seed (--lottery) is the report's lottery and fits the files (every panel meets "
        "every quota; --recompute computes it again), that the seed draws the report's panel "
        "and reserves, and that each published replacement follows from the rules. Exit 0 "
        "when everything matches, 3 when something differs.",
    )
    verify.add_argument("--report", type=Path, help="the published report.json (after the seed)")
    verify.add_argument("--seed", help="the public seed, exactly as announced")
    verify.add_argument(
        "--lottery", type=Path, help="the lottery as published before the seed (loting.json)"
    )
    verify.add_argument(
        "--lottery-sha256", help="the lottery's published fingerprint: SHA-256 of --lottery"
    )
    verify.add_argument("--fingerprint", help="the published fingerprint of the inputs")
    verify.add_argument("--people", type=Path, help="the people file, to check its fingerprint")
    verify.add_argument(
        "--categories", type=Path, help="the categories file, to check its fingerprint"
    )
    verify.add_argument(
        "--replacements", type=Path, help="the published replacements (vervangingen.json)"
    )
    verify.add_argument(
        "--recompute",
        action="store_true",
        help="compute the lottery (and the fair replacement draws) again and compare",
    )

    replace_cmd = commands.add_parser(
        "replace",
        help="choose replacements for panel members who dropped out",
        description="Choose replacements for members of the panel in report.json who "
        "dropped out, so that every quota keeps holding. Writes replacements.csv and "
        "replacement.json to --out.",
    )
    _add_input_options(replace_cmd)
    replace_cmd.add_argument("--report", required=True, type=Path, help="report.json of the draw")
    replace_cmd.add_argument(
        "--dropped", required=True, help="comma-separated ids of members who dropped out"
    )
    replace_cmd.add_argument(
        "--confirmed", help="comma-separated ids of members who confirmed their seat"
    )
    replace_cmd.add_argument("--seed", required=True, help="the public seed for the replacements")
    replace_cmd.add_argument(
        "--algorithm", choices=ALGORITHMS, help="default: the algorithm of the report"
    )
    replace_cmd.add_argument("--out", required=True, type=Path, help="directory for the output")
    add_tables_command(commands)
    return parser


def _check_time_limit(args: argparse.Namespace) -> None:
    limit = args.time_limit
    if limit is not None and not (math.isfinite(limit) and limit > 0):
        raise InputError(
            "bad_time_limit", f"--time-limit must be a number of seconds above 0, not {limit:g}"
        )


def _prepare_out(path: Path) -> None:
    """Make the output directory now, so that a bad ``--out`` is said before any work."""
    if path.exists() and not path.is_dir():
        raise InputError("bad_out", f"--out {path} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            "bad_out", f"--out {path}: the directory cannot be created ({error.strerror})"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError("bad_out", f"--out {path}: this directory is not writable")


def _load(args: argparse.Namespace) -> tuple[Quotas, PeopleTable, Instance]:
    quotas = load_quotas(args.categories)
    people = load_people(
        args.people,
        quotas,
        id_column=args.id_column,
        address_columns=_split(args.address_columns) or None,
    )
    return quotas, people, Instance(people.pool, quotas, args.panel_size)


def _id_heading(people: PeopleTable) -> str:
    """Name of the column added to output files when the ids were generated."""
    name = "id"
    existing = {h.casefold() for h in people.header}
    while name.casefold() in existing:
        name = "_" + name
    return name


def _write_people(path: Path, people: PeopleTable, indices: Sequence[int]) -> None:
    """Write the given people with all their original columns, in the order given."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=people.delimiter)
        if people.generated_ids:
            writer.writerow([_id_heading(people), *people.header])
            writer.writerows([people.pool.ids[i], *people.rows[i]] for i in indices)
        else:
            writer.writerow(people.header)
            writer.writerows(people.rows[i] for i in indices)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _print_diagnosis(diagnosis: Diagnosis, out: TextIO) -> None:
    print("infeasible: no panel meets every quota", file=out)
    for conflict in diagnosis.conflicts:
        print(f"- {conflict.message}", file=out)
    if diagnosis.relaxations:
        print("smallest relaxation that makes a panel possible:", file=out)
        for relaxation in diagnosis.relaxations:
            print(f"  {relaxation}", file=out)
    else:
        print("no relaxation within the flex limits makes a panel possible", file=out)


def _ids(people: PeopleTable, indices: Sequence[int]) -> str:
    return ", ".join(people.pool.ids[int(i)] for i in indices)


def _note_generated_ids(people: PeopleTable, err: TextIO) -> None:
    if people.generated_ids:
        print(
            f"note: {people.file} has no id column; people are numbered 1, 2, ... in file order",
            file=err,
        )


def _report_infeasible(error: InfeasibleError, out: TextIO) -> int:
    """Print the engine's diagnosis (or its message) and return the infeasible exit code."""
    diagnosis = error.params.get("diagnosis")
    if isinstance(diagnosis, Diagnosis):
        _print_diagnosis(diagnosis, out)
    else:
        print(f"infeasible: {error}", file=out)
    return EXIT_INFEASIBLE


def _cmd_select(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.reserves < 0:
        raise InputError("bad_reserves", "--reserves must be at least 0", column="--reserves")
    _check_time_limit(args)
    _prepare_out(args.out)
    quotas, people, instance = _load(args)
    _note_generated_ids(people, err)
    settings = {
        "panel_size": args.panel_size,
        "algorithm": args.algorithm,
        "id_column": people.id_column,
        "generated_ids": people.generated_ids,
        "address_columns": _split(args.address_columns),
        "time_limit": args.time_limit,
        "solver_rng_seed": SOLVER_RNG_SEED,
    }
    def solve() -> Any:
        return find_distribution(
            instance,
            algorithm=args.algorithm,
            time_limit=None if limit is None else solver_budget(limit, args.started),
            progress=Progress(err),
            rng=SOLVER_RNG_SEED,
        )

    limit = args.time_limit
    try:
        # The limit holds for the whole command: reading the files counted too.
        result = solve() if limit is None else run_until(solve, args.started + limit, limit)
    except InfeasibleError as error:
        return _report_infeasible(error, out)
    if result.status != 0:
        print(f"warning: {result.message}", file=err)

    drawn = None
    if args.seed is not None:
        description = result.distribution.to_dict(
            instance.pool.ids, quotas.categories, quotas.values
        )
        drawn = draw_from_description(description, args.seed, n_reserves=args.reserves)
    report = build_report(
        instance,
        result,
        people=args.people,
        categories=args.categories,
        settings=settings,
        draw=drawn,
        seed=args.seed,
        n_reserves=args.reserves,
    )

    written = []
    if drawn is not None:
        index = {person: i for i, person in enumerate(instance.pool.ids)}
        chosen = {index[p] for p in drawn.selected}
        _write_people(args.out / "selected.csv", people, sorted(chosen))
        _write_people(
            args.out / "remaining.csv",
            people,
            [i for i in range(instance.pool.size) if i not in chosen],
        )
        written += ["selected.csv", "remaining.csv"]
        if args.reserves:
            _write_people(args.out / "reserves.csv", people, [index[p] for p in drawn.reserves])
            written.append("reserves.csv")
    with (args.out / "probabilities.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "probability"])
        for person, probability in zip(instance.pool.ids, result.probabilities, strict=True):
            writer.writerow([person, repr(float(probability))])
    _write_json(args.out / "report.json", report)
    written += ["probabilities.csv", "report.json"]

    figures = report["summary"]
    estimated = " (estimated)" if figures["estimated"] else ""
    print(
        f"{figures['algorithm']}: {figures['n_panels']} panels in the distribution, "
        f"{figures['solve_time']:.2f} s",
        file=out,
    )
    print(
        f"selection probability{estimated}: min {figures['min']:.4f}, "
        f"mean {figures['mean']:.4f}, max {figures['max']:.4f} (Gini {figures['gini']:.3f})",
        file=out,
    )
    if drawn is not None:
        broken = [row for row in report["quota_table"] if not row["ok"]]
        reserves = f", {len(drawn.reserves)} reserves" if args.reserves else ""
        print(
            f"drew a panel of {len(drawn.selected)} with seed {args.seed!r}{reserves}; "
            + ("all quotas met" if not broken else f"{len(broken)} quotas NOT met"),
            file=out,
        )
    else:
        print("no seed given: nothing drawn", file=out)
    print(f"wrote {', '.join(written)} to {args.out}", file=out)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_time_limit(args)
    _, people, instance = _load(args)
    _note_generated_ids(people, err)
    diagnosis = check(instance)
    if not diagnosis.feasible:
        _print_diagnosis(diagnosis, out)
        return EXIT_INFEASIBLE
    print("feasible", file=out)
    if diagnosis.forced_in:
        print(f"in every panel: {_ids(people, diagnosis.forced_in)}", file=out)
    if diagnosis.forced_out:
        print(f"in no panel: {_ids(people, diagnosis.forced_out)}", file=out)
    return EXIT_OK


def _read_json(path: Path) -> Any:
    file = str(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file_not_found", "the file does not exist", file=file) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError("bad_report", f"the file is not valid JSON: {error}", file=file) from None


def _read_report(path: Path) -> dict[str, Any]:
    file = str(path)
    report = _read_json(path)
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        raise InputError("bad_report", "the file is not a sortition report", file=file)
    distribution = report.get("distribution")
    if not isinstance(distribution, dict) or not all(
        key in distribution for key in ("classes", "groups", "panels")
    ):
        raise InputError("bad_report", "the report has no distribution", file=file)
    return report


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.report is None and args.lottery is None:
        raise InputError("nothing_to_verify", "give --report (and --seed), --lottery, or both")
    if (args.report is None) != (args.seed is None):
        raise InputError("nothing_to_verify", "--report and --seed go together")
    print(f"{PROGRAM} {version()}", file=out)
    report = _read_report(args.report) if args.report is not None else None
    lottery = _read_report(args.lottery) if args.lottery is not None else None
    problems: list[str] = []
    if lottery is not None:
        problems += _check_lottery_file(args, lottery, report, out)
    published = lottery if lottery is not None else report
    assert published is not None
    instance = None
    if args.people is not None and args.categories is not None:
        problems += _check_inputs(args, published, out)
        if not problems:
            instance = _instance_of(args, published)
            problems += _check_distribution(args, published, instance, out)
    elif args.fingerprint or args.recompute or args.replacements:
        raise InputError(
            "nothing_to_verify",
            "--fingerprint, --recompute and --replacements need --people and --categories",
        )
    if report is not None and not problems:
        problems += _check_draw(args, report, out)
        if instance is not None and not problems and "selected" in report:
            problems += _check_quotas(instance, report["selected"])
    if args.replacements is not None and report is not None and instance is not None:
        if not problems:
            checked, found = replacement_problems(
                instance,
                report,
                _read_json(args.replacements),
                recompute=args.recompute,
                algorithm=str(report.get("algorithm") or "leximin"),
            )
            for line in checked:
                print(line, file=out)
            problems += found
    for problem in problems:
        print(f"MISMATCH: {problem}", file=out)
    if problems:
        return EXIT_MISMATCH
    if report is not None and "selected" in report:
        print("OK: the draw reproduces the report", file=out)
    elif lottery is not None:
        print("OK: the lottery matches its published fingerprints", file=out)
    return EXIT_OK


def _check_lottery_file(
    args: argparse.Namespace,
    lottery: dict[str, Any],
    report: dict[str, Any] | None,
    out: TextIO,
) -> list[str]:
    """The lottery file: its SHA-256, no draw in it, and the report's lottery."""
    problems = []
    actual = fingerprint(args.lottery)
    print(f"lottery file SHA-256 {actual}", file=out)
    if args.lottery_sha256 is not None:
        if actual != args.lottery_sha256.strip().lower():
            problems.append(f"{args.lottery} is not the published lottery (SHA-256 differs)")
        else:
            print("lottery file matches its published fingerprint", file=out)
    if any(lottery.get(key) for key in DRAW_FIELDS):
        problems.append(f"{args.lottery} holds a draw: it is not the lottery before the seed")
    if report is not None:
        differ = lottery_differences(report, lottery)
        if differ:
            problems.append(
                f"the report's lottery differs from {args.lottery} in: {', '.join(differ)}"
            )
        else:
            print("the report's lottery is the lottery published before the seed", file=out)
    return problems


def _check_inputs(args: argparse.Namespace, published: dict[str, Any], out: TextIO) -> list[str]:
    """The files' SHA-256 and the fingerprint against the published ones."""
    problems = []
    inputs = published.get("inputs") or {}
    for key, path in (("people", args.people), ("categories", args.categories)):
        try:
            actual = fingerprint(path)
        except OSError:
            raise InputError("file_not_found", "the file does not exist", file=str(path)) from None
        expected = (inputs.get(key) or {}).get("sha256")
        if actual != expected:
            problems.append(f"{path} is not the {key} file of the report (SHA-256 differs)")
        else:
            print(f"{key} file matches the report (SHA-256 {actual[:16]}...)", file=out)
    combined = fingerprint(
        args.people, args.categories, canonical_json(published.get("settings") or {})
    )
    if combined != inputs.get("fingerprint"):
        problems.append("the fingerprint of the files and settings differs from the report's")
    elif args.fingerprint is not None and combined != args.fingerprint.strip().lower():
        problems.append("the inputs' fingerprint differs from the published fingerprint")
    else:
        published_too = " and the published fingerprint" if args.fingerprint else ""
        print(f"fingerprint of the inputs {combined} matches the report{published_too}", file=out)
    return problems


def _instance_of(args: argparse.Namespace, published: dict[str, Any]) -> Instance:
    settings = published.get("settings") or {}
    quotas = load_quotas(args.categories)
    people = load_people(
        args.people,
        quotas,
        id_column=None if settings.get("generated_ids") else settings.get("id_column"),
        address_columns=settings.get("address_columns") or None,
    )
    return Instance(people.pool, quotas, int(published.get("panel_size") or 0))


def _check_distribution(
    args: argparse.Namespace, published: dict[str, Any], instance: Instance, out: TextIO
) -> list[str]:
    """The lottery fits the files; with --recompute, it is the lottery they give."""
    problems = distribution_problems(published["distribution"], instance)
    if problems:
        return problems
    n_panels = len(published["distribution"]["panels"])
    print(f"every one of the {n_panels} panels of the lottery meets every quota", file=out)
    if not args.recompute:
        return []
    settings = published.get("settings") or {}
    result = find_distribution(
        instance,
        algorithm=str(settings.get("algorithm") or published.get("algorithm") or "leximin"),
        tolerance=float(settings.get("tolerance") or 1e-6),
        rng=int(settings.get("solver_rng_seed") or SOLVER_RNG_SEED),
    )
    recomputed = dict(zip(instance.pool.ids, map(float, result.probabilities), strict=True))
    difference = probability_differences(
        person_probabilities(published["distribution"]), recomputed
    )
    if difference > RECOMPUTE_TOLERANCE:
        return [f"computed again, a chance differs by {difference:.2e} from the lottery's"]
    print(
        f"computed again: every chance equals the lottery's (largest difference {difference:.1e})",
        file=out,
    )
    return []


def _check_draw(args: argparse.Namespace, report: dict[str, Any], out: TextIO) -> list[str]:
    """The seed draws the report's panel and reserves."""
    problems = []
    if report.get("draw_version", DRAW_VERSION) != DRAW_VERSION:
        problems.append(
            f"the report was drawn with {report['draw_version']!r}, this program implements "
            f"{DRAW_VERSION!r}"
        )
    n_reserves = int(report.get("n_reserves", len(report.get("reserves") or ())))
    try:
        drawn = draw_from_description(report["distribution"], args.seed, n_reserves=n_reserves)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise InputError(
            "bad_report", f"the distribution is malformed ({error!r})", file=str(args.report)
        ) from None
    n_panels = len(report["distribution"]["panels"])
    print(f"panel {drawn.panel_index + 1} of {n_panels} (number {drawn.number:.6f})", file=out)
    print(f"selected: {', '.join(drawn.selected)}", file=out)
    if n_reserves:
        print(f"reserves: {', '.join(drawn.reserves)}", file=out)
    if report.get("seed") is not None and report["seed"] != args.seed:
        problems.append(f"the seed {args.seed!r} differs from the report's seed")
    if "selected" in report:
        if list(drawn.selected) != list(report["selected"]):
            problems.append("the panel differs from the panel in the report")
        if list(drawn.reserves) != list(report.get("reserves") or []):
            problems.append("the reserves differ from the reserves in the report")
    else:
        print("the report has no panel to compare with", file=out)
    return problems


def _check_quotas(instance: Instance, selected: Sequence[str]) -> list[str]:
    """Independently check the redrawn panel against the quotas in the categories file."""
    index = {person: i for i, person in enumerate(instance.pool.ids)}
    rows = quota_table(instance, [index[p] for p in selected])
    broken = [f"{r['category']} {r['value']}: {r['selected']}" for r in rows if not r["ok"]]
    if len(selected) != instance.panel_size:
        broken.append(f"panel of {len(selected)} instead of {instance.panel_size}")
    return [f"quota not met: {b}" for b in broken]


def _cmd_replace(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _prepare_out(args.out)
    _, people, instance = _load(args)
    report = _read_report(args.report)
    if "selected" not in report:
        raise InputError("bad_report", "the report has no drawn panel", file=str(args.report))
    panel = [people.index(p) for p in report["selected"]]
    dropped = [people.index(p) for p in _split(args.dropped)]
    confirmed = [people.index(p) for p in _split(args.confirmed)]
    for person in dropped + confirmed:
        if person not in panel:
            raise InputError(
                "not_in_panel",
                f"{people.pool.ids[person]!r} is not on the panel",
                column="--dropped" if person in dropped else "--confirmed",
                id=people.pool.ids[person],
            )
    algorithm = args.algorithm or report.get("algorithm") or "leximin"
    try:
        outcome = replace(
            instance,
            panel=panel,
            dropped=dropped,
            confirmed=confirmed,
            seed=args.seed,
            algorithm=algorithm,
        )
    except InfeasibleError as error:
        return _report_infeasible(error, out)
    replacements = [people.index(p) for p in outcome.replacements]
    _write_people(args.out / "replacements.csv", people, replacements)
    _write_json(
        args.out / "replacement.json",
        {
            "seed": args.seed,
            "draw_version": DRAW_VERSION,
            "report_sha256": fingerprint(args.report),
            "dropped": [people.pool.ids[i] for i in dropped],
            "confirmed": [people.pool.ids[i] for i in confirmed],
            "replacements": list(outcome.replacements),
            "released": list(outcome.released),
            "summary": summary(outcome.selection),
        },
    )
    print(f"replacements: {', '.join(outcome.replacements) or '(none needed)'}", file=out)
    if outcome.released:
        # Replacing the dropped members alone could not meet the quotas: these
        # unconfirmed members were drawn again too, and lost their seat.
        print(f"released (no longer on the panel): {', '.join(outcome.released)}", file=out)
    print(f"wrote replacements.csv, replacement.json to {args.out}", file=out)
    return EXIT_OK


_COMMANDS = {
    "select": _cmd_select,
    "check": _cmd_check,
    "verify": _cmd_verify,
    "replace": _cmd_replace,
    "tables": run_tables,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    started = time.monotonic()
    args = build_parser().parse_args(argv)
    args.started = started
    try:
        return _COMMANDS[args.command](args, out, err)
    except InputError as error:
        print(f"error: {error}", file=err)
        return EXIT_INPUT
    except SolverError as error:
        print(f"solver error: {error}", file=err)
        return EXIT_SOLVER
    except TimeLimitReached as error:
        print(
            f"stopped: the time limit of {error.limit:g} s was reached before a lottery was "
            "found; nothing was written. Allow more time with --time-limit.",
            file=err,
        )
        return EXIT_SOLVER
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror}", file=err)
        return EXIT_INPUT


__all__ = ["EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_MISMATCH", "EXIT_OK", "EXIT_SOLVER", "main"]
