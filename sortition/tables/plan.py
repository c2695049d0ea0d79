"""The entry point: :func:`plan_tables`."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .construct import seat_session
from .people import Seat, TablePeople
from .problem import ProgressCallback, prepare
from .reseat import SessionSearch
from .result import (
    STATUS_ITERATIONS,
    STATUS_OPTIMAL,
    STATUS_TIME_LIMIT,
    TABLES_VERSION,
    TablePlan,
    check_plan,
    largest_spread,
    random_repeats,
    unavoidable,
)
from .search import Search, count_repeats, same_table

#: Search steps: per person when a session is seated against the sessions before it,
#: and for the search over all sessions at the end (a base plus per person seated).
SESSION_STEPS = 25
GLOBAL_STEPS = 1000
GLOBAL_STEPS_PER_SEAT = 4


def seed_rng(seed: int | str) -> np.random.Generator:
    """A generator from the seed's SHA-256, so ``5`` and ``"5"`` give the same plan."""
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise InputError("bad_seed", "the seed must be a whole number or a text")
    digest = hashlib.sha256(f"{TABLES_VERSION}\x1f{seed}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


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
    rng = seed_rng(seed)
    problem = prepare(
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
        base_meet += same_table(tab)

    if progress is not None:
        progress(0.0, "seating each session")
    meet = base_meet.copy()
    planned_tabs = []
    exact_limit = 30.0 if time_limit is None else max(5.0, float(time_limit))
    apart_matrix = None
    if problem.apart:
        apart_matrix = np.zeros((n, n), dtype=bool)
        for a, b in problem.apart:
            apart_matrix[a, b] = apart_matrix[b, a] = True
    iterations = 0
    for k, session in enumerate(problem.sessions):
        tab = seat_session(problem, session, meet >= 1, rng, exact_limit)
        members = session.members
        known = meet >= 1
        if (known & same_table(tab)).any():
            reseat = SessionSearch(session, problem.bal, apart_matrix, rng)
            done = reseat.run(
                tab[members],
                known[np.ix_(members, members)],
                int(effort * SESSION_STEPS * members.size),
                deadline,
            )
            tab[members] = done.tab
            iterations += done.iterations
        meet += same_table(tab)
        planned_tabs.append(tab)
        if progress is not None:
            progress(None, f"session {k + 1} of {len(problem.sessions)} seated")
    tabs = np.array(planned_tabs, dtype=np.int64).reshape(len(problem.sessions), n)

    search = Search(problem, tabs, base_meet, rng)
    target = unavoidable(problem, base_meet)
    people_seatings = sum(s.members.size for s in problem.sessions)
    max_iter = int(effort * (GLOBAL_STEPS + GLOBAL_STEPS_PER_SEAT * people_seatings))
    used, timed_out = search.reduce_repeats(max_iter, target, deadline, progress)
    iterations += used
    if not timed_out:
        spread_iter = int(effort * (500 + 4 * people_seatings))
        used, timed_out = search.reduce_spread(spread_iter, deadline)
        iterations += used
    tabs = search.tab
    check_plan(problem, tabs)

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
    figures = largest_spread(tabs, problem.bal, problem.balance, problem.sessions)
    figures.update(largest_spread(tabs, problem.spread_codes, problem.spread, problem.sessions))

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
        repeated_pairs=cost if problem.sessions else count_repeats(base_meet),
        unavoidable_repeated_pairs=target,
        random_repeated_pairs=random_repeats(problem, base_meet, sizes),
        most_meetings=int(final_meet.max(initial=0)),
        spread=figures,
        balance=problem.balance,
        spread_columns=problem.spread,
        solve_time=time.perf_counter() - start,
        iterations=iterations,
        seed=str(seed),
    )
