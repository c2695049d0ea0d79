"""LEXIMIN over the LP relaxation of the panel space: a target and an upper bound.

Over the continuous relaxation ``P`` of the group-count polytope (``sortition.panels``)
LEXIMIN is a sequence of plain linear programmes with one variable per group: maximise
the smallest ``x_g / w_g`` of the groups not fixed yet, fix the groups whose constraint
has a positive dual (they are tight in every optimum), repeat. The integer hull of the
panels lies inside ``P``, so the result is an upper bound in the LEXIMIN order; when the
relaxed target can be written as a lottery over integer panels, it *is* the LEXIMIN
optimum, and no stage-by-stage column generation is needed.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy.sparse import csc_array, hstack, identity, vstack

from .errors import SolverError
from .panels import PanelSpace, _maximise_lp, _new_highs

_DUAL_TOLERANCE = 1e-9


def relaxed_leximin(space: PanelSpace, *, forced_out: np.ndarray | None = None) -> np.ndarray:
    """Expected group counts of LEXIMIN over the LP relaxation of ``space``."""
    groups = space.groups
    n_groups = groups.n_groups
    weight = groups.weight.astype(float)
    inf = highspy.kHighsInf
    # Columns: x_0..x_{G-1}, z. Rows: the panel space, then x_g - w_g z >= 0 per group.
    panel_rows = hstack([space.matrix, csc_array((space.matrix.shape[0], 1))])
    floor_rows = hstack([identity(n_groups, format="csc"), csc_array(-weight.reshape(-1, 1))])
    matrix = csc_array(vstack([panel_rows, floor_rows]))
    lp = _maximise_lp(
        matrix,
        np.append(np.zeros(n_groups), 1.0),
        (np.zeros(n_groups + 1), np.append(space.col_upper, 1.0)),
        (
            np.concatenate([space.row_lower, np.zeros(n_groups)]),
            np.concatenate([space.row_upper, np.full(n_groups, inf)]),
        ),
        integer=False,
    )
    solver = _new_highs()
    solver.setOptionValue("presolve", "off")
    solver.passModel(lp)
    first = space.matrix.shape[0]
    fixed = np.zeros(n_groups, dtype=bool)

    def fix(selected: np.ndarray, level: float) -> None:
        for g in selected:
            solver.changeCoeff(first + int(g), n_groups, 0.0)
            solver.changeRowBounds(first + int(g), level * weight[g] * (1 - 1e-12), inf)
        fixed[selected] = True

    if forced_out is not None and len(forced_out):
        fix(np.asarray(forced_out), 0.0)
    while not fixed.all():
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                "solver_failed",
                "the relaxed LEXIMIN LP stopped with status "
                + solver.modelStatusToString(solver.getModelStatus()),
            )
        solution = solver.getSolution()
        level = float(solution.col_value[n_groups])
        duals = np.abs(np.array(solution.row_dual[first:]))
        free = ~fixed
        tight = np.flatnonzero(free & (duals > _DUAL_TOLERANCE))
        if len(tight) == 0:
            tight = np.flatnonzero(free)
        fix(tight, level)
    solver.run()
    return np.array(solver.getSolution().col_value[:n_groups])
