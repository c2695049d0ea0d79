"""Table groups (tafelindeling): who sits at which table in each session.

For every session the participants who are present are seated at tables so that

* the **hard rules** hold; a plan that breaks one is never returned, the run is refused
  instead (an :class:`~sortition.errors.InfeasibleError` naming the rule):

  - a session has ``ceil(present / table_size)`` tables whose sizes differ by at most
    one, so none seats more than ``table_size``;
  - for every *balance* column, the number of people with each value differs by at most
    one between the tables of a session;
  - pins (this person at this table in this session), keep-together pairs (at the same
    table in every session where both are present) and keep-apart pairs (never at the
    same table) hold;

* then as few pairs as possible meet more than once over the whole programme, earlier
  sessions (the history) included: a pair that meets ``k > 1`` times counts ``k - 1``;
* then the values of the *spread* columns are spread as evenly over the tables as the
  seating allows (the sum of the squared counts per table and value is minimised, which
  the even spread does).

Method
------
1. **Construction**, session by session. People who must sit together form a *unit*.
   The tables are filled one by one (pinned tables first): each gets, of every balance
   value and of the people, the floor or the ceiling of what is left divided by the
   tables left. Whatever is chosen, what is left can still be dealt that way (Baranyai's
   rounding argument), so the last table is always right and with one or two balance
   columns each table's choice exists; it is made greedily (values the table still
   lacks first, then people who have met the fewest of those already seated, then the
   spread columns) with a few random retries. With three or more columns, pins, groups
   or keep-apart pairs the choice can fail; then a greedy placement repaired by a tabu
   search on the number of broken rules is tried, and finally an integer programme
   (HiGHS via SciPy) over the tables' composition decides: it finds a seating or proves
   that none exists, and the rules are then dropped one family at a time to name the
   reason (balance alone, keep-together groups, pins, keep-apart).
2. **Fewer repeated pairs**: tabu search over all sessions to be planned at once
   (after Dotú and Van Hentenryck's search for the social golfer problem). A person with
   a repeated pair at their table is swapped with someone at another table of the same
   session (or moved to a smaller table) in the way that removes the most repeats, among
   the moves that keep every hard rule (ties go to the better spread, then chance); the
   change in repeats of all moves of all conflicted people of a session is computed at
   once (numpy) from per-table counts of "people already met elsewhere", which are
   updated incrementally. Moves are tabu for a few iterations; after a long stall the
   search restarts from the best seating with a few random swaps.
3. **Spread**: a descent on the spread columns by the same moves, never adding a repeat.

People who are pinned or belong to a keep-together group stay where the construction put
them during steps 2 and 3; the others move around them.

The search is bounded by a number of iterations, not by time, so the same inputs and
seed give the same plan on every machine (``time_limit`` is only a safety net, and a plan
cut short by it says so in its status).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .errors import InfeasibleError, InputError, SolverError
from .model import normalize

#: Called now and then with (fraction done or None, English message); the signature of
#: ``sortition.result.ProgressCallback``, not imported so that this module stays light.
ProgressCallback = Callable[[float | None, str], None]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: Version of the procedure that turns a seed into a plan; part of the reports.
TABLES_VERSION = "burgerberaad-tables-v1"

#: Plan statuses (``TablePlan.status``).
STATUS_OPTIMAL = 0
STATUS_ITERATIONS = 1
STATUS_TIME_LIMIT = 2

_INF = np.iinfo(np.int64).max // 4


class Seat(NamedTuple):
    """One person at one table of one session; sessions and tables count from 1."""

    session: int
    table: int
    id: str


@dataclass(frozen=True, eq=False)
class TablePeople:
    """The participants: unique ids and each person's value in each column.

    Attributes
    ----------
    ids : the ids; their order is the order of the output.
    columns : names of the columns that can be balanced or spread.
    values : ``values[i][c]`` is the value of person ``ids[i]`` in ``columns[c]``.
        Values are compared case- and space-insensitively. An empty cell is a value of
        its own in a balance column and no value at all in a spread column.
    """

    ids: tuple[str, ...]
    columns: tuple[str, ...] = ()
    values: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, person in enumerate(self.ids):
            if not person.strip():
                raise InputError("empty_id", f"person {i + 1} has an empty id", position=i)
            if person in seen:
                raise InputError("duplicate_id", f"the id {person!r} appears twice", id=person)
            seen[person] = i
        keys = [normalize(c) for c in self.columns]
        if len(set(keys)) != len(keys):
            raise InputError("duplicate_column", "two columns have the same name")
        if self.columns and len(self.values) != len(self.ids):
            raise InputError(
                "wrong_value_count",
                f"there are {len(self.ids)} ids but {len(self.values)} rows of values",
            )
        for i, row in enumerate(self.values):
            if len(row) != len(self.columns):
                raise InputError(
                    "wrong_value_count",
                    f"person {self.ids[i]!r} has {len(row)} values for {len(self.columns)} columns",
                    id=self.ids[i],
                )

    @classmethod
    def from_columns(
        cls, ids: Sequence[str], columns: Mapping[str, Sequence[str]] | None = None
    ) -> TablePeople:
        """Build from a list of ids and one list of values per column name."""
        names = tuple(columns or {})
        data = [list(columns[name]) for name in names] if columns else []
        for name, values in zip(names, data, strict=True):
            if len(values) != len(ids):
                raise InputError(
                    "wrong_value_count",
                    f"column {name!r} has {len(values)} values for {len(ids)} people",
                    column=name,
                )
        rows = tuple(tuple(values[i] for values in data) for i in range(len(ids)))
        return cls(tuple(ids), names, rows if names else ())

    def column_index(self, name: str) -> int:
        """Position of column ``name`` (case- and space-insensitive).

        Raises
        ------
        InputError : ``unknown_column``.
        """
        key = normalize(name)
        for index, column in enumerate(self.columns):
            if normalize(column) == key:
                return index
        raise InputError(
            "unknown_column",
            f"there is no column {name!r}; the columns are: " + ", ".join(self.columns),
            column=name,
            columns=list(self.columns),
        )


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


# --- preparing the problem ---------------------------------------------------------------


@dataclass
class _Units:
    """People who sit together (keep-together groups, or one person) in one session."""

    members: list[IntArray]
    prof: IntArray  # (units, codes): how many members have each balance value
    size: IntArray
    pin: IntArray  # table (from 0) or -1
    apart: list[tuple[int, int]]  # pairs of units kept apart

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass
class _Session:
    """One session to plan: who is present, how many tables and the balance bounds."""

    number: int
    members: IntArray
    n_tables: int
    small: int  # the size of a small table; n_big tables seat one more
    n_big: int
    lo: IntArray  # per balance code, the fewest people per table
    hi: IntArray
    units: _Units
    unit_of: IntArray  # (people,) unit of each person, -1 when absent


@dataclass
class _Problem:
    n: int
    ids: tuple[str, ...]
    n_sessions: int
    table_size: int
    bal: IntArray  # (people, balance columns) global value codes
    n_codes: int
    code_names: list[tuple[str, str]]  # (column, value) of each code
    code_column: IntArray  # balance column of each code
    spread_codes: IntArray  # (people, spread columns) global codes, -1 no value
    n_spread_codes: int
    spread_names: list[str]  # column of each spread code
    balance: tuple[str, ...]
    spread: tuple[str, ...]
    history: dict[int, IntArray]  # session -> table (from 0) per person, -1 absent
    sessions: list[_Session]
    apart: list[tuple[int, int]]
    together: list[tuple[int, int]]


def _seed_rng(seed: int | str) -> np.random.Generator:
    """A generator from the seed's SHA-256, so ``5`` and ``"5"`` give the same plan."""
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise InputError("bad_seed", "the seed must be a whole number or a text")
    digest = hashlib.sha256(f"{TABLES_VERSION}\x1f{seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _codes(
    people: TablePeople, columns: Sequence[int], *, empty_is_value: bool
) -> tuple[IntArray, list[tuple[str, str]]]:
    """Global value codes per person and column (codes of one column are contiguous)."""
    codes = np.full((len(people.ids), len(columns)), -1, dtype=np.int64)
    names: list[tuple[str, str]] = []
    for c, col in enumerate(columns):
        seen: dict[str, int] = {}
        for i in range(len(people.ids)):
            text = people.values[i][col]
            key = normalize(text)
            if not key and not empty_is_value:
                continue
            if key not in seen:
                seen[key] = len(names)
                names.append((people.columns[col], text.strip()))
            codes[i, c] = seen[key]
    return codes, names


