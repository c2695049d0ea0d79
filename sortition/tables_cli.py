"""``python -m sortition tables``: table groups for every session.

Reads the people file (and optionally the seating already held, pins and pairs) with
the CSV helpers of :mod:`sortition.io`, runs :func:`sortition.tables.plan_tables` and
writes ``tables.csv`` (``session,table,id``, sessions and tables from 1) and
``tables-report.json`` to ``--out``. Exit codes as for the other commands: 0 done, 1 bad
input, 2 the rules cannot all hold (the reason is printed), 4 solver failure.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import InfeasibleError, InputError
from .io import CsvTable, _check_ids, read_csv
from .report import fingerprint
from .tables import TABLES_VERSION, Seat, TablePeople, TablePlan, plan_tables

REPORT_FORMAT = "burgerberaad-tables-report"


def add_tables_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register the ``tables`` command on the parser's subcommands."""
    parser = commands.add_parser(
        "tables",
        help="seat the participants at tables for every session",
        description="Seat the participants present at each session at tables of at most "
        "--table-size, so that every table is balanced on the --balance columns (each "
        "value's count differs by at most one between the tables of a session), pins and "
        "keep-apart/keep-together pairs hold, as few pairs as possible meet more than once, "
        "and the other columns are spread evenly. Writes tables.csv (session,table,id) and "
        "tables-report.json to --out.",
    )
    parser.add_argument("--people", required=True, type=Path, help="CSV file of the people")
    parser.add_argument("--id-column", help="column with unique ids (default: the first column)")
    parser.add_argument("--sessions", required=True, type=int, help="number of sessions")
    parser.add_argument(
        "--table-size", required=True, type=int, help="the most people at one table (≥ 2)"
    )
    parser.add_argument(
        "--balance",
        help="comma-separated columns to balance: per session each value's count differs by "
        "at most one between tables (a rule)",
    )
    parser.add_argument(
        "--spread",
        help="comma-separated columns to spread as evenly as possible after the repeats "
        "(default: every other column except those with one value or a different value "
        "for everybody; an empty value spreads nothing)",
    )
    parser.add_argument("--seed", required=True, help="any text; the same seed gives the same plan")
    parser.add_argument(
        "--history",
        type=Path,
        help="CSV session,table,id of sessions already held (or fixed by hand): kept as "
        "they are and counted for the repeats; the other sessions are planned",
    )
    parser.add_argument("--pins", type=Path, help="CSV id,session,table: seats that must hold")
    parser.add_argument("--apart", type=Path, help="CSV id_a,id_b: pairs never at one table")
    parser.add_argument(
        "--together", type=Path, help="CSV id_a,id_b: pairs at the same table in every session"
    )
    parser.add_argument(
        "--effort",
        type=float,
        default=1.0,
        help="multiplies the number of search steps (default 1)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        help="seconds; stop with the best plan so far (the plan may then differ per machine)",
    )
    parser.add_argument("--out", required=True, type=Path, help="directory for the output files")


def load_table_people(path: Path, id_column: str | None) -> tuple[TablePeople, CsvTable]:
    """The people file as :class:`TablePeople` (every column but the id), and the table.

    Raises
    ------
    InputError : located by file, row and column.
    """
    table = read_csv(path)
    if not table.rows:
        raise InputError("no_rows", "the file has a header but no people", file=table.file)
    id_col = table.column(id_column, purpose="the id column") if id_column else 0
    ids = [record[id_col].strip() for record in table.rows]
    _check_ids(ids, table, table.header[id_col])
    keep = [k for k in range(len(table.header)) if k != id_col]
    people = TablePeople(
        tuple(ids),
        tuple(table.header[k] for k in keep),
        tuple(tuple(record[k] for k in keep) for record in table.rows),
    )
    return people, table


