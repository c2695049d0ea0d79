"""The search for fewer repeated pairs (step 2) and a better spread (step 3)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .problem import INF, BoolArray, IntArray, Problem, ProgressCallback, keeps_balance


def same_table(tab: IntArray) -> BoolArray:
    same: BoolArray = (tab[:, None] == tab[None, :]) & (tab >= 0)[:, None]
    np.fill_diagonal(same, False)
    return same


def count_repeats(meet: npt.NDArray[np.int32]) -> int:
    return int(np.maximum(meet.astype(np.int64) - 1, 0).sum() // 2)


@dataclass
class Moves:
    """Candidate moves, as arrays of one shape: person, swap partner (-1 for a plain move),
    target table, change in repeated pairs, and whether the hard rules allow it."""

    person: IntArray
    partner: IntArray
    target: IntArray
    delta: IntArray
    ok: BoolArray
    free: BoolArray | None = None  # not tabu


class Search:
    """State of step 2 and 3: the seating of the planned sessions and its counts.

    ``meet[p, q]`` counts the sessions p and q share a table (history included);
    ``known[s, p, t]`` how many people at table t of planned session s have met p in
    another session (so that p joining or leaving t changes the repeated pairs by that
    much).
    """

    def __init__(
        self, problem: Problem, tabs: IntArray, base_meet: npt.NDArray[np.int32],
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
            meet += same_table(self.tab[s])
        self.meet = meet
        self.known = np.zeros((P, n, Tm), dtype=np.int32)
        self.cnt = np.zeros((P, Tm, self.problem.n_codes), dtype=np.int64)
        self.size = np.zeros((P, Tm), dtype=np.int64)
        self.scnt = np.zeros((P, Tm, self.problem.n_spread_codes), dtype=np.int64)
        self.apart_at = np.zeros((P, n, Tm), dtype=np.int64)
        for s in range(P):
            t = self.tab[s]
            present = np.flatnonzero(t >= 0)
            other = (meet - same_table(t)) >= 1
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
        self.cost = count_repeats(meet)

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

    def evaluate(self, s: int, rows: IntArray, it: int | None = None) -> Moves:
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
        cnt, lo, hi, bal = self.cnt[s], self.lo[s], self.hi[s], self.bal[rows]
        ok = ti[:, None] != tj[None, :]
        ok &= keeps_balance(cnt, lo, hi, bal, ti, self.bal[cols], tj)
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
            m_ok = large[:, None] & keeps_balance(cnt, lo, hi, bal, ti, None, tables)
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
        return Moves(person, partner, target, delta.astype(np.int64), ok, free)

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

    def best_move(self, s: int, moves: Moves, allowed: BoolArray) -> int:
        """Flat index of the allowed move with the fewest repeated pairs; among equals
        the one that spreads the spread columns best, then at random."""
        score = np.where(allowed, moves.delta, INF)
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
            c = self._pick(np.where(allowed, delta * (1 << 20) + gain, INF))
            i = int(moves.person.flat[c])
            self.apply(s, i, int(moves.partner.flat[c]), int(moves.target.flat[c]))
            self.cost += int(delta.flat[c])
        return it, False
