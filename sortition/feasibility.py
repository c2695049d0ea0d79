"""Feasibility check and diagnosis: can the quotas be met, and if not, what to relax."""

from __future__ import annotations

import numpy as np

from .groups import Groups, build_groups
from .model import Instance
from .panels import PanelSpace
from .result import Conflict, Diagnosis, Relaxation


def check(instance: Instance, *, groups: Groups | None = None) -> Diagnosis:
    """Whether any panel meets every quota; if not, why, and the smallest relaxation.

    Parameters
    ----------
    instance : the pool, the quotas and the panel size.
    groups : the pool's groups, when the caller has them already.

    Returns
    -------
    Diagnosis
        ``feasible``; for an infeasible instance the ``conflicts`` an organiser can
        act on and ``relaxations``: the quota changes with the fewest seats moved in
        total (within ``min_flex``/``max_flex`` where the quotas give them, else within
        0 and the panel size) after which a panel exists; empty when no change within those
        limits helps. For a feasible instance, the
        people whom the quotas force into every panel or out of every panel.
    """
    groups = build_groups(instance) if groups is None else groups
    space = PanelSpace(instance, groups)
    probe = space.best(np.zeros(groups.n_groups), relaxation_first=False)
    if probe.counts is not None:
        forced_out, forced_in = forced_groups(space)
        return Diagnosis(
            feasible=True,
            forced_in=_people_of(groups, forced_in),
            forced_out=_people_of(groups, forced_out),
        )
    conflicts = _simple_conflicts(instance, groups)
    relaxations, excluded = relaxation_for_everyone(instance, groups)
    if not conflicts and relaxations:
        # No single quota is impossible on its own: the ones that must move conflict.
        involved = tuple((r.category, r.value, r.bound) for r in relaxations)
        conflicts.append(
            Conflict(
                "quota_combination",
                "these quotas cannot all be met together: "
                + ", ".join(f"{c} {v} ({b})" for c, v, b in involved),
                involved,
            )
        )
    return Diagnosis(
        feasible=False,
        conflicts=tuple(conflicts),
        relaxations=tuple(relaxations),
        excluded_after_relaxation=_people_of(groups, excluded),
    )


def _people_of(groups: Groups, selected_groups: np.ndarray) -> tuple[int, ...]:
    return tuple(sorted(p for g in selected_groups for p in groups.group_members[int(g)]))


def forced_groups(space: PanelSpace) -> tuple[np.ndarray, np.ndarray]:
    """Groups that no panel includes, and groups every panel includes in full.

    One integer programme per round: maximise the number of candidates a panel takes
    (or minimise, for "forced in"); every round either clears some candidates or proves
    the rest forced.
    """
    groups = space.groups
    full = groups.weight
    out_candidates = np.ones(groups.n_groups, dtype=bool)
    # Only a group that can be taken whole (one household per member) can be forced in.
    in_candidates = full == space.col_upper
    while out_candidates.any():
        solution = space.best(out_candidates.astype(float), relaxation_first=False)
        assert solution.counts is not None
        taken = out_candidates & (solution.counts > 0)
        in_candidates &= solution.counts == full
        if not taken.any():
            break
        out_candidates &= ~taken
    while in_candidates.any():
        solution = space.best(-in_candidates.astype(float) / full, relaxation_first=False)
        assert solution.counts is not None
        short = in_candidates & (solution.counts < full)
        if not short.any():
            break
        in_candidates &= ~short
    return np.flatnonzero(out_candidates), np.flatnonzero(in_candidates)


