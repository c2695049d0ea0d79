"""The inputs checked and indexed: value codes, sessions, units and their rules.

Everything that can be refused before any seating is tried is refused here (an
:class:`~sortition.errors.InputError` for malformed input, an
:class:`~sortition.errors.InfeasibleError` for rules that contradict each other within
one session).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import InfeasibleError, InputError
from ..model import normalize
from .people import Seat, TablePeople

#: Called now and then with (fraction done or None, English message); the signature of
#: ``sortition.result.ProgressCallback``, not imported so that this package stays light.
ProgressCallback = Callable[[float | None, str], None]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

INF = np.iinfo(np.int64).max // 4


@dataclass
class Units:
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
class Session:
    """One session to plan: who is present, how many tables and the balance bounds."""

    number: int
    members: IntArray
    n_tables: int
    small: int  # the size of a small table; n_big tables seat one more
    n_big: int
    lo: IntArray  # per balance code, the fewest people per table
    hi: IntArray
    units: Units
    unit_of: IntArray  # (people,) unit of each person, -1 when absent


@dataclass
class Problem:
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
    sessions: list[Session]
    apart: list[tuple[int, int]]
    together: list[tuple[int, int]]


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
    problem: Problem, number: int, members: IntArray, pins: Mapping[int, int]
) -> Session:
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

    units = Units(unit_members, prof, size, unit_pin, list(unit_apart))
    return Session(number, members, n_tables, small, n_big, lo, hi, units, unit_of)


def prepare(
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
) -> Problem:
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
    problem = Problem(
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


# --- how far a seating is from the rules ------------------------------------------------


def excess(counts: IntArray, lo: IntArray, hi: IntArray) -> IntArray:
    """How far counts (last axis: codes) are outside [lo, hi], summed over codes."""
    result: IntArray = (np.maximum(counts - hi, 0) + np.maximum(lo - counts, 0)).sum(axis=-1)
    return result


def size_excess(size: IntArray, small: int) -> IntArray:
    result: IntArray = np.maximum(size - (small + 1), 0) + np.maximum(small - size, 0)
    return result


def keeps_balance(
    cnt: IntArray, lo: IntArray, hi: IntArray, x: IntArray, ti: IntArray,
    y: IntArray | None, tj: IntArray,
) -> BoolArray:  # fmt: skip
    """Which moves keep every table's count of every balance value within [lo, hi].

    Rows are people with balance codes ``x`` (people, balance columns) at tables ``ti``;
    columns are people with codes ``y`` at tables ``tj`` to swap with, or, when ``y`` is
    None, the tables ``tj`` to move to. ``cnt`` holds the counts per table and code.
    """
    down = (cnt - lo) >= 1
    up_by_code = ((hi - cnt) >= 1).T
    ok = np.ones((ti.size, tj.size), dtype=bool)
    for c in range(x.shape[1]):
        xc = x[:, c]
        if y is None:
            ok &= down[ti, xc][:, None] & up_by_code[xc][:, tj]
            continue
        yc = y[:, c]
        differs = xc[:, None] != yc[None, :]
        if not differs.any():
            continue
        allowed = up_by_code[xc][:, tj] & up_by_code[yc][:, ti].T
        allowed &= down[ti, xc][:, None] & down[tj, yc][None, :]
        ok &= ~differs | allowed
    return ok
