"""The integer programme that seats a session the construction could not, or names the
family of rules that makes it impossible."""

from __future__ import annotations

import numpy as np

from ..errors import InfeasibleError, SolverError
from .problem import FloatArray, IntArray, Problem, Session, Units, excess, size_excess


def exact_seating(
    units: Units,
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
        ok = (excess(base_cnt, lo, hi) == 0).all() and (size_excess(base_size, small) == 0).all()
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


def _single_units(units: Units, session: Session, bal: IntArray, n_codes: int) -> Units:
    """Every present person a unit of their own, without pins or keep-apart pairs."""
    members = session.members
    prof = np.zeros((members.size, n_codes), dtype=np.int64)
    for c in range(bal.shape[1]):
        prof[np.arange(members.size), bal[members, c]] += 1
    return Units(
        [members[i : i + 1] for i in range(members.size)],
        prof,
        np.ones(members.size, dtype=np.int64),
        np.full(members.size, -1, dtype=np.int64),
        [],
    )


def diagnose(problem: Problem, session: Session, rng: np.random.Generator, limit: float) -> None:
    """Raise the error naming the first family of rules that cannot hold in ``session``."""
    units = session.units
    args = (session.n_tables, session.small, session.lo, session.hi, rng, limit)
    number = session.number
    if exact_seating(_single_units(units, session, problem.bal, problem.n_codes), *args) is None:
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
    if exact_seating(Units(units.members, units.prof, units.size, free, []), *args) is None:
        raise InfeasibleError(
            "together_breaks_balance",
            f"session {number}: the keep-together groups cannot be seated at balanced tables",
            session=number,
        )
    if exact_seating(Units(units.members, units.prof, units.size, units.pin, []), *args) is None:
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