def _simple_conflicts(instance: Instance, groups: Groups) -> list[Conflict]:
    """Reasons an organiser sees at a glance: sums of one category, shortages."""
    quotas = instance.quotas
    k = instance.panel_size
    conflicts: list[Conflict] = []
    n_households = len(np.unique(groups.person_household))
    if n_households < k:
        conflicts.append(
            Conflict(
                "too_few_households",
                f"the pool has only {n_households} households for a panel of {k}",
                params={"households": n_households, "panel_size": k},
            )
        )
    for c, category in enumerate(quotas.categories):
        rows = quotas.row_index[c]
        low = int(quotas.lower[list(rows)].sum())
        high = int(quotas.upper[list(rows)].sum())
        if low > k:
            conflicts.append(
                Conflict(
                    "category_min_sum_above_panel",
                    f"{category}: the minimums add up to {low}, more than the panel size {k}",
                    tuple((category, v, "min") for v in quotas.values[c]),
                    {"category": category, "sum": low, "panel_size": k},
                )
            )
        if high < k:
            conflicts.append(
                Conflict(
                    "category_max_sum_below_panel",
                    f"{category}: the maximums add up to {high}, less than the panel size {k}",
                    tuple((category, v, "max") for v in quotas.values[c]),
                    {"category": category, "sum": high, "panel_size": k},
                )
            )
        for v, value in enumerate(quotas.values[c]):
            row = rows[v]
            has_value = instance.pool.features[:, c] == v
            available = len(np.unique(groups.person_household[has_value]))
            if quotas.lower[row] > available:
                conflicts.append(
                    Conflict(
                        "too_few_people",
                        f"{category} {value}: min {quotas.lower[row]} but only {available} "
                        "people (in different households) in the pool have this value",
                        ((category, value, "min"),),
                        {
                            "category": category,
                            "value": value,
                            "min": int(quotas.lower[row]),
                            "available": available,
                        },
                    )
                )
    return conflicts


def smallest_relaxation(instance: Instance, groups: Groups) -> list[Relaxation]:
    """The quota changes moving the fewest seats in total that make a panel possible.

    An integer programme over the group counts with a slack below every min and above
    every max, minimising the total slack. Slacks stay within ``min_flex``/``max_flex``
    where the quotas give them (else within 0 and the panel size): the organiser set
    those limits, so no change beyond them is suggested. Returns an empty list when no
    relaxation within the limits helps.
    """
    relaxations = _relax(instance, groups, use_flex=True)
    return [] if relaxations is None else relaxations


#: At most this many groups are required on a panel of their own per round, and this many
#: rounds are tried, before the plain smallest relaxation is taken (naming who is left out).
_MAX_NEW_GROUPS = 40
_MAX_ROUNDS = 6


def relaxation_for_everyone(
    instance: Instance, groups: Groups
) -> tuple[list[Relaxation], np.ndarray]:
    """The smallest relaxation after which everyone can be on some panel, where one exists.

    The smallest relaxation alone may leave some people out of every panel (lowering one
    minimum can make the minimums add up to the panel size, so people who answered
    "prefer not to say" get no chance). So: take the smallest relaxation; if it leaves
    groups out, ask again for the smallest relaxation under which each of those groups is
    on at least one panel (a panel of its own per group, all under the same relaxed
    quotas), and repeat with whoever is still left out. When no relaxation within the
    flex limits includes everyone, the smallest one is returned with the groups it leaves
    out.

    Returns
    -------
    (relaxations, excluded groups): ``excluded`` is empty when everyone has a chance.
    """
    smallest = _relax(instance, groups, use_flex=True)
    if smallest is None:
        return [], np.zeros(0, dtype=np.int64)
    best, excluded = smallest, _left_out(instance, groups, smallest)
    required: list[int] = []
    for _round in range(_MAX_ROUNDS):
        if not len(excluded):
            return best, excluded
        new = [int(g) for g in excluded if int(g) not in required][:_MAX_NEW_GROUPS]
        if not new:
            break
        required += new
        found = _relax(instance, groups, use_flex=True, include=required)
        if found is None:
            break
        best, excluded = found, _left_out(instance, groups, found)
    if len(excluded):
        # No relaxation within the limits gives everyone a chance: the smallest one, and
        # who it leaves out, so that the organiser sees it.
        return smallest, _left_out(instance, groups, smallest)
    return best, excluded


def _left_out(instance: Instance, groups: Groups, relaxations: list[Relaxation]) -> np.ndarray:
    """The groups that no panel includes once ``relaxations`` are applied."""
    lower = instance.quotas.lower.copy()
    upper = instance.quotas.upper.copy()
    rows = {(q.category, q.value): r for r, q in enumerate(instance.quotas.ordered)}
    for relaxation in relaxations:
        row = rows[(relaxation.category, relaxation.value)]
        if relaxation.bound == "min":
            lower[row] = relaxation.new
        else:
            upper[row] = relaxation.new
    space = PanelSpace(instance, groups, lower=lower, upper=upper)
    if space.best(np.zeros(groups.n_groups), relaxation_first=False).counts is None:
        return np.arange(groups.n_groups)  # pragma: no cover - a relaxation is feasible
    out, _in = forced_groups(space)
    return out