def _spread_columns(
    people: TablePeople, balance: Sequence[int], spread: Sequence[str] | None
) -> list[int]:
    if spread is not None:
        chosen = [people.column_index(name) for name in spread]
        for col in chosen:
            if col in balance:
                raise InputError(
                    "balance_and_spread",
                    f"{people.columns[col]!r} cannot be both balanced and spread",
                    column=people.columns[col],
                )
        return list(dict.fromkeys(chosen))
    # By default every other column, except those where spreading means nothing: one
    # value for everyone, or a different value for everyone (names, e-mail addresses).
    chosen = []
    for col in range(len(people.columns)):
        if col in balance:
            continue
        values = [normalize(row[col]) for row in people.values]
        present = [v for v in values if v]
        distinct = len(set(present))
        if 1 < distinct < len(present):
            chosen.append(col)
    return chosen


def _person(index: Mapping[str, int], person: str, what: str) -> int:
    try:
        return index[person.strip()]
    except KeyError:
        raise InputError(
            "unknown_id", f"{what}: there is nobody with id {person!r}", id=person
        ) from None


def _session_number(value: int, n_sessions: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError("bad_session", f"{what}: the session must be a whole number")
    if not 1 <= int(value) <= n_sessions:
        raise InputError(
            "session_out_of_range",
            f"{what}: session {value} is not one of the sessions 1 to {n_sessions}",
            session=int(value),
            sessions=n_sessions,
        )
    return int(value)


def _read_history(
    history: Iterable[Seat | tuple[int, int, str]],
    index: Mapping[str, int],
    n: int,
    n_sessions: int,
) -> dict[int, IntArray]:
    result: dict[int, IntArray] = {}
    for seat in history:
        session, table, person = seat
        s = _session_number(session, n_sessions, "history")
        if isinstance(table, bool) or not isinstance(table, int | np.integer) or table < 1:
            raise InputError("bad_table", f"history: table {table!r} is not a table number")
        p = _person(index, person, "history")
        tabs = result.setdefault(s, np.full(n, -1, dtype=np.int64))
        if tabs[p] >= 0 and tabs[p] != table - 1:
            raise InputError(
                "duplicate_seat",
                f"history: {person!r} sits at two tables in session {s}",
                id=person,
                session=s,
            )
        tabs[p] = int(table) - 1
    return dict(sorted(result.items()))


def _pairs(
    pairs: Iterable[tuple[str, str]], index: Mapping[str, int], what: str
) -> list[tuple[int, int]]:
    result: dict[tuple[int, int], None] = {}
    for first, second in pairs:
        a, b = _person(index, first, what), _person(index, second, what)
        if a == b:
            raise InputError(
                "same_person_pair", f"{what}: {first!r} is paired with themselves", id=first
            )
        result[(min(a, b), max(a, b))] = None
    return list(result)


def _components(n: int, members: IntArray, pairs: Sequence[tuple[int, int]]) -> IntArray:
    """Unit of each present person (units numbered by first member), -1 for the absent."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    present = np.zeros(n, dtype=bool)
    present[members] = True
    for a, b in pairs:
        if present[a] and present[b]:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    unit = np.full(n, -1, dtype=np.int64)
    numbers: dict[int, int] = {}
    for p in members.tolist():
        unit[p] = numbers.setdefault(find(p), len(numbers))
    return unit


def _names(ids: Sequence[str], people: Iterable[int]) -> str:
    return ", ".join(ids[int(p)] for p in people)


def _build_session(
    problem: _Problem, number: int, members: IntArray, pins: Mapping[int, int]
) -> _Session:
    """Check the session's rules that can be checked one by one, and build its units."""
    ids, n = problem.ids, problem.n
    count = len(members)
    n_tables = -(-count // problem.table_size)
    small, n_big = divmod(count, n_tables) if n_tables else (0, 0)
    largest = small + (1 if n_big else 0)
    per_code = np.zeros(problem.n_codes, dtype=np.int64)
    for c in range(problem.bal.shape[1]):
        np.add.at(per_code, problem.bal[members, c], 1)
    lo = per_code // max(n_tables, 1)
    hi = -(-per_code // max(n_tables, 1))

    unit_of = _components(n, members, problem.together)
    n_units = int(unit_of.max()) + 1 if count else 0
    unit_members = [np.flatnonzero(unit_of == u) for u in range(n_units)]
    prof = np.zeros((n_units, problem.n_codes), dtype=np.int64)
    for c in range(problem.bal.shape[1]):
        np.add.at(prof, (unit_of[members], problem.bal[members, c]), 1)
    size = np.array([len(m) for m in unit_members], dtype=np.int64)

    for u, group in enumerate(unit_members):
        if size[u] > largest:
            raise InfeasibleError(
                "together_group_too_large",
                f"session {number}: {_names(ids, group)} must sit together, but the "
                f"tables of this session seat at most {largest}",
                session=number,
                ids=[ids[p] for p in group],
                largest=largest,
            )
        over = np.flatnonzero(prof[u] > hi)
        if over.size:
            column, value = problem.code_names[int(over[0])]
            raise InfeasibleError(
                "together_breaks_balance",
                f"session {number}: {_names(ids, group)} must sit together, but then "
                f"their table has {prof[u, over[0]]} people with {column} = {value!r} "
                f"while balance allows at most {hi[over[0]]}",
                session=number,
                ids=[ids[p] for p in group],
                balance_column=column,
                value=value,
                limit=int(hi[over[0]]),
            )

    unit_pin = np.full(n_units, -1, dtype=np.int64)
    pinned_by = np.full(n_units, -1, dtype=np.int64)
    for p, table in pins.items():
        if unit_of[p] < 0:
            raise InfeasibleError(
                "pin_absent",
                f"session {number}: {ids[p]!r} is pinned to table {table + 1} but absent",
                session=number,
                id=ids[p],
            )
        if not 0 <= table < n_tables:
            raise InfeasibleError(
                "pin_table_out_of_range",
                f"session {number}: {ids[p]!r} is pinned to table {table + 1}, but the "
                f"session has {n_tables} tables",
                session=number,
                id=ids[p],
                table=table + 1,
                tables=n_tables,
            )
        u = int(unit_of[p])
        if unit_pin[u] >= 0 and unit_pin[u] != table:
            other = int(pinned_by[u])
            raise InfeasibleError(
                "pins_split_together",
                f"session {number}: {ids[other]!r} and {ids[p]!r} must sit together but "
                f"are pinned to tables {unit_pin[u] + 1} and {table + 1}",
                session=number,
                ids=[ids[other], ids[p]],
            )
        unit_pin[u] = table
        pinned_by[u] = p

    for t in range(n_tables):
        at = np.flatnonzero(unit_pin == t)
        if not at.size:
            continue
        seated = int(size[at].sum())
        if seated > largest:
            raise InfeasibleError(
                "pins_overfill_table",
                f"session {number}: {seated} people are pinned to table {t + 1}, which "
                f"seats at most {largest}",
                session=number,
                table=t + 1,
                pinned=seated,
                largest=largest,
            )
        over = np.flatnonzero(prof[at].sum(axis=0) > hi)
        if over.size:
            column, value = problem.code_names[int(over[0])]
            raise InfeasibleError(
                "pins_break_balance",
                f"session {number}: the people pinned to table {t + 1} include more with "
                f"{column} = {value!r} than balance allows ({hi[over[0]]})",
                session=number,
                table=t + 1,
                balance_column=column,
                value=value,
                limit=int(hi[over[0]]),
            )

    unit_apart: dict[tuple[int, int], None] = {}
    for a, b in problem.apart:
        ua, ub = int(unit_of[a]), int(unit_of[b])
        if ua < 0 or ub < 0:
            continue
        if ua == ub:
            raise InfeasibleError(
                "together_apart_conflict",
                f"session {number}: {ids[a]!r} and {ids[b]!r} must be kept apart, but "
                "the keep-together pairs put them at one table",
                session=number,
                ids=[ids[a], ids[b]],
            )
        if unit_pin[ua] >= 0 and unit_pin[ua] == unit_pin[ub]:
            raise InfeasibleError(
                "pins_break_apart",
                f"session {number}: {ids[a]!r} and {ids[b]!r} must be kept apart, but are "
                f"pinned to the same table {unit_pin[ua] + 1}",
                session=number,
                ids=[ids[a], ids[b]],
                table=int(unit_pin[ua]) + 1,
            )
        unit_apart[(min(ua, ub), max(ua, ub))] = None

    units = _Units(unit_members, prof, size, unit_pin, list(unit_apart))
    return _Session(number, members, n_tables, small, n_big, lo, hi, units, unit_of)


def _prepare(
    people: TablePeople,
    *,
    sessions: int,
    table_size: int,
    balance: Sequence[str],
    spread: Sequence[str] | None,
    history: Iterable[Seat | tuple[int, int, str]],
    pins: Iterable[Seat | tuple[int, int, str]],
    apart: Iterable[tuple[str, str]],
    together: Iterable[tuple[str, str]],
    present: Mapping[int, Collection[str]] | None,
) -> _Problem:
    if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 1:
        raise InputError("bad_sessions", "there must be at least one session", sessions=sessions)
    if isinstance(table_size, bool) or not isinstance(table_size, int) or table_size < 2:
        raise InputError(
            "table_size_too_small",
            f"a table must seat at least 2 people (table size {table_size!r})",
            table_size=table_size,
        )
    n = len(people.ids)
    index = {person: i for i, person in enumerate(people.ids)}
    balance_cols = list(dict.fromkeys(people.column_index(name) for name in balance))
    spread_cols = _spread_columns(people, balance_cols, spread)
    bal, code_names = _codes(people, balance_cols, empty_is_value=True)
    spread_codes, spread_names = _codes(people, spread_cols, empty_is_value=False)
    problem = _Problem(
        n=n,
        ids=people.ids,
        n_sessions=sessions,
        table_size=table_size,
        bal=bal,
        n_codes=len(code_names),
        code_names=code_names,
        code_column=np.array(
            [balance_cols.index(people.column_index(column)) for column, _ in code_names],
            dtype=np.int64,
        ),
        spread_codes=spread_codes,
        n_spread_codes=len(spread_names),
        spread_names=[column for column, _ in spread_names],
        balance=tuple(people.columns[c] for c in balance_cols),
        spread=tuple(people.columns[c] for c in spread_cols),
        history=_read_history(history, index, n, sessions),
        sessions=[],
        apart=_pairs(apart, index, "keep apart"),
        together=_pairs(together, index, "keep together"),
    )

    attending: dict[int, IntArray] = {}
    for session, ids in (present or {}).items():
        s = _session_number(session, sessions, "present")
        mask = np.zeros(n, dtype=bool)
        for person in ids:
            mask[_person(index, person, f"present in session {s}")] = True
        attending[s] = np.flatnonzero(mask)

    pinned: dict[int, dict[int, int]] = {}
    for seat in pins:
        session, table, person = seat
        s = _session_number(session, sessions, "pin")
        if isinstance(table, bool) or not isinstance(table, int | np.integer) or table < 1:
            raise InputError("bad_table", f"pin: table {table!r} is not a table number")
        p = _person(index, person, "pin")
        if s in problem.history:
            if problem.history[s][p] != table - 1:
                raise InfeasibleError(
                    "pin_contradicts_history",
                    f"{person!r} is pinned to table {table} of session {s}, which is in "
                    "the history with another seating",
                    session=s,
                    id=person,
                    table=int(table),
                )
            continue
        earlier = pinned.setdefault(s, {}).get(p)
        if earlier is not None and earlier != table - 1:
            raise InfeasibleError(
                "conflicting_pins",
                f"{person!r} is pinned to tables {earlier + 1} and {table} of session {s}",
                session=s,
                id=person,
            )
        pinned[s][p] = int(table) - 1

    everyone = np.arange(n, dtype=np.int64)
    for s in range(1, sessions + 1):
        if s not in problem.history:
            members = attending.get(s, everyone)
            problem.sessions.append(_build_session(problem, s, members, pinned.get(s, {})))
    return problem


# --- construction: one session that keeps every hard rule ---------------------------------


def _excess(counts: IntArray, lo: IntArray, hi: IntArray) -> IntArray:
    """How far counts (last axis: codes) are outside [lo, hi], summed over codes."""
    result: IntArray = (np.maximum(counts - hi, 0) + np.maximum(lo - counts, 0)).sum(axis=-1)
    return result


def _size_excess(size: IntArray, small: int) -> IntArray:
    result: IntArray = np.maximum(size - (small + 1), 0) + np.maximum(small - size, 0)
    return result


class _Builder:
    """Places the units of one session at tables; see the module docstring, step 1."""

    def __init__(
        self,
        units: _Units,
        n_tables: int,
        small: int,
        n_big: int,
        lo: IntArray,
        hi: IntArray,
        code_column: IntArray,
        rng: np.random.Generator,
    ) -> None:
        self.u = units
        self.T = n_tables
        # (codes, columns) indicator: sums a per-code vector per balance column.
        n_columns = int(code_column.max()) + 1 if code_column.size else 0
        self.by_column = np.zeros((code_column.size, n_columns), dtype=np.int64)
        self.by_column[np.arange(code_column.size), code_column] = 1
        self.small = small
        self.n_big = n_big
        self.lo = lo
        self.hi = hi
        self.rng = rng
        count = units.count
        # (units, spread values): set by the caller to spread those columns too.
        self.spread_prof = np.zeros((count, 0), dtype=np.int64)
        self.partners: list[list[int]] = [[] for _ in range(count)]
        for a, b in units.apart:
            self.partners[a].append(b)
            self.partners[b].append(a)
        self.apart_matrix = np.zeros((count, count), dtype=np.int64) if units.apart else None
        if self.apart_matrix is not None:
            for a, b in units.apart:
                self.apart_matrix[a, b] = self.apart_matrix[b, a] = 1

    def _reset(self) -> None:
        self.table = np.full(self.u.count, -1, dtype=np.int64)
        self.cnt = np.zeros((self.T, self.lo.size), dtype=np.int64)
        self.size = np.zeros(self.T, dtype=np.int64)
        self.apart_at = np.zeros((self.u.count, self.T), dtype=np.int64)

    def _place(self, u: int, t: int) -> None:
        old = int(self.table[u])
        if old >= 0:
            self.cnt[old] -= self.u.prof[u]
            self.size[old] -= self.u.size[u]
            for v in self.partners[u]:
                self.apart_at[v, old] -= 1
        self.table[u] = t
        self.cnt[t] += self.u.prof[u]
        self.size[t] += self.u.size[u]
        for v in self.partners[u]:
            self.apart_at[v, t] += 1

    def _acquaintances(self, known: BoolArray, person_unit: IntArray, unit: int) -> IntArray:
        """Per unit, how many of its members have met a member of ``unit`` before."""
        knows = known[self.u.members[unit]].sum(axis=0)
        here = person_unit >= 0
        counts = np.bincount(person_unit[here], weights=knows[here], minlength=self.u.count)
        return counts.astype(np.int64)

    def peel(self, known: BoolArray, person_unit: IntArray, tries: int = 40) -> bool:
        """Fill the tables one by one; True when every rule holds.

        Each table gets, of every balance value, the floor or the ceiling of what is left
        divided by the tables left, and so does its size; whatever is chosen, the people
        left can still be dealt that way (so the last table is always right). Only the
        choice of a table's people can fail (with three or more balance columns, or
        pins, groups and keep-apart pairs); each table gets several random tries.
        """
        self._reset()
        u = self.u
        unplaced = np.ones(u.count, dtype=bool)
        pinned_tables = np.unique(u.pin[u.pin >= 0])
        rest = np.setdiff1d(np.arange(self.T), pinned_tables)
        order = [*pinned_tables.tolist(), *rest[self.rng.permutation(rest.size)].tolist()]
        for k, t in enumerate(order):
            left = self.T - k
            if left == 1:
                for unit in np.flatnonzero(unplaced).tolist():
                    self._place(unit, t)
                break
            remaining = u.prof[unplaced].sum(axis=0)
            people_left = int(u.size[unplaced].sum())
            floor, ceiling = remaining // left, -(-remaining // left)
            sizes = sorted({people_left // left, -(-people_left // left)})
            available = unplaced & ((u.pin < 0) | (u.pin == t))
            for _ in range(tries):
                target = sizes[int(self.rng.integers(len(sizes)))]
                chosen = self._fill(t, target, floor, ceiling, available, known, person_unit)
                if chosen is not None:
                    for unit in chosen:
                        self._place(unit, t)
                    unplaced[chosen] = False
                    break
            else:
                return False
        return int(self.violations().sum()) == 0

    def _fill(
        self,
        t: int,
        target: int,
        floor: IntArray,
        ceiling: IntArray,
        available: BoolArray,
        known: BoolArray,
        person_unit: IntArray,
    ) -> list[int] | None:
        """Units for table t: ``target`` people within [floor, ceiling] per value."""
        u = self.u
        count = np.zeros(floor.size, dtype=np.int64)
        size = 0
        chosen: list[int] = []
        candidates = available.copy()
        forced = np.flatnonzero(available & (u.pin == t)).tolist()
        met = np.zeros(u.count, dtype=np.int64)
        spread = np.zeros(self.spread_prof.shape[1], dtype=np.int64)

        def take(unit: int) -> None:
            nonlocal count, size, met, spread
            count = count + u.prof[unit]
            spread = spread + self.spread_prof[unit]
            size += int(u.size[unit])
            chosen.append(unit)
            candidates[unit] = False
            candidates[self.partners[unit]] = False
            met = met + self._acquaintances(known, person_unit, unit)

        for unit in forced:
            take(unit)
        if size > target or (count > ceiling).any():
            return None
        while size < target:
            idx = np.flatnonzero(candidates)
            if not idx.size:
                return None
            new = count + u.prof[idx]
            slots = target - size - u.size[idx]
            short = np.maximum(floor - new, 0) @ self.by_column
            ok = (new <= ceiling).all(axis=1) & (slots >= 0) & (short <= slots[:, None]).all(axis=1)
            if not ok.any():
                return None
            cover = np.minimum(u.prof[idx], np.maximum(floor - count, 0)).sum(axis=1)
            crowd = self.spread_prof[idx] @ spread
            score = cover * 1e8 - met[idx] * 1e5 - crowd * 10 + self.rng.random(idx.size)
            take(int(idx[np.argmax(np.where(ok, score, -np.inf))]))
        return chosen

    def greedy(self, known: BoolArray, person_unit: IntArray) -> None:
        """Place every unit; ``known[p, q]`` is True when p and q have met before."""
        self._reset()
        u = self.u
        met_at = np.zeros((u.count, self.T), dtype=np.int64)
        pinned = np.flatnonzero(u.pin >= 0)
        free = np.flatnonzero(u.pin < 0)
        free = free[self.rng.permutation(free.size)]
        # Larger groups first: they are the hardest to fit once tables fill up.
        free = free[np.argsort(-u.size[free], kind="stable")]
        big_used = 0
        for unit in [*pinned.tolist(), *free.tolist()]:
            if u.pin[unit] >= 0:
                t = int(u.pin[unit])
            else:
                g = int(u.size[unit])
                new_size = self.size + g
                new_cnt = self.cnt + u.prof[unit]
                ok = (new_size <= self.small) | (
                    (new_size == self.small + 1) & (big_used < self.n_big)
                )
                ok &= (new_cnt <= self.hi).all(axis=1) & (self.apart_at[unit] == 0)
                need = np.minimum(u.prof[unit], np.maximum(self.lo - self.cnt, 0)).sum(axis=1)
                noise = self.rng.random(self.T) * 0.5
                if ok.any():
                    score = need * 1e8 - met_at[unit] * 1e3 - self.size + noise
                    t = int(np.argmax(np.where(ok, score, -np.inf)))
                else:
                    harm = (
                        _excess(new_cnt, self.lo, self.hi)
                        + _size_excess(new_size, self.small) * 2
                        + self.apart_at[unit]
                    )
                    t = int(np.argmin(harm + noise))
            if self.size[t] + u.size[unit] == self.small + 1:
                big_used += 1
            self._place(unit, t)
            # Everyone still to be placed now knows how many acquaintances sit at t.
            met_at[:, t] += self._acquaintances(known, person_unit, unit)

    def violations(self) -> IntArray:
        """Broken rules per table (balance, size, keep-apart pairs)."""
        apart = np.zeros(self.T, dtype=np.int64)
        if self.u.apart:
            for a, b in self.u.apart:
                if self.table[a] == self.table[b]:
                    apart[self.table[a]] += 1
        return _excess(self.cnt, self.lo, self.hi) + _size_excess(self.size, self.small) + apart

    def repair(self, max_iter: int) -> bool:
        """Tabu search on the number of broken rules; True when none is left."""
        u = self.u
        movable = u.pin < 0
        tabu = np.zeros((u.count, self.T), dtype=np.int64)
        for it in range(max_iter):
            per_table = self.violations()
            total = int(per_table.sum())
            if total == 0:
                return True
            bad = np.flatnonzero(per_table > 0)
            at = int(bad[self.rng.integers(bad.size)])
            candidates = np.flatnonzero((self.table == at) & movable)
            if not candidates.size:
                candidates = np.flatnonzero(movable)
                if not candidates.size:
                    return False
            unit = int(candidates[self.rng.integers(candidates.size)])
            self._repair_step(unit, total, tabu, it)
        return int(self.violations().sum()) == 0

    def _repair_step(self, unit: int, total: int, tabu: IntArray, it: int) -> None:
        u, lo, hi, small = self.u, self.lo, self.hi, self.small
        a = int(self.table[unit])
        p, g = u.prof[unit], u.size[unit]
        base_a = _excess(self.cnt[a], lo, hi) + _size_excess(self.size[a : a + 1], small)[0]
        left_a = (
            _excess(self.cnt[a] - p, lo, hi)
            + _size_excess(self.size[a : a + 1] - g, small)[0]
            - self.apart_at[unit, a]
        )
        # Moving the unit to each table.
        gain_t = (
            _excess(self.cnt + p, lo, hi)
            - _excess(self.cnt, lo, hi)
            + _size_excess(self.size + g, small)
            - _size_excess(self.size, small)
            + self.apart_at[unit]
        )
        move_delta = left_a - base_a + gain_t
        move_delta[a] = _INF
        move_ok = tabu[unit] <= it
        # Swapping it with every movable unit at another table.
        others = np.flatnonzero((u.pin < 0) & (self.table != a))
        tb = self.table[others]
        pw, gw = u.prof[others], u.size[others]
        cnt_a = self.cnt[a] - p + pw
        cnt_b = self.cnt[tb] - pw + p
        swap_delta = (
            _excess(cnt_a, lo, hi)
            - _excess(self.cnt[a], lo, hi)
            + _excess(cnt_b, lo, hi)
            - _excess(self.cnt[tb], lo, hi)
            + _size_excess(self.size[a] - g + gw, small)
            - _size_excess(self.size[a : a + 1], small)[0]
            + _size_excess(self.size[tb] - gw + g, small)
            - _size_excess(self.size[tb], small)
            - self.apart_at[unit, a]
            + self.apart_at[unit, tb]
            - self.apart_at[others, tb]
            + self.apart_at[others, a]
        )
        if self.apart_matrix is not None:
            swap_delta -= 2 * self.apart_matrix[unit, others]
        swap_ok = (tabu[unit, tb] <= it) & (tabu[others, a] <= it)
        deltas = np.concatenate([move_delta, swap_delta]).astype(np.float64)
        allowed = np.concatenate([move_ok, swap_ok]) | (total + deltas <= 0)
        allowed[a] = False
        if not allowed.any():
            return
        score = np.where(allowed, deltas + self.rng.random(deltas.size) * 0.5, np.inf)
        choice = int(np.argmin(score))
        tenure = 3 + int(self.rng.integers(0, 8))
        tabu[unit, a] = it + tenure
        if choice < self.T:
            self._place(unit, choice)
        else:
            other = int(others[choice - self.T])
            b = int(self.table[other])
            tabu[other, b] = it + tenure
            self._place(unit, b)
            self._place(other, a)


def _exact(
    units: _Units,
    n_tables: int,
    small: int,
    lo: IntArray,
    hi: IntArray,
    rng: np.random.Generator,
    time_limit: float,
) -> IntArray | None:
    """Table of each unit from an integer programme, or None when no seating exists.

    Interchangeable units (same size and balance values, not pinned, not kept apart) are
    one integer variable per table: how many of them sit there.

    Raises
    ------
    SolverError : ``seating_undecided`` when the solver ran out of time undecided.
    """
    from scipy.optimize import (
        Bounds,
        LinearConstraint,
        milp,
    )
    from scipy.sparse import coo_array

    T, n_codes = n_tables, lo.size
    pinned = units.pin >= 0
    kept_apart = np.zeros(units.count, dtype=bool)
    for a, b in units.apart:
        kept_apart[a] = kept_apart[b] = True
        if pinned[a] and pinned[b] and units.pin[a] == units.pin[b]:
            return None
    base_cnt = np.zeros((T, n_codes), dtype=np.int64)
    base_size = np.zeros(T, dtype=np.int64)
    for unit in np.flatnonzero(pinned).tolist():
        base_cnt[units.pin[unit]] += units.prof[unit]
        base_size[units.pin[unit]] += units.size[unit]

    groups: dict[bytes, list[int]] = {}
    for unit in np.flatnonzero(~pinned & ~kept_apart).tolist():
        key = units.size[unit : unit + 1].tobytes() + units.prof[unit].tobytes()
        groups.setdefault(key, []).append(unit)
    kinds = [np.array(g, dtype=np.int64) for g in groups.values()]
    kinds += [np.array([unit]) for unit in np.flatnonzero(~pinned & kept_apart).tolist()]
    if not kinds:
        ok = (_excess(base_cnt, lo, hi) == 0).all() and (_size_excess(base_size, small) == 0).all()
        return units.pin.copy() if ok else None
    V = len(kinds)
    first = np.array([k[0] for k in kinds])
    mult = np.array([k.size for k in kinds], dtype=np.float64)
    prof, size = units.prof[first], units.size[first]

    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lower: list[FloatArray] = []
    upper: list[FloatArray] = []
    row = 0
    var = np.arange(V * T).reshape(V, T)
    # Every unit sits somewhere.
    rows.append(np.repeat(np.arange(V), T))
    cols.append(var.reshape(-1))
    vals.append(np.ones(V * T))
    lower.append(mult)
    upper.append(mult)
    row += V
    # Balance per table and code, and the table sizes.
    nz_v, nz_c = np.nonzero(prof)
    for t in range(T):
        rows.append(row + nz_c)
        cols.append(var[nz_v, t])
        vals.append(prof[nz_v, nz_c].astype(np.float64))
        lower.append((lo - base_cnt[t]).astype(np.float64))
        upper.append((hi - base_cnt[t]).astype(np.float64))
        row += n_codes
        rows.append(np.full(V, row))
        cols.append(var[:, t])
        vals.append(size.astype(np.float64))
        lower.append(np.array([small - base_size[t]], dtype=np.float64))
        upper.append(np.array([small + 1 - base_size[t]], dtype=np.float64))
        row += 1
    ub = np.repeat(mult, T).reshape(V, T)
    position = {int(k[0]): v for v, k in enumerate(kinds) if k.size == 1}
    for a, b in units.apart:
        if pinned[a] and pinned[b]:
            continue
        if pinned[a] or pinned[b]:
            free, table = (b, units.pin[a]) if pinned[a] else (a, units.pin[b])
            ub[position[free], table] = 0
            continue
        va, vb = position[a], position[b]
        rows.append(np.repeat(row + np.arange(T), 2))
        cols.append(np.stack([var[va], var[vb]], axis=1).reshape(-1))
        vals.append(np.ones(2 * T))
        lower.append(np.zeros(T))
        upper.append(np.ones(T))
        row += T
    matrix = coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(row, V * T),
    ).tocsr()
    result = milp(
        c=np.zeros(V * T),
        integrality=np.ones(V * T),
        bounds=Bounds(np.zeros(V * T), ub.reshape(-1)),
        constraints=LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper)),
        options={"time_limit": time_limit, "presolve": True},
    )
    if result.status == 2:
        return None
    if result.x is None:
        raise SolverError(
            "seating_undecided",
            f"the solver could not decide within {time_limit:.0f} s whether the rules can "
            "all hold; try fewer balance columns",
        )
    counts = np.rint(result.x).astype(np.int64).reshape(V, T)
    table = units.pin.copy()
    for v, kind in enumerate(kinds):
        order = kind[rng.permutation(kind.size)]
        table[order] = np.repeat(np.arange(T), counts[v])
    return table


def _single_units(units: _Units, session: _Session, bal: IntArray, n_codes: int) -> _Units:
    """Every present person a unit of their own, without pins or keep-apart pairs."""
    members = session.members
    prof = np.zeros((members.size, n_codes), dtype=np.int64)
    for c in range(bal.shape[1]):
        prof[np.arange(members.size), bal[members, c]] += 1
    return _Units(
        [members[i : i + 1] for i in range(members.size)],
        prof,
        np.ones(members.size, dtype=np.int64),
        np.full(members.size, -1, dtype=np.int64),
        [],
    )


def _diagnose(problem: _Problem, session: _Session, rng: np.random.Generator, limit: float) -> None:
    """Raise the error naming the first family of rules that cannot hold in ``session``."""
    units = session.units
    args = (session.n_tables, session.small, session.lo, session.hi, rng, limit)
    number = session.number
    if _exact(_single_units(units, session, problem.bal, problem.n_codes), *args) is None:
        raise InfeasibleError(
            "balance_impossible",
            f"session {number}: the columns {', '.join(problem.balance)} cannot all be "
            f"balanced at once over {session.n_tables} tables (each value's count may "
            "differ by at most one between tables); balance fewer columns",
            session=number,
            columns=list(problem.balance),
            tables=session.n_tables,
        )
    free = np.full(units.count, -1, dtype=np.int64)
    if _exact(_Units(units.members, units.prof, units.size, free, []), *args) is None:
        raise InfeasibleError(
            "together_breaks_balance",
            f"session {number}: the keep-together groups cannot be seated at balanced tables",
            session=number,
        )
    if _exact(_Units(units.members, units.prof, units.size, units.pin, []), *args) is None:
        raise InfeasibleError(
            "pins_break_balance",
            f"session {number}: with these pins the tables cannot be balanced",
            session=number,
        )
    raise InfeasibleError(
        "apart_impossible",
        f"session {number}: the keep-apart pairs cannot all be kept apart at "
        f"{session.n_tables} balanced tables",
        session=number,
        tables=session.n_tables,
    )


def _seat_session(
    problem: _Problem,
    session: _Session,
    known: BoolArray,
    rng: np.random.Generator,
    exact_limit: float,
) -> IntArray:
    """Table (from 0) of each person in one session, -1 for the absent."""
    tab = np.full(problem.n, -1, dtype=np.int64)
    units = session.units
    if units.count == 0:
        return tab
    builder = _Builder(
        units,
        session.n_tables,
        session.small,
        session.n_big,
        session.lo,
        session.hi,
        problem.code_column,
        rng,
    )
    members = session.members
    for c in range(problem.spread_codes.shape[1]):
        if c == 0:
            builder.spread_prof = np.zeros((units.count, problem.n_spread_codes), dtype=np.int64)
        has = members[problem.spread_codes[members, c] >= 0]
        np.add.at(builder.spread_prof, (session.unit_of[has], problem.spread_codes[has, c]), 1)
    table: IntArray | None = None
    for _ in range(5):
        if builder.peel(known, session.unit_of):
            table = builder.table
            break
    else:
        builder.greedy(known, session.unit_of)
        if builder.repair(10 * units.count + 500):
            table = builder.table
    if table is None:
        table = _exact(
            units, session.n_tables, session.small, session.lo, session.hi, rng, exact_limit
        )
        if table is None:
            _diagnose(problem, session, rng, exact_limit)
            raise AssertionError("unreachable")  # pragma: no cover
    for unit, members in enumerate(units.members):
        tab[members] = table[unit]
    return tab


# --- the search for fewer repeated pairs --------------------------------------------------


def _same_table(tab: IntArray) -> BoolArray:
    same: BoolArray = (tab[:, None] == tab[None, :]) & (tab >= 0)[:, None]
    np.fill_diagonal(same, False)
    return same


def _repeats(meet: npt.NDArray[np.int32]) -> int:
    return int(np.maximum(meet.astype(np.int64) - 1, 0).sum() // 2)


@dataclass
class _Moves:
    """Candidate moves, as arrays of one shape: person, swap partner (-1 for a plain move),
    target table, change in repeated pairs, and whether the hard rules allow it."""

    person: IntArray
    partner: IntArray
    target: IntArray
    delta: IntArray
    ok: BoolArray
    free: BoolArray | None = None  # not tabu


class _Search:
    """State of step 2 and 3: the seating of the planned sessions and its counts.

    ``meet[p, q]`` counts the sessions p and q share a table (history included);
    ``known[s, p, t]`` how many people at table t of planned session s have met p in
    another session (so that p joining or leaving t changes the repeated pairs by that
    much).
    """

    def __init__(
        self, problem: _Problem, tabs: IntArray, base_meet: npt.NDArray[np.int32],
        rng: np.random.Generator,
    ) -> None:  # fmt: skip
        self.problem = problem
        self.rng = rng
        sessions = problem.sessions
        self.P = len(sessions)
        self.n = problem.n
        self.T = np.array([s.n_tables for s in sessions], dtype=np.int64)
        self.Tm = max(1, int(self.T.max()) if self.P else 1)
        self.small = np.array([s.small for s in sessions], dtype=np.int64)
        self.lo = np.stack([s.lo for s in sessions]) if self.P else np.zeros((0, 0), np.int64)
        self.hi = np.stack([s.hi for s in sessions]) if self.P else np.zeros((0, 0), np.int64)
        self.bal = problem.bal
        self.sv = problem.spread_codes
        self.base_meet = base_meet
        self.movable = np.zeros((self.P, self.n), dtype=bool)
        for k, session in enumerate(sessions):
            free = session.units.size[session.unit_of[session.members]] == 1
            free &= session.units.pin[session.unit_of[session.members]] < 0
            self.movable[k, session.members[free]] = True
        self.free = [np.flatnonzero(self.movable[k]) for k in range(self.P)]
        self.others = [np.array([o for o in range(self.P) if o != k]) for k in range(self.P)]
        self.partners: list[IntArray] = [np.zeros(0, np.int64) for _ in range(self.n)]
        self.apart: BoolArray | None = None
        if problem.apart:
            self.apart = np.zeros((self.n, self.n), dtype=bool)
            lists: list[list[int]] = [[] for _ in range(self.n)]
            for a, b in problem.apart:
                self.apart[a, b] = self.apart[b, a] = True
                lists[a].append(b)
                lists[b].append(a)
            self.partners = [np.array(p, dtype=np.int64) for p in lists]
        self.tabu = np.zeros((self.P, self.n, self.Tm), dtype=np.int64)
        self.tenure, self.spread_tenure = 2, 4
        self.load(tabs)

    def load(self, tabs: IntArray) -> None:
        """Set the seating and recompute every count from it."""
        P, n, Tm = self.P, self.n, self.Tm
        self.tab = tabs.copy()
        meet = self.base_meet.copy()
        for s in range(P):
            meet += _same_table(self.tab[s])
        self.meet = meet
        self.known = np.zeros((P, n, Tm), dtype=np.int32)
        self.cnt = np.zeros((P, Tm, self.problem.n_codes), dtype=np.int64)
        self.size = np.zeros((P, Tm), dtype=np.int64)
        self.scnt = np.zeros((P, Tm, self.problem.n_spread_codes), dtype=np.int64)
        self.apart_at = np.zeros((P, n, Tm), dtype=np.int64)
        for s in range(P):
            t = self.tab[s]
            present = np.flatnonzero(t >= 0)
            other = (meet - _same_table(t)) >= 1
            other &= (t >= 0)[:, None] & (t >= 0)[None, :]
            np.fill_diagonal(other, False)
            onehot = np.zeros((n, Tm), dtype=np.float64)
            onehot[present, t[present]] = 1.0
            self.known[s] = np.rint(other.astype(np.float64) @ onehot).astype(np.int32)
            for c in range(self.bal.shape[1]):
                np.add.at(self.cnt[s], (t[present], self.bal[present, c]), 1)
            np.add.at(self.size[s], t[present], 1)
            for c in range(self.sv.shape[1]):
                has = present[self.sv[present, c] >= 0]
                np.add.at(self.scnt[s], (t[has], self.sv[has, c]), 1)
            if self.apart is not None:
                for p in present.tolist():
                    for q in self.partners[p].tolist():
                        if t[q] >= 0:
                            self.apart_at[s, p, t[q]] += 1
        self.cost = _repeats(meet)

    # -- moves --------------------------------------------------------------------------

    def _flip(self, s: int, p: int, mem: IntArray, sign: IntArray) -> None:
        """Update ``known`` of the other sessions after meet[p, mem] changed by ``sign``.

        The indicator "met in another session" of a pair flips when its count moves
        between 0 and 1 (0 -> 1 when it went up, 1 -> 0 when it went down).
        """
        others = self.others[s]
        if not others.size or not mem.size:
            return
        tp = self.tab[others, p]
        others, tp = others[tp >= 0], tp[tp >= 0]
        if not others.size:
            return
        tq = self.tab[others][:, mem]
        value = self.meet[p, mem][None, :] - (tq == tp[:, None])
        hit = (value == (sign > 0)[None, :]) & (tq >= 0)
        ss, qq = np.nonzero(hit)
        if ss.size:
            sessions = others[ss]
            step = sign[qq].astype(np.int32)
            np.add.at(self.known, (sessions, p, tq[ss, qq]), step)
            np.add.at(self.known, (sessions, mem[qq], tp[ss]), step)

    def move(self, s: int, p: int, b: int) -> None:
        """Move person p to table b in planned session s, updating every count."""
        tab = self.tab[s]
        a = int(tab[p])
        left = np.flatnonzero(tab == a)
        left = left[left != p]
        joined = np.flatnonzero(tab == b)
        tab[p] = b
        mem = np.concatenate([left, joined])
        sign = np.concatenate(
            [np.full(left.size, -1, dtype=np.int64), np.ones(joined.size, dtype=np.int64)]
        )
        meet = self.meet
        meet[p, mem] += sign.astype(np.int32)
        meet[mem, p] += sign.astype(np.int32)
        # In session s itself "met elsewhere" does not change, only who sits where.
        elsewhere = ((meet[:, p] - (tab == b)) >= 1) & (tab >= 0)
        elsewhere[p] = False
        change = elsewhere.astype(np.int32)
        self.known[s, :, a] -= change
        self.known[s, :, b] += change
        self._flip(s, p, mem, sign)
        codes = self.bal[p]
        self.cnt[s, a, codes] -= 1
        self.cnt[s, b, codes] += 1
        self.size[s, a] -= 1
        self.size[s, b] += 1
        spread = self.sv[p]
        spread = spread[spread >= 0]
        self.scnt[s, a, spread] -= 1
        self.scnt[s, b, spread] += 1
        partners = self.partners[p]
        if partners.size:
            self.apart_at[s, partners, a] -= 1
            self.apart_at[s, partners, b] += 1

    def apply(self, s: int, i: int, j: int, b: int) -> None:
        """Swap i with j (at table b), or move i to table b when j is -1."""
        a = int(self.tab[s, i])
        self.move(s, i, b)
        if j >= 0:
            self.move(s, j, a)

    def evaluate(self, s: int, rows: IntArray, it: int | None = None) -> _Moves:
        """Every move of the people ``rows`` in session s, and which keep the hard rules.

        A move swaps a person with a movable person at another table, or moves them
        from a large table to a small one (the sizes still differ by at most one). The
        change in repeated pairs of all of them is computed at once from ``known``.
        With ``it``, also which moves are not tabu at iteration ``it``.
        """
        tab = self.tab[s]
        known = self.known[s]
        cols = self.free[s]
        ti, tj = tab[rows], tab[cols]
        kr, kc = known[rows], known[cols]
        own_r = kr[np.arange(rows.size), ti]
        own_c = kc[np.arange(cols.size), tj]
        delta = kr[:, tj] + kc[:, ti].T
        delta -= own_r[:, None] + own_c[None, :]
        delta -= 2 * (self.meet[rows][:, cols] >= 1)
        ok = ti[:, None] != tj[None, :]
        cnt = self.cnt[s]
        down = (cnt - self.lo[s]) >= 1
        up = (self.hi[s] - cnt) >= 1
        up_by_code = up.T
        for c in range(self.bal.shape[1]):
            x, y = self.bal[rows, c], self.bal[cols, c]
            differs = x[:, None] != y[None, :]
            if not differs.any():
                continue
            allowed = up_by_code[x][:, tj] & up[ti][:, y]
            allowed &= down[ti, x][:, None] & down[tj, y][None, :]
            ok &= ~differs | allowed
        if self.apart is not None:
            pair = self.apart[rows][:, cols]
            at = self.apart_at[s]
            ok &= (at[rows][:, tj] - pair == 0) & (at[cols][:, ti].T - pair == 0)
        free: BoolArray | None = None
        if it is not None:
            tabu = self.tabu[s]
            free = (tabu[rows][:, tj] <= it) & (tabu[cols][:, ti].T <= it)
        partner = np.broadcast_to(cols[None, :], delta.shape)
        target = np.broadcast_to(tj[None, :], delta.shape)
        # Plain moves from a large table to a small one.
        small = int(self.small[s])
        tables = np.flatnonzero(self.size[s, : self.T[s]] == small)
        large = self.size[s, ti] == small + 1
        if tables.size and large.any():
            m_delta = kr[:, tables] - own_r[:, None]
            m_ok = np.repeat(large[:, None], tables.size, axis=1)
            for c in range(self.bal.shape[1]):
                x = self.bal[rows, c]
                m_ok &= down[ti, x][:, None] & up_by_code[x][:, tables]
            if self.apart is not None:
                m_ok &= self.apart_at[s][rows][:, tables] == 0
            delta = np.concatenate([delta, m_delta], axis=1)
            ok = np.concatenate([ok, m_ok], axis=1)
            if free is not None:
                free = np.concatenate([free, self.tabu[s][rows][:, tables] <= it], axis=1)
            partner = np.concatenate([partner, np.full(m_delta.shape, -1, dtype=np.int64)], axis=1)
            target = np.concatenate(
                [target, np.broadcast_to(tables[None, :], m_delta.shape)], axis=1
            )
        person = np.broadcast_to(rows[:, None], delta.shape)
        return _Moves(person, partner, target, delta.astype(np.int64), ok, free)

    def spread_delta(self, s: int, i: IntArray, j: IntArray, b: IntArray) -> IntArray:
        """Change in the sum of squared spread counts when i moves to table b (swapping
        with j, or alone when j is -1); all arrays of one shape."""
        scnt = self.scnt[s]
        a = self.tab[s, i]
        delta = np.zeros(i.shape, dtype=np.int64)
        swap = j >= 0
        partner = np.where(swap, j, 0)
        for c in range(self.sv.shape[1]):
            x = self.sv[i, c]
            y = np.where(swap, self.sv[partner, c], -1)
            differs = y != x
            has_x = differs & (x >= 0)
            xx = np.maximum(x, 0)
            delta += has_x * (2 * (scnt[b, xx] - scnt[a, xx]) + 2)
            has_y = differs & (y >= 0)
            yy = np.maximum(y, 0)
            delta += has_y * (2 * (scnt[a, yy] - scnt[b, yy]) + 2)
        return delta

    def best_move(self, s: int, moves: _Moves, allowed: BoolArray) -> int:
        """Flat index of the allowed move with the fewest repeated pairs; among equals
        the one that spreads the spread columns best, then at random."""
        score = np.where(allowed, moves.delta, _INF)
        ties = np.flatnonzero(score == score.min())
        if self.sv.shape[1] and ties.size > 1:
            gain = self.spread_delta(
                s, moves.person.flat[ties], moves.partner.flat[ties], moves.target.flat[ties]
            )
            ties = ties[gain == gain.min()]
        return int(ties[self.rng.integers(ties.size)])

    def _sample(self, wanted: BoolArray, cap: int) -> tuple[int, IntArray] | None:
        """A random session with someone ``wanted`` and (at most ``cap`` of) them."""
        busy = np.flatnonzero(wanted.any(axis=1))
        if not busy.size:
            return None
        s = int(busy[self.rng.integers(busy.size)])
        rows = np.flatnonzero(wanted[s])
        if rows.size > cap:
            rows = np.sort(self.rng.choice(rows, cap, replace=False))
        return s, rows

    def _pick(self, score: IntArray) -> int:
        """Flat index of a smallest score, chosen at random among ties."""
        ties = np.flatnonzero(score == score.min())
        return int(ties[self.rng.integers(ties.size)])

    # -- search ---------------------------------------------------------------------------

    def conflicts(self) -> BoolArray:
        """Movable people with someone at their table whom they met in another session."""
        at = np.maximum(self.tab, 0)
        mine = np.take_along_axis(self.known, at[:, :, None], axis=2)[:, :, 0]
        result: BoolArray = (mine > 0) & self.movable
        return result

    def kick(self, swaps: int) -> None:
        """Random moves that keep the hard rules, to leave a stalled region."""
        for _ in range(swaps):
            k = int(self.rng.integers(self.P))
            if not self.free[k].size:
                continue
            i = self.free[k][self.rng.integers(self.free[k].size, size=1)]
            moves = self.evaluate(k, i)
            options = np.flatnonzero(moves.ok)
            if options.size:
                c = int(options[self.rng.integers(options.size)])
                self.apply(k, int(i[0]), int(moves.partner.flat[c]), int(moves.target.flat[c]))
                self.cost += int(moves.delta.flat[c])

    def reduce_repeats(
        self,
        max_iter: int,
        target: int,
        deadline: float | None,
        progress: ProgressCallback | None,
    ) -> tuple[int, bool]:
        """Tabu search on the repeated pairs; returns (iterations, stopped by time).

        Each step takes a session with repeated pairs, evaluates every move of the people
        there who have one at their table (a sample of them in large sessions) and makes
        the best move that is not tabu (or that gives the best plan so far). After a long
        stall the search restarts from the best plan with a few random moves.
        """
        rng = self.rng
        best, best_tab = self.cost, self.tab.copy()
        last = 0
        stall = 200 + 5 * self.n
        cap = max(8, 20_000 // max(self.n, 1))
        it = idle = 0
        timed_out = False
        while it < max_iter and self.cost > target:
            it += 1
            if it % 16 == 0 and deadline is not None and time.perf_counter() > deadline:
                timed_out = True
                break
            if progress is not None and it % 2000 == 0:
                progress(it / max_iter, f"{self.cost} repeated pairs (best {best})")
            chosen = self._sample(self.conflicts(), cap)
            if chosen is None:
                break
            s, rows = chosen
            moves = self.evaluate(s, rows, it)
            assert moves.free is not None
            allowed = moves.ok & (moves.free | (self.cost + moves.delta < best))
            if not allowed.any():
                idle += 1
                if idle > 100 + 10 * self.P:
                    break  # the rules leave nothing to move
                continue
            idle = 0
            c = self.best_move(s, moves, allowed)
            i, j = int(moves.person.flat[c]), int(moves.partner.flat[c])
            a, b = int(self.tab[s, i]), int(moves.target.flat[c])
            self.tabu[s, i, a] = it + self.tenure + int(rng.integers(0, self.spread_tenure))
            if j >= 0:
                self.tabu[s, j, b] = it + self.tenure + int(rng.integers(0, self.spread_tenure))
            self.apply(s, i, j, b)
            self.cost += int(moves.delta.flat[c])
            if self.cost < best:
                best, best_tab, last = self.cost, self.tab.copy(), it
            elif it - last > stall:
                self.load(best_tab)
                self.kick(max(2, self.n // 20))
                last = it
        if self.cost > best:
            self.load(best_tab)
        return it, timed_out

    def reduce_spread(self, max_iter: int, deadline: float | None) -> tuple[int, bool]:
        """Descent on the spread columns that never adds a repeated pair."""
        if not self.sv.shape[1] or not self.P:
            return 0, False
        # Per session and spread value, the most a table holds when spread evenly.
        ceiling = np.zeros((self.P, self.problem.n_spread_codes), dtype=np.int64)
        for s in range(self.P):
            totals = self.scnt[s].sum(axis=0)
            ceiling[s] = -(-totals // max(int(self.T[s]), 1))
        cap = max(8, 20_000 // max(self.n, 1))
        it = failures = 0
        while it < max_iter and failures < 10 * self.P:
            it += 1
            if it % 16 == 0 and deadline is not None and time.perf_counter() > deadline:
                return it, True
            at = np.maximum(self.tab, 0)
            crowded = np.zeros((self.P, self.n), dtype=bool)
            for c in range(self.sv.shape[1]):
                code = np.maximum(self.sv[:, c], 0)
                held = self.scnt[np.arange(self.P)[:, None], at, code[None, :]]
                crowded |= (held > ceiling[:, code]) & (self.sv[:, c] >= 0)[None, :]
            chosen = self._sample(crowded & self.movable, cap)
            if chosen is None:
                break
            s, rows = chosen
            moves = self.evaluate(s, rows)
            gain = self.spread_delta(s, moves.person, moves.partner, moves.target)
            delta = moves.delta
            allowed = moves.ok & (delta <= 0) & ((delta < 0) | (gain < 0))
            if not allowed.any():
                failures += 1
                continue
            failures = 0
            c = self._pick(np.where(allowed, delta * (1 << 20) + gain, _INF))
            i = int(moves.person.flat[c])
            self.apply(s, i, int(moves.partner.flat[c]), int(moves.target.flat[c]))
            self.cost += int(delta.flat[c])
        return it, False


# --- figures -----------------------------------------------------------------------------


def _random_repeats(
    problem: _Problem, base_meet: npt.NDArray[np.int32], sizes: Sequence[IntArray]
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


def _unavoidable(problem: _Problem, base_meet: npt.NDArray[np.int32]) -> int:
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


def _largest_spread(
    tabs: IntArray, codes: IntArray, names: Sequence[str], sessions: Sequence[_Session]
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


def _check(problem: _Problem, tabs: IntArray) -> None:
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
        if (_excess(counts, session.lo, session.hi) > 0).any():
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


# --- the entry point ---------------------------------------------------------------------


def plan_tables(
    people: TablePeople,
    *,
    sessions: int,
    table_size: int,
    seed: int | str,
    balance: Sequence[str] = (),
    spread: Sequence[str] | None = None,
    history: Iterable[Seat | tuple[int, int, str]] = (),
    pins: Iterable[Seat | tuple[int, int, str]] = (),
    apart: Iterable[tuple[str, str]] = (),
    together: Iterable[tuple[str, str]] = (),
    present: Mapping[int, Collection[str]] | None = None,
    effort: float = 1.0,
    time_limit: float | None = None,
    progress: ProgressCallback | None = None,
) -> TablePlan:
    """Seat the participants of every session that is not in the history.

    Parameters
    ----------
    people : the participants and their columns.
    sessions : the number of sessions of the programme, numbered 1 to ``sessions``.
    table_size : the most people at one table (at least 2); a session with ``m``
        people present gets ``ceil(m / table_size)`` tables.
    seed : any whole number or text; the same inputs and seed give the same plan.
    balance : columns whose values are dealt evenly: per session, each value's count
        differs by at most one between tables (a hard rule).
    spread : columns to spread as evenly as possible after the repeats (a wish, not a
        rule). By default every column that is not balanced, except those with a single
        value or a different value for everybody; ``()`` spreads nothing.
    history : seats of sessions already held (or fixed by hand): those sessions are kept
        exactly as given and count for the repeats; every other session is planned.
    pins : seats that must hold in the planned sessions (a pin on a history session
        must agree with it).
    apart : pairs of ids never seated at one table.
    together : pairs of ids seated at one table in every session where both are
        present (the pairs join into groups).
    present : per session number, the ids present; sessions not in the mapping have
        everybody present.
    effort : multiplies the number of search iterations (default 1).
    time_limit : seconds after which the search stops with the best plan so far
        (status 2). Without it the run is bounded by iterations only and reproducible.
    progress : called now and then with (fraction done or None, message).

    Returns
    -------
    TablePlan

    Raises
    ------
    InputError : malformed input (unknown id or column, table size below 2, ...).
    InfeasibleError : the hard rules cannot all hold; ``code`` and ``params`` say which
        (``together_group_too_large``, ``together_breaks_balance``,
        ``together_apart_conflict``, ``pin_absent``, ``pin_table_out_of_range``,
        ``conflicting_pins``, ``pins_split_together``, ``pins_break_apart``,
        ``pins_overfill_table``, ``pins_break_balance``, ``pin_contradicts_history``,
        ``balance_impossible``, ``apart_impossible``).
    SolverError : the integer programme that decides hard cases ran out of time.
    """
    start = time.perf_counter()
    deadline = None if time_limit is None else start + float(time_limit)
    if not effort > 0:
        raise InputError("bad_effort", "effort must be positive", effort=effort)
    rng = _seed_rng(seed)
    problem = _prepare(
        people,
        sessions=sessions,
        table_size=table_size,
        balance=balance,
        spread=spread,
        history=history,
        pins=pins,
        apart=apart,
        together=together,
        present=present,
    )
    n = problem.n
    base_meet = np.zeros((n, n), dtype=np.int32)
    for tab in problem.history.values():
        base_meet += _same_table(tab)

    if progress is not None:
        progress(0.0, "seating each session")
    meet = base_meet.copy()
    planned_tabs = []
    exact_limit = 30.0 if time_limit is None else max(5.0, float(time_limit))
    for session in problem.sessions:
        tab = _seat_session(problem, session, meet >= 1, rng, exact_limit)
        meet += _same_table(tab)
        planned_tabs.append(tab)
    tabs = np.array(planned_tabs, dtype=np.int64).reshape(len(problem.sessions), n)

    search = _Search(problem, tabs, base_meet, rng)
    target = _unavoidable(problem, base_meet)
    people_seatings = sum(s.members.size for s in problem.sessions)
    max_iter = int(effort * (2000 + 20 * people_seatings))
    iterations, timed_out = search.reduce_repeats(max_iter, target, deadline, progress)
    if not timed_out:
        spread_iter = int(effort * (500 + 4 * people_seatings))
        used, timed_out = search.reduce_spread(spread_iter, deadline)
        iterations += used
    tabs = search.tab
    _check(problem, tabs)

    cost = search.cost
    if timed_out:
        status, message = STATUS_TIME_LIMIT, "the time limit was reached; the best plan so far"
    elif cost <= target:
        status, message = STATUS_OPTIMAL, "no avoidable repeated pair is left"
    else:
        status = STATUS_ITERATIONS
        message = (
            f"{cost} repeated pairs after {iterations} steps, of which {target} are certainly "
            "unavoidable"
        )
    sizes = [
        np.bincount(tabs[k][s.members], minlength=s.n_tables)
        for k, s in enumerate(problem.sessions)
    ]
    figures = _largest_spread(tabs, problem.bal, problem.balance, problem.sessions)
    figures.update(_largest_spread(tabs, problem.spread_codes, problem.spread, problem.sessions))

    seating: list[tuple[tuple[str, ...], ...]] = []
    by_session = {s.number: k for k, s in enumerate(problem.sessions)}
    for number in range(1, sessions + 1):
        tab = problem.history[number] if number in problem.history else tabs[by_session[number]]
        n_tables = int(tab.max()) + 1 if (tab >= 0).any() else 0
        if number in by_session:
            n_tables = problem.sessions[by_session[number]].n_tables
        seating.append(
            tuple(tuple(problem.ids[p] for p in np.flatnonzero(tab == t)) for t in range(n_tables))
        )
    final_meet = search.meet if problem.sessions else base_meet
    return TablePlan(
        tables=tuple(seating),
        planned=tuple(s.number for s in problem.sessions),
        status=status,
        message=message,
        repeated_pairs=cost if problem.sessions else _repeats(base_meet),
        unavoidable_repeated_pairs=target,
        random_repeated_pairs=_random_repeats(problem, base_meet, sizes),
        most_meetings=int(final_meet.max(initial=0)),
        spread=figures,
        balance=problem.balance,
        spread_columns=problem.spread,
        solve_time=time.perf_counter() - start,
        iterations=iterations,
        seed=str(seed),
    )


__all__ = [
    "STATUS_ITERATIONS",
    "STATUS_OPTIMAL",
    "STATUS_TIME_LIMIT",
    "TABLES_VERSION",
    "Seat",
    "TablePeople",
    "TablePlan",
    "plan_tables",
]
