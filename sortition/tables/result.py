"""The plan returned to the caller, and the figures that describe it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import SolverError
from .people import Seat
from .problem import IntArray, Problem, Session, excess

#: Version of the procedure that turns a seed into a plan; part of the reports.
TABLES_VERSION = "burgerberaad-tables-v2"

#: Plan statuses (``TablePlan.status``).
STATUS_OPTIMAL = 0
STATUS_ITERATIONS = 1
STATUS_TIME_LIMIT = 2


@dataclass(frozen=True, eq=False)
class TablePlan:
    """The seating of every session, with figures on how good it is.

    Attributes
    ----------
    tables : ``tables[s - 1][t - 1]`` holds the ids at table ``t`` of session ``s`` (in
        the order of ``TablePeople.ids``); sessions from the history are included as
        given.
    planned : the session numbers that were planned (the others came from the history).
    status : 0 no avoidable repeated pair is left (``repeated_pairs`` equals
        ``unavoidable_repeated_pairs``, so the plan is optimal); 1 the search ended with
        more (the best plan found is returned; the remaining repeats may or may not be
        avoidable); 2 ``time_limit`` was reached (the plan then depends on the machine's
        speed). Every hard rule holds whatever the status.
    message : English description of the status.
    repeated_pairs : over the whole programme (history included), the sum over pairs of
        people of (number of sessions they share a table) - 1, for pairs that meet.
    unavoidable_repeated_pairs : the part of ``repeated_pairs`` that no plan can avoid:
        meetings in the history, keep-together groups and people pinned to one table.
    random_repeated_pairs : the expected ``repeated_pairs`` when the planned sessions are
        seated uniformly at random at tables of the same sizes (history as given).
    most_meetings : the most sessions any pair of people shares a table.
    spread : for each balance and spread column, the largest difference over the planned
        sessions between the tables with the most and the fewest people with one value
        (at most 1 for a balance column).
    balance, spread_columns : the columns balanced and spread.
    solve_time : seconds spent.
    iterations : search iterations used.
    seed : the seed, as text.
    """

    tables: tuple[tuple[tuple[str, ...], ...], ...]
    planned: tuple[int, ...]
    status: int
    message: str
    repeated_pairs: int
    unavoidable_repeated_pairs: int
    random_repeated_pairs: float
    most_meetings: int
    spread: dict[str, int]
    balance: tuple[str, ...]
    spread_columns: tuple[str, ...]
    solve_time: float
    iterations: int
    seed: str = ""

    @property
    def success(self) -> bool:
        return self.status == STATUS_OPTIMAL

    def seats(self) -> list[Seat]:
        """Every seat, by session, table and the order of the ids."""
        return [
            Seat(s, t, person)
            for s, session in enumerate(self.tables, start=1)
            for t, table in enumerate(session, start=1)
            for person in table
        ]

    def table_of(self, person_id: str, session: int) -> int | None:
        """The table (from 1) of ``person_id`` in ``session``, or None when absent."""
        for t, table in enumerate(self.tables[session - 1], start=1):
            if person_id in table:
                return t
        return None

    def report(self) -> dict[str, Any]:
        """The figures as a JSON-ready dict (without the seating itself)."""
        return {
            "version": TABLES_VERSION,
            "status": self.status,
            "message": self.message,
            "repeated_pairs": self.repeated_pairs,
            "unavoidable_repeated_pairs": self.unavoidable_repeated_pairs,
            "random_repeated_pairs": round(self.random_repeated_pairs, 2),
            "most_meetings": self.most_meetings,
            "spread": dict(self.spread),
            "balance": list(self.balance),
            "spread_columns": list(self.spread_columns),
            "planned_sessions": list(self.planned),
            "sessions": [
                {
                    "session": s,
                    "planned": s in self.planned,
                    "present": sum(len(t) for t in session),
                    "table_sizes": [len(t) for t in session],
                }
                for s, session in enumerate(self.tables, start=1)
            ],
            "solve_time": round(self.solve_time, 3),
            "iterations": self.iterations,
        }


def random_repeats(
    problem: Problem, base_meet: npt.NDArray[np.int32], sizes: Sequence[IntArray]
) -> float:
    """Expected repeated pairs when the planned sessions are seated uniformly at random."""
    n = problem.n
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    history = base_meet[upper].astype(np.float64)
    expected = np.zeros_like(history)
    never = np.ones_like(history)
    for session, table_sizes in zip(problem.sessions, sizes, strict=True):
        count = session.members.size
        if count < 2:
            continue
        chance = float((table_sizes * (table_sizes - 1)).sum()) / (count * (count - 1))
        here = np.zeros(n, dtype=bool)
        here[session.members] = True
        both = (here[:, None] & here[None, :])[upper]
        expected += both * chance
        never *= 1.0 - both * chance
    # E[max(0, h + X - 1)] = h + E[X] - 1 + P(h + X = 0)
    value = history + expected - 1.0 + np.where(history == 0, never, 0.0)
    return float(value.sum())


def unavoidable(problem: Problem, base_meet: npt.NDArray[np.int32]) -> int:
    """Repeated pairs that every plan has: history, keep-together groups, shared pins,
    sessions with a single table."""
    forced = base_meet.astype(np.int64)
    for session in problem.sessions:
        units = session.units
        cluster = np.full(problem.n, -1, dtype=np.int64)
        if session.n_tables == 1:
            cluster[session.members] = 0
        for u, members in enumerate(units.members):
            if units.pin[u] >= 0:
                cluster[members] = problem.n + units.pin[u]
            elif members.size > 1:
                cluster[members] = u
        same = (cluster[:, None] == cluster[None, :]) & (cluster >= 0)[:, None]
        np.fill_diagonal(same, False)
        forced += same
    return int(np.maximum(forced - 1, 0).sum() // 2)


def largest_spread(
    tabs: IntArray, codes: IntArray, names: Sequence[str], sessions: Sequence[Session]
) -> dict[str, int]:
    result: dict[str, int] = {}
    for c in range(codes.shape[1]):
        column = names[c]
        worst = 0
        for k, session in enumerate(sessions):
            members = session.members
            members = members[codes[members, c] >= 0]
            if not members.size or session.n_tables < 2:
                continue
            counts = np.zeros((session.n_tables, int(codes[:, c].max()) + 1), dtype=np.int64)
            np.add.at(counts, (tabs[k, members], codes[members, c]), 1)
            used = np.unique(codes[members, c])
            worst = max(worst, int((counts[:, used].max(0) - counts[:, used].min(0)).max()))
        result[column] = worst
    return result


def check_plan(problem: Problem, tabs: IntArray) -> None:
    """Last line of defence: a plan that breaks a hard rule is a bug, never returned."""
    for k, session in enumerate(problem.sessions):
        tab = tabs[k]
        members = session.members
        if (tab[members] < 0).any() or (np.delete(tab, members) >= 0).any():
            raise SolverError("internal_error", f"session {session.number}: someone is not seated")
        sizes = np.bincount(tab[members], minlength=session.n_tables)
        if sizes.size > session.n_tables or (members.size and sizes.max() - sizes.min() > 1):
            raise SolverError("internal_error", f"session {session.number}: uneven tables")
        counts = np.zeros((session.n_tables, problem.n_codes), dtype=np.int64)
        for c in range(problem.bal.shape[1]):
            np.add.at(counts, (tab[members], problem.bal[members, c]), 1)
        if (excess(counts, session.lo, session.hi) > 0).any():
            raise SolverError("internal_error", f"session {session.number}: unbalanced tables")
        for u, group in enumerate(session.units.members):
            if np.unique(tab[group]).size != 1:
                raise SolverError("internal_error", "a keep-together group is split")
            pin = session.units.pin[u]
            if pin >= 0 and tab[group[0]] != pin:
                raise SolverError("internal_error", "a pin is not kept")
        for a, b in problem.apart:
            if tab[a] >= 0 and tab[a] == tab[b]:
                raise SolverError("internal_error", "a keep-apart pair shares a table")