def _relax(
    instance: Instance, groups: Groups, *, use_flex: bool, include: list[int] | None = None
) -> list[Relaxation] | None:
    # Imported here: scipy.optimize alone takes longer to import than a feasible check
    # takes to run, and only an infeasible instance gets this far.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import bmat, csr_array, hstack, identity, vstack

    quotas = instance.quotas
    k = instance.panel_size
    space = PanelSpace(instance, groups)
    n_groups = groups.n_groups
    n_rows = quotas.n_rows
    ordered = quotas.ordered
    below = np.array(
        [
            q.min - (q.min_flex if use_flex and q.min_flex is not None else 0)
            for q in ordered
        ],
        dtype=float,
    )
    above = np.array(
        [
            (q.max_flex if use_flex and q.max_flex is not None else k) - q.max
            for q in ordered
        ],
        dtype=float,
    )
    below = np.clip(below, 0, None)
    above = np.clip(above, 0, None)
    # Rows of the panel space: [size, quota rows..., shared classes...]. Each quota row
    # becomes two: "count + slack_below >= lower" and "count - slack_above <= upper", so
    # that lower - below <= count <= upper + above, for every panel that shares the slacks.
    matrix = space.matrix
    quota_part = matrix[1 : 1 + n_rows]
    eye = identity(n_rows, format="csr")
    empty = csr_array((n_rows, n_rows))
    minimum_rows = hstack([quota_part, eye, empty]).tocsr()
    maximum_rows = hstack([quota_part, empty, -eye]).tocsr()
    zeros = csr_array((1, 2 * n_rows))
    size_row = hstack([matrix[:1], zeros]).tocsr()
    other = matrix[1 + n_rows :]
    parts = [size_row, minimum_rows, maximum_rows]
    if other.shape[0]:
        parts.append(hstack([other, csr_array((other.shape[0], 2 * n_rows))]).tocsr())
    full = vstack(parts).tocsr()
    unbounded = np.full(n_rows, np.inf)
    lower = np.concatenate(
        [[k], quotas.lower, -unbounded, space.row_lower[1 + n_rows :]]
    )
    upper = np.concatenate(
        [[k], unbounded, quotas.upper, space.row_upper[1 + n_rows :]]
    )
    # Columns: [one panel, slacks] and then, per group that must be includable, a panel of
    # its own (taking that group at least once) under the same slacks.
    copies = list(include or [])
    n_columns = n_groups * (1 + len(copies)) + 2 * n_rows
    if copies:
        panel_part = full[:, :n_groups]
        slack_part = full[:, n_groups:]
        blocks = [[panel_part] + [None] * len(copies) + [slack_part]]
        for c in range(len(copies)):
            row = [None] * (1 + len(copies)) + [slack_part]
            row[1 + c] = panel_part
            blocks.append(row)
        full = bmat(blocks, format="csr")
        lower = np.tile(lower, 1 + len(copies))
        upper = np.tile(upper, 1 + len(copies))
    column_lower = np.zeros(n_columns)
    for c, g in enumerate(copies):
        column_lower[n_groups * (1 + c) + g] = 1
    column_upper = np.concatenate([np.tile(space.col_upper, 1 + len(copies)), below, above])
    if np.any(column_lower > column_upper):
        return None
    cost = np.concatenate([np.zeros(n_groups * (1 + len(copies))), np.ones(2 * n_rows)])
    result = milp(
        cost,
        constraints=LinearConstraint(full, lower, upper),
        integrality=np.ones(n_columns),
        bounds=Bounds(column_lower, column_upper),
    )
    if result.x is None:
        return None
    slack = np.rint(result.x[n_groups * (1 + len(copies)) :]).astype(np.int64)
    relaxations = []
    for r, quota in enumerate(ordered):
        if slack[r] > 0:
            relaxations.append(
                Relaxation(quota.category, quota.value, "min", quota.min, quota.min - int(slack[r]))
            )
        if slack[n_rows + r] > 0:
            relaxations.append(
                Relaxation(
                    quota.category,
                    quota.value,
                    "max",
                    quota.max,
                    quota.max + int(slack[n_rows + r]),
                )
            )
    return relaxations
