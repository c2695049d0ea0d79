"""Construction: one session seated so that every hard rule holds (step 1).

The tables are filled one by one with the floor or the ceiling of what is left; when
that fails, a greedy placement is repaired by a tabu search on the broken rules, and
finally the integer programme of :mod:`.exact` decides.
"""

from __future__ import annotations

import numpy as np

from .exact import diagnose, exact_seating
from .problem import INF, BoolArray, IntArray, Problem, Session, Units, excess, size_excess


class Builder:
    """Places the units of one session at tables; see the package docstring, step 1."""

    def __init__(
        self,
        units: Units,
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
                        excess(new_cnt, self.lo, self.hi)
                        + size_excess(new_size, self.small) * 2
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
        return excess(self.cnt, self.lo, self.hi) + size_excess(self.size, self.small) + apart

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
        base_a = excess(self.cnt[a], lo, hi) + size_excess(self.size[a : a + 1], small)[0]
        left_a = (
            excess(self.cnt[a] - p, lo, hi)
            + size_excess(self.size[a : a + 1] - g, small)[0]
            - self.apart_at[unit, a]
        )
        # Moving the unit to each table.
        gain_t = (
            excess(self.cnt + p, lo, hi)
            - excess(self.cnt, lo, hi)
            + size_excess(self.size + g, small)
            - size_excess(self.size, small)
            + self.apart_at[unit]
        )
        move_delta = left_a - base_a + gain_t
        move_delta[a] = INF
        move_ok = tabu[unit] <= it
        # Swapping it with every movable unit at another table.
        others = np.flatnonzero((u.pin < 0) & (self.table != a))
        tb = self.table[others]
        pw, gw = u.prof[others], u.size[others]
        cnt_a = self.cnt[a] - p + pw
        cnt_b = self.cnt[tb] - pw + p
        swap_delta = (
            excess(cnt_a, lo, hi)
            - excess(self.cnt[a], lo, hi)
            + excess(cnt_b, lo, hi)
            - excess(self.cnt[tb], lo, hi)
            + size_excess(self.size[a] - g + gw, small)
            - size_excess(self.size[a : a + 1], small)[0]
            + size_excess(self.size[tb] - gw + g, small)
            - size_excess(self.size[tb], small)
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


def seat_session(
    problem: Problem,
    session: Session,
    known: BoolArray,
    rng: np.random.Generator,
    exact_limit: float,
) -> IntArray:
    """Table (from 0) of each person in one session, -1 for the absent."""
    tab = np.full(problem.n, -1, dtype=np.int64)
    units = session.units
    if units.count == 0:
        return tab
    builder = Builder(
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
        table = exact_seating(
            units, session.n_tables, session.small, session.lo, session.hi, rng, exact_limit
        )
        if table is None:
            diagnose(problem, session, rng, exact_limit)
            raise AssertionError("unreachable")  # pragma: no cover
    for unit, members in enumerate(units.members):
        tab[members] = table[unit]
    return tab
