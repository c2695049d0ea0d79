"""Non-negative least squares whose columns arrive one at a time.

Column generation solves ``min ||M w - b||, w >= 0`` after every new column. Solving it
from scratch (``scipy.optimize.nnls``) costs ``O(G n^2)`` per solve for ``G`` rows and
``n`` columns, which dominated the decomposition on pools of a few thousand people.
Here the active-set method of Lawson and Hanson [1]_ is warm-started from the previous
solution and the QR factorisation of the passive columns is updated instead of
recomputed (a new column by classical Gram-Schmidt with reorthogonalisation [2]_, a
column leaving by ``qr_delete``), so adding a column costs ``O(G n)``.

References
----------
.. [1] C. L. Lawson and R. J. Hanson, *Solving Least Squares Problems*, ch. 23,
   Prentice-Hall (1974); SIAM reprint (1995).
.. [2] L. Giraud, J. Langou, M. Rozložník, "The loss of orthogonality in the Gram-Schmidt
   orthogonalization process", Comput. Math. Appl. 50, 1069–1075 (2005).
"""

from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np
from scipy.linalg import qr, qr_delete, solve_triangular

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
        # Q (rows x n) and R (n x n) live in the leading part of buffers with room to grow,
        # so that adding a column writes one column instead of copying Q.
        self._q_buffer = np.zeros((len(self.b), 0), order="F")
        self._r_buffer = np.zeros((0, 0), order="F")
        self._n = 0
        self._updates = 0
        self.residual = self.b.copy()

    @property
    def _q(self) -> np.ndarray:
        return self._q_buffer[:, : self._n]

    @property
    def _r(self) -> np.ndarray:
        return self._r_buffer[: self._n, : self._n]

    def add(self, column: np.ndarray, key: Key) -> bool:
        """Add a column and re-solve; False if it is (numerically) in the others' span."""
        column = np.asarray(column, dtype=float)
        norm = float(np.linalg.norm(column))
        if norm == 0.0 or self._n >= len(self.b):
            return False
        # Classical Gram-Schmidt, twice ("twice is enough" [2]_): as accurate as SciPy's
        # qr_insert, and 7-15x quicker at these sizes because Q is not copied.
        q = self._q
        first = q.T @ column
        rest = column - q @ first
        second = q.T @ rest
        rest -= q @ second
        length = float(np.linalg.norm(rest))
        # A column in the span of the others adds no direction: it cannot lower the
        # residual, and keeping it would make the triangular solves unstable.
        if length <= 1e-10 * max(1.0, norm):
            return False
        n = self._n
        self._reserve(n + 1)
        self._q_buffer[:, n] = rest / length
        self._r_buffer[:n, n] = first + second
        self._r_buffer[n, : n + 1] = 0.0
        self._r_buffer[n, n] = length
        self._n = n + 1
        self.columns.append(column)
        self.keys.append(key)
        self.weights = np.append(self.weights, 0.0)
        self._updates += 1
        if self._updates >= max(_REFACTOR_EVERY, self._n):
            self._refactor()
        self._solve()
        return True

    def _reserve(self, size: int) -> None:
        capacity = self._r_buffer.shape[0]
        if size <= capacity:
            return
        capacity = max(size, 2 * capacity, 16)
        q_buffer = np.zeros((len(self.b), capacity), order="F")
        r_buffer = np.zeros((capacity, capacity), order="F")
        q_buffer[:, : self._n] = self._q
        r_buffer[: self._n, : self._n] = self._r
        self._q_buffer, self._r_buffer = q_buffer, r_buffer

    def _refactor(self) -> None:
        q, r = qr(np.array(self.columns).T, mode="economic", check_finite=False)
        self._q_buffer[:, : self._n] = q
        self._r_buffer[: self._n, : self._n] = r
        self._updates = 0

    def _remove(self, indices: np.ndarray) -> None:
        for index in sorted((int(i) for i in indices), reverse=True):
            if index < self._n - 1:
                q, r = qr_delete(self._q, self._r, index, 1, which="col", check_finite=False)
                # With as many columns as rows the factorisation is square, and deleting
                # from it returns a full one (R with a zero last row): keep the economic
                # part.
                width = self._n - 1
                self._q_buffer[:, :width] = q[:, :width]
                self._r_buffer[:width, :width] = r[:width, :]
            # The last column leaves the others' factorisation as it was.
            self._n -= 1
            del self.columns[index]
            del self.keys[index]
        self.weights = np.delete(self.weights, indices)

    def _solve(self) -> None:
        # Lawson–Hanson's inner loop: move from the current feasible weights towards the
        # unconstrained least-squares solution on the passive set, dropping the columns
        # whose weight reaches zero on the way.
        self.residual = self.b.copy()
        while self.columns:
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
