"""The incremental least squares against SciPy's NNLS."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

from sortition.nnls import IncrementalNNLS


@pytest.mark.parametrize("shape", [(25, 60), (6, 40), (4, 4)])
@pytest.mark.parametrize("seed", range(5))
def test_adding_the_best_column_until_none_helps_reaches_scipys_optimum(
    seed: int, shape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = shape
    matrix = rng.integers(0, 3, (rows, cols)).astype(float)
    used = min(10, cols)
    b = matrix[:, :used] @ rng.random(used) + 0.2 * rng.random(rows)
    solver = IncrementalNNLS(b)
    for _ in range(2000):
        # Column generation in miniature: the column with the largest gradient enters.
        gains = matrix.T @ solver.residual
        best = int(np.argmax(gains))
        if gains[best] <= 1e-10 or not solver.add(matrix[:, best], key=best):
            break
    expected, norm = nnls(matrix, b)
    assert np.linalg.norm(solver.residual) == pytest.approx(norm, abs=1e-8)
    assert (solver.weights > 0).all()
    rebuilt = matrix[:, list(solver.keys)] @ solver.weights
    assert np.allclose(b - rebuilt, solver.residual, atol=1e-9)


def test_a_column_in_the_span_is_refused() -> None:
    solver = IncrementalNNLS(np.array([1.0, 2.0, 3.0]))
    assert solver.add(np.array([1.0, 0.0, 0.0]), key=None)
    assert solver.add(np.array([0.0, 1.0, 0.0]), key=None)
    assert not solver.add(np.array([2.0, 3.0, 0.0]), key=None)
    assert len(solver.columns) == 2


def test_an_exact_fit_leaves_no_residual() -> None:
    solver = IncrementalNNLS(np.array([1.0, 2.0]))
    solver.add(np.array([1.0, 0.0]), key=None)
    solver.add(np.array([0.0, 1.0]), key=None)
    assert np.allclose(solver.residual, 0.0)
    assert np.allclose(solver.weights, [1.0, 2.0])


def test_a_square_factorisation_stays_usable_after_a_column_leaves() -> None:
    # As many passive columns as rows, then one column must go: this crashed a LEXIMIN
    # run on a benchmark pool ("expected square matrix").
    solver = IncrementalNNLS(np.array([1.0, 1.0, -1.0]))
    solver.add(np.array([1.0, 0.0, 0.0]), key=None)
    solver.add(np.array([0.0, 1.0, 0.0]), key=None)
    solver.add(np.array([1.0, 1.0, 1.0]), key=None)  # would need a negative weight: it leaves again
    assert len(solver.columns) == 2
    assert solver.add(np.array([0.0, 0.0, 1.0]), key=None) in (True, False)
    assert np.allclose(solver.residual, [0.0, 0.0, -1.0])
