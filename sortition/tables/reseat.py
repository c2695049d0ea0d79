"""Re-seating one session while every other session stays as it is.

With the other sessions fixed, the repeats a session adds are the pairs at one of its
tables that have met elsewhere: the edges of a fixed "met elsewhere" graph that fall
inside its tables. Seating one session well is then a balanced graph partitioning
problem, searched here by a tabu search on swaps (and moves from a large table to a
small one) that keep every hard rule. Only this session's counts change during the
search (per person and table, how many at the table they have met elsewhere), so a step
costs one row-by-column evaluation and two column updates, not an update of every
session (about half the time of a step of the search over all sessions).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .problem import INF, BoolArray, IntArray, Session, keeps_balance


@dataclass
class Reseated:
    """The best seating found (table per member) and its repeats within the session."""

    tab: IntArray
    cost: int
    iterations: int


class SessionSearch:
    """Tabu search on one session against a fixed graph of who met whom elsewhere.

    Arrays are indexed by the session's members (``session.members``), not by person.
    """

    def __init__(
        self,
        session: Session,
        bal: IntArray,
        apart: BoolArray | None,
        rng: np.random.Generator,
    ) -> None:
        members = session.members
        self.m = members.size
        self.T = session.n_tables
        self.small = session.small
        self.lo = session.lo
        self.hi = session.hi
        self.bal = bal[members]
        self.rng = rng
        unit = session.unit_of[members]
        self.movable = (session.units.size[unit] == 1) & (session.units.pin[unit] < 0)
        self.free = np.flatnonzero(self.movable)
        self.apart = None if apart is None else apart[np.ix_(members, members)].astype(np.int64)

    def run(
        self, tab: IntArray, met: BoolArray, max_iter: int, deadline: float | None = None
    ) -> Reseated:
        """Search from ``tab`` (table per member, keeping every rule); ``met[i, j]``
        says whether members i and j met in another session. Stops after ``max_iter``
        steps, without a repeat left, or at ``deadline`` (``time.perf_counter()``)."""
        m, T = self.m, self.T
        rng = self.rng
        G = met.astype(np.int64)
        np.fill_diagonal(G, 0)
        tab = tab.copy()
        onehot = np.zeros((m, T), dtype=np.int64)
        onehot[np.arange(m), tab] = 1
        K = G @ onehot
        cnt = np.zeros((T, self.lo.size), dtype=np.int64)
        for c in range(self.bal.shape[1]):
            np.add.at(cnt, (tab, self.bal[:, c]), 1)
        size = np.bincount(tab, minlength=T).astype(np.int64)
        A = self.apart
        at = None if A is None else A @ onehot
        cost = int(K[np.arange(m), tab].sum()) // 2
        best, best_tab, last = cost, tab.copy(), 0
        tabu = np.zeros((m, T), dtype=np.int64)
        cols = self.free
        stall = 100 + 2 * m
        it = 0
        while it < max_iter and best > 0:
            it += 1
            if it % 16 == 0 and deadline is not None and time.perf_counter() > deadline:
                break
            own = K[np.arange(m), tab]
            rows = cols[own[cols] > 0]
            if not rows.size:
                break
            ti, tj = tab[rows], tab[cols]
            kr, kc = K[rows], K[cols]
            own_r, own_c = own[rows], own[cols]
            delta = kr[:, tj] + kc[:, ti].T - own_r[:, None] - own_c[None, :]
            delta -= 2 * G[np.ix_(rows, cols)]
            bal = self.bal[rows]
            ok = ti[:, None] != tj[None, :]
            ok &= keeps_balance(cnt, self.lo, self.hi, bal, ti, self.bal[cols], tj)
            if A is not None and at is not None:
                pair = A[np.ix_(rows, cols)]
                ok &= (at[rows][:, tj] - pair == 0) & (at[cols][:, ti].T - pair == 0)
            free = (tabu[rows][:, tj] <= it) & (tabu[cols][:, ti].T <= it)
            target = np.broadcast_to(tj[None, :], delta.shape)
            partner = np.broadcast_to(cols[None, :], delta.shape)
            small_tables = np.flatnonzero(size == self.small)
            large = size[ti] == self.small + 1
            if small_tables.size and large.any():
                m_delta = kr[:, small_tables] - own_r[:, None]
                m_ok = large[:, None] & keeps_balance(
                    cnt, self.lo, self.hi, bal, ti, None, small_tables
                )
                if at is not None:
                    m_ok &= at[rows][:, small_tables] == 0
                delta = np.concatenate([delta, m_delta], axis=1)
                ok = np.concatenate([ok, m_ok], axis=1)
                free = np.concatenate([free, tabu[rows][:, small_tables] <= it], axis=1)
                target = np.concatenate(
                    [target, np.broadcast_to(small_tables[None, :], m_delta.shape)], axis=1
                )
                partner = np.concatenate(
                    [partner, np.full(m_delta.shape, -1, dtype=np.int64)], axis=1
                )
            allowed = ok & (free | (cost + delta < best))
            if not allowed.any():
                if it - last > stall:
                    break
                continue
            score = np.where(allowed, delta, INF)
            ties = np.flatnonzero(score == score.min())
            pick = int(ties[rng.integers(ties.size)])
            r = int(rows[pick // delta.shape[1]])
            j = int(partner.flat[pick])
            b = int(target.flat[pick])
            a = int(tab[r])
            tenure = 2 + int(rng.integers(0, 4))
            tabu[r, a] = it + tenure
            self._move(r, a, b, tab, K, G, cnt, size, A, at)
            if j >= 0:
                tabu[j, b] = it + tenure
                self._move(j, b, a, tab, K, G, cnt, size, A, at)
            cost += int(delta.flat[pick])
            if cost < best:
                best, best_tab, last = cost, tab.copy(), it
            elif it - last > stall:
                tab[:] = best_tab
                onehot[:] = 0
                onehot[np.arange(m), tab] = 1
                K = G @ onehot
                cnt[:] = 0
                for c in range(self.bal.shape[1]):
                    np.add.at(cnt, (tab, self.bal[:, c]), 1)
                size = np.bincount(tab, minlength=T).astype(np.int64)
                at = None if A is None else A @ onehot
                cost = best
                cost += self._kick(tab, K, G, cnt, size, A, at, max(2, m // 20))
                last = it
        return Reseated(best_tab, best, it)

    def _move(
        self, p: int, a: int, b: int, tab: IntArray, K: IntArray, G: IntArray, cnt: IntArray,
        size: IntArray, A: IntArray | None, at: IntArray | None,
    ) -> None:  # fmt: skip
        tab[p] = b
        K[:, a] -= G[:, p]
        K[:, b] += G[:, p]
        cnt[a, self.bal[p]] -= 1
        cnt[b, self.bal[p]] += 1
        size[a] -= 1
        size[b] += 1
        if A is not None and at is not None:
            at[:, a] -= A[:, p]
            at[:, b] += A[:, p]

    def _kick(
        self, tab: IntArray, K: IntArray, G: IntArray, cnt: IntArray, size: IntArray,
        A: IntArray | None, at: IntArray | None, swaps: int,
    ) -> int:  # fmt: skip
        """Random swaps of people with the same balance values; returns the change in
        repeats."""
        change = 0
        free = self.free
        if free.size < 2:
            return 0
        for _ in range(swaps):
            i, j = (int(x) for x in self.rng.choice(free, 2, replace=False))
            a, b = int(tab[i]), int(tab[j])
            if a == b or (self.bal[i] != self.bal[j]).any():
                continue
            if A is not None and at is not None:
                if at[i, b] - A[i, j] or at[j, a] - A[i, j]:
                    continue
            change += int(K[i, b] - K[i, a] + K[j, a] - K[j, b] - 2 * G[i, j])
            self._move(i, a, b, tab, K, G, cnt, size, A, at)
            self._move(j, b, a, tab, K, G, cnt, size, A, at)
        return change