def _number(text: str, table: CsvTable, row: int, column: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(
            "not_integer",
            f"{text.strip()!r} is not a whole number" if text.strip() else "the number is missing",
            file=table.file,
            row=row,
            column=table.header[column],
            value=text,
        ) from None
    if value < 1:
        raise InputError(
            "not_positive",
            f"{value} must be at least 1",
            file=table.file,
            row=row,
            column=table.header[column],
            value=text,
        )
    return value


def _known(person: str, ids: set[str], table: CsvTable, row: int, column: int) -> str:
    if person not in ids:
        raise InputError(
            "unknown_id",
            f"there is nobody with id {person!r} in the people file",
            file=table.file,
            row=row,
            column=table.header[column],
            id=person,
        )
    return person


def read_seats(path: Path, ids: set[str], *, purpose: str) -> list[Seat]:
    """Seats from a CSV with the columns ``session``, ``table`` and ``id`` (any order)."""
    table = read_csv(path)
    cols = [table.column(name, purpose=purpose) for name in ("session", "table", "id")]
    seats = []
    for record, row in zip(table.rows, table.row_numbers, strict=True):
        session, number = (_number(record[c], table, row, c) for c in cols[:2])
        person = _known(record[cols[2]].strip(), ids, table, row, cols[2])
        seats.append(Seat(session, number, person))
    return seats


def read_pairs(path: Path, ids: set[str], *, purpose: str) -> list[tuple[str, str]]:
    """Pairs of ids from a CSV with the columns ``id_a`` and ``id_b``."""
    table = read_csv(path)
    cols = [table.column(name, purpose=purpose) for name in ("id_a", "id_b")]
    pairs = []
    for record, row in zip(table.rows, table.row_numbers, strict=True):
        first, second = (_known(record[c].strip(), ids, table, row, c) for c in cols)
        if first == second:
            raise InputError(
                "same_person_pair",
                f"{first!r} is paired with themselves",
                file=table.file,
                row=row,
                id=first,
            )
        pairs.append((first, second))
    return pairs


def _columns(text: str | None, table: CsvTable, purpose: str) -> list[str]:
    """Comma-separated column names, each checked against the people file."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return [table.header[table.column(name, purpose=purpose)] for name in names]


def _write_tables(path: Path, plan: TablePlan) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["session", "table", "id"])
        writer.writerows(plan.seats())


def build_report(args: argparse.Namespace, plan: TablePlan) -> dict[str, Any]:
    """``tables-report.json``: the plan's figures, the settings and the inputs' hashes."""
    inputs = {
        key: {"file": str(path), "sha256": fingerprint(path)}
        for key, path in (
            ("people", args.people),
            ("history", args.history),
            ("pins", args.pins),
            ("apart", args.apart),
            ("together", args.together),
        )
        if path is not None
    }
    return {
        "format": REPORT_FORMAT,
        "version": TABLES_VERSION,
        "inputs": inputs,
        "settings": {
            "sessions": args.sessions,
            "table_size": args.table_size,
            "seed": args.seed,
            "id_column": args.id_column,
            "effort": args.effort,
            "time_limit": args.time_limit,
        },
        **plan.report(),
    }


def _summary(plan: TablePlan, out: TextIO) -> None:
    sizes = {len(session) for s, session in enumerate(plan.tables, 1) if s in plan.planned}
    tables = "/".join(str(t) for t in sorted(sizes))
    print(
        f"planned sessions {', '.join(map(str, plan.planned)) or '(none)'}: {tables} tables; "
        f"{plan.repeated_pairs} repeated pairs ({plan.unavoidable_repeated_pairs} unavoidable; "
        f"a random seating: {plan.random_repeated_pairs:.1f} expected); "
        f"{plan.solve_time:.2f} s",
        file=out,
    )
    if plan.spread:
        spread = ", ".join(f"{column} {value}" for column, value in plan.spread.items())
        print(f"largest spread between tables: {spread}", file=out)


def run_tables(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``python -m sortition tables`` with parsed ``args``; return the exit code."""
    from .cli import EXIT_INFEASIBLE, EXIT_OK, _write_json

    people, table = load_table_people(args.people, args.id_column)
    ids = set(people.ids)
    balance = _columns(args.balance, table, "a balance column")
    spread: Sequence[str] | None = None
    if args.spread is not None:
        spread = _columns(args.spread, table, "a spread column")
    history = read_seats(args.history, ids, purpose="the history") if args.history else []
    pins = read_seats(args.pins, ids, purpose="a pin") if args.pins else []
    apart = read_pairs(args.apart, ids, purpose="keep apart") if args.apart else []
    together = read_pairs(args.together, ids, purpose="keep together") if args.together else []
    try:
        plan = plan_tables(
            people,
            sessions=args.sessions,
            table_size=args.table_size,
            seed=args.seed,
            balance=balance,
            spread=spread,
            history=history,
            pins=pins,
            apart=apart,
            together=together,
            effort=args.effort,
            time_limit=args.time_limit,
        )
    except InfeasibleError as error:
        print(f"infeasible: {error}", file=out)
        return EXIT_INFEASIBLE
    if plan.status != 0:
        print(f"note: {plan.message}", file=err)
    args.out.mkdir(parents=True, exist_ok=True)
    _write_tables(args.out / "tables.csv", plan)
    _write_json(args.out / "tables-report.json", build_report(args, plan))
    _summary(plan, out)
    print(f"wrote tables.csv, tables-report.json to {args.out}", file=out)
    return EXIT_OK


__all__ = ["add_tables_command", "load_table_people", "read_pairs", "read_seats", "run_tables"]
