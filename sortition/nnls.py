"""Non-negative least squares whose columns arrive one at a time.

Column generation solves ``min ||M w - b||, w >= 0`` after every new column. Solving it
from scratch (``scipy.optimize.nnls``) costs ``O(G n^2)`` per solve for ``G`` rows and
``n`` columns, which dominated the decomposition on pools of a few thousand people.
Here the active-set method of Lawson and Hanson [1]_ is warm-started from the previous
solution and the QR factorisation of the passive columns is updated (``qr_insert``,
``qr_delete``) instead of recomputed, so adding a column costs ``O(G n)``.

References
----------
.. [1] C. L. Lawson and R. J. Hanson, *Solving Least Squares Problems*, ch. 23,
   Prentice-Hall (1974); SIAM reprint (1995).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np
from scipy.linalg import qr, qr_delete, qr_insert, solve_triangular

# Updates accumulate rounding; refactorise from scratch after this many of them.
_REFACTOR_EVERY = 200

#: What the caller attaches to each column (a panel, an index) to recognise it later.
Key = TypeVar("Key")


class IncrementalNNLS(Generic[Key]):
    """``min ||M w - b||`` over ``w >= 0`` for a growing set of columns of ``M``.

    Only the passive columns (positive weight) are kept: a column that drops to weight
    zero is discarded, as column generation would price it again if it were needed.
    """

    def __init__(self, b: np.ndarray) -> None:
        self.b = np.asarray(b, dtype=float)
        self.columns: list[np.ndarray] = []
        self.keys: list[Key] = []
        self.weights = np.zeros(0)
        self._q: np.ndarray | None = None
        self._r: np.ndarray | None = None
        self._updates = 0
        self.residual = self.b.copy()

    def add(self, column: np.ndarray, key: Key) -> bool:
        """Add a column and re-solve; False if it is (numerically) in the others' span."""
        column = np.asarray(column, dtype=float)
        position = len(self.columns)
        if self._q is None:
            norm = float(np.linalg.norm(column))
            if norm == 0.0:
                return False
            self._q = (column / norm)[:, None]
            self._r = np.array([[norm]])
        else:
            # A column in the span of the others adds no direction: it cannot lower the
            # residual, and keeping it would make the triangular solves unstable.
            if position >= len(self.b):
                return False
            try:
                q, r = qr_insert(
                    self._q, self._r, column, position, which="col", check_finite=False
                )
            except np.linalg.LinAlgError:
                return False
            if abs(r[position, position]) <= 1e-10 * max(1.0, float(np.linalg.norm(column))):
                return False
            self._q, self._r = q, r
        self.columns.append(column)
        self.keys.append(key)
        self.weights = np.append(self.weights, 0.0)
        self._updates += 1
        if self._updates >= _REFACTOR_EVERY:
            self._refactor()
        self._solve()
        return True

    def _refactor(self) -> None:
        self._q, self._r = qr(
            np.array(self.columns).T, mode="economic", check_finite=False
        )
        self._updates = 0

    def _remove(self, indices: np.ndarray) -> None:
        for index in sorted((int(i) for i in indices), reverse=True):
            q, r = qr_delete(
                self._q, self._r, index, 1, which="col", check_finite=False
            )
            # With as many columns as rows the factorisation is square, and deleting from
            # it returns a full one (R with a zero last row): keep the economic part.
            width = r.shape[1]
            self._q, self._r = q[:, :width], r[:width, :]
            del self.columns[index]
            del self.keys[index]
        self.weights = np.delete(self.weights, indices)
        if not self.columns:
            self._q = self._r = None

    def _solve(self) -> None:
        # Lawson–Hanson's inner loop: move from the current feasible weights towards the
        # unconstrained least-squares solution on the passive set, dropping the columns
        # whose weight reaches zero on the way.
        self.residual = self.b.copy()
        while self.columns:
            assert self._q is not None and self._r is not None
            projected = self._q.T @ self.b
            z = solve_triangular(self._r, projected, check_finite=False)
            negative = z <= 0.0
            if not negative.any():
                self.weights = z
                # The residual of a least-squares solution is b minus its projection.
                self.residual = self.b - self._q @ projected
                break
            w = self.weights
            step = w[negative] / (w[negative] - z[negative])
            alpha = float(np.clip(step.min(), 0.0, 1.0))
            self.weights = w + alpha * (z - w)
            gone = np.flatnonzero(self.weights <= 1e-15 * max(1.0, float(w.max(initial=0.0))))
            if len(gone) == 0:
                gone = np.flatnonzero(negative)[np.argmin(step)][None]
            self._remove(gone)
