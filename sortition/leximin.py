"""LEXIMIN (and MAXIMIN) by column generation over groups of interchangeable people.

LEXIMIN maximises the smallest selection probability, then the second smallest, and so
on [1]_. People of one group (``sortition.groups``) get the same probability in the
unique LEXIMIN solution, so we work with the expected number ``E[x_g]`` selected per
group and ``p_g = E[x_g] / weight_g``.

The default path has two steps. (1) ``relaxed_leximin`` solves LEXIMIN over the LP
relaxation of the panel space: a short sequence of small LPs, an upper bound in the
LEXIMIN order. (2) ``_decompose`` writes that target as a lottery over integer panels
(non-negative least squares with column generation). Only panels on the relaxation's
smallest face through the target can take part (``PanelSpace.face``), so pricing is
restricted to that face. When (2) succeeds, the relaxation certifies the lottery as
LEXIMIN-optimal. When the target is provably not a lottery over
panels (the relaxation is not tight) the staged method below takes over; it also
computes MAXIMIN (its first stage).

Each stage of the staged method solves the restricted master LP over the panels found so far::

    maximise z  s.t.  sum_j lambda_j x_jg / w_g >= z      (groups not fixed yet)
                      sum_j lambda_j x_jg / w_g >= pi_g   (groups fixed earlier)
                      sum_j lambda_j = 1,  lambda >= 0

and prices with its duals ``y``: the panel maximising ``sum_g y_g x_g / w_g`` either
improves the master (it is added) or proves, by weak duality, that
``z* <= max_x sum_g y_g x_g / w_g - sum_{g fixed} pi_g y_g``. When that bound is within
the tolerance of ``z`` the stage is done, and the groups with a positive dual are tight
in every optimum (complementary slackness): they are fixed at ``z``. The first stage is
MAXIMIN.

References
----------
.. [1] B. Flanigan, P. Gölz, A. Gupta, B. Hennig, A. D. Procaccia, "Fair algorithms for
   selecting citizens' assemblies", Nature 596, 548–552 (2021).
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from .errors import SolverError
from .groups import Distribution, Groups
from .nnls import IncrementalNNLS
from .panels import PanelSpace, _new_highs
from .relaxation import relaxed_leximin
from .result import ProgressCallback, SelectionResult

# Largest probability error at which a stalled decomposition still counts as rounding.
_UNATTAINABLE = 1e-3


class _Master:
    """The restricted master LP, kept in one HiGHS model and re-solved warm."""

    def __init__(self, groups: Groups, weight: np.ndarray | None = None) -> None:
        self.groups = groups
        self.n_groups = groups.n_groups
        # Row g reads sum_j lambda_j x_jg / weight_g: group sizes give probabilities;
        # a target vector gives the share of the target reached (decomposition).
        self.weight = groups.weight.astype(float) if weight is None else weight
        self.columns: list[np.ndarray] = []
        self.known: set[bytes] = set()
        self.fixed = np.zeros(self.n_groups, dtype=bool)
        self.floor = np.zeros(self.n_groups)
        solver = _new_highs()
        # Presolve would throw the previous basis away on every re-solve; without it HiGHS
        # restarts from that basis. Dual simplex (1) and primal simplex (4) measured
        # about equal on these masters.
        solver.setOptionValue("presolve", "off")
        solver.setOptionValue("simplex_strategy", 1)
        inf = highspy.kHighsInf
        # Column 0 is z; rows 0..G-1 the groups, row G the convexity constraint.
        solver.addVar(0.0, 1.0)
        solver.changeColCost(0, -1.0)
        for _ in range(self.n_groups):
            solver.addRow(0.0, inf, 1, np.array([0], dtype=np.int32), np.array([-1.0]))
        solver.addRow(1.0, 1.0, 0, np.array([], dtype=np.int32), np.array([]))
        self.solver = solver

    def add(self, counts: np.ndarray) -> bool:
        key = counts.astype(np.int64).tobytes()
        if key in self.known:
            return False
        self.known.add(key)
        self.columns.append(counts.astype(np.int64))
        rows = np.flatnonzero(counts).astype(np.int32)
        values = counts[rows] / self.weight[rows]
        self.solver.addCol(
            0.0,
            0.0,
            highspy.kHighsInf,
            len(rows) + 1,
            np.append(rows, np.int32(self.n_groups)),
            np.append(values, 1.0),
        )
        return True

    def fix(self, groups: np.ndarray, value: float) -> None:
        for g in groups:
            self.solver.changeCoeff(int(g), 0, 0.0)
            self.solver.changeRowBounds(int(g), float(value), highspy.kHighsInf)
        self.fixed[groups] = True
        self.floor[groups] = value

    def solve(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Solve; return z, the duals y (>= 0) of the group rows and the weights lambda."""
        self.solver.run()
        status = self.solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                "solver_failed",
                "the master LP stopped with status " + self.solver.modelStatusToString(status),
                status=self.solver.modelStatusToString(status),
            )
        solution = self.solver.getSolution()
        z = float(solution.col_value[0])
        duals = np.array(solution.row_dual[: self.n_groups])
        # HiGHS reports duals of a minimisation; active lower bounds have duals >= 0.
        y = np.clip(duals, 0.0, None)
        free = ~self.fixed
        total = y[free].sum()
        if total > 0:
            y = y / total
        weights = np.clip(np.array(solution.col_value[1:]), 0.0, None)
        return z, y, weights


def covering_panels(
    space: PanelSpace, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """Panels that together include every group that any panel can include.

    Until every group is in some panel of the master the smallest probability is 0 and
    the duals point at one uncovered group at a time; covering first avoids hundreds of
    such iterations. Returns the panels and the groups no panel can include (forced out).
    """
    n_groups = space.groups.n_groups
    weight = space.groups.weight.astype(float)
    covered = np.zeros(n_groups, dtype=bool)
    panels: list[np.ndarray] = []
    while not covered.all():
        # Uncovered groups weigh 1; a little noise spreads the panels over the rest.
        objective = np.where(covered, 0.0, 1.0) + 1e-3 * rng.random(n_groups) / weight
        # A quick panel usually covers something new; only the exact optimum can prove
        # that nothing is left to cover.
        counts = space.good(objective).counts
        if counts is None:
            break
        new = (counts > 0) & ~covered
        if not new.any():
            counts = space.best(objective, relaxation_first=False).counts
            assert counts is not None
            new = (counts > 0) & ~covered
            if not new.any():
                break
        covered |= counts > 0
        panels.append(counts)
    return panels, np.flatnonzero(~covered)


def _stage(
    master: _Master,
    space: PanelSpace,
    *,
    tolerance: float,
    smoothing: tuple[float, ...],
    deadline: float | None,
) -> tuple[float, np.ndarray, float, int, bool]:
    """Solve one stage to ``tolerance``; return z, the proving dual, the bound, iterations.

    Stabilised column generation (Wentges smoothing): we price at a mix of the best dual
    found so far (the *centre*, the one with the lowest bound) and the master's current
    dual. The master's vertex duals alone jump between a few small groups and the bound
    stalls far above z; the centre starts at the dual proportional to group size, whose
    bound is the mean probability of the free groups.
    """
    people = master.weight
    free = ~master.fixed
    floor = master.floor

    def bound_at(y: np.ndarray) -> tuple[float, np.ndarray]:
        solution = space.best(y / people)
        if solution.counts is None:
            raise SolverError("no_panel", "no panel meets the quotas")
        return solution.bound - float(floor[master.fixed] @ y[master.fixed]), solution.counts

    centre = np.where(free, people, 0.0)
    centre /= centre.sum()
    best, counts = bound_at(centre)
    master.add(counts)
    z, y_master, _ = master.solve()
    iterations = 1
    while best - z > tolerance:
        if deadline is not None and time.perf_counter() > deadline:
            return z, centre, best, iterations, False
        # Several duals between the centre and the master's dual each give a panel; one
        # master solve then takes them all (master solves dominate the time otherwise).
        fixed_master = float(floor[master.fixed] @ y_master[master.fixed])
        added = False
        for mix in smoothing:
            iterations += 1
            y_mixed = mix * centre + (1.0 - mix) * y_master
            upper, counts = bound_at(y_mixed)
            if upper < best:
                best, centre = upper, y_mixed
            gain = float((y_master / people) @ counts) - fixed_master - z
            if gain > 1e-12 and master.add(counts):
                added = True
        if not added:
            # Every mixed dual mispriced: the master's own dual either gives an
            # improving panel or proves z optimal.
            iterations += 1
            upper, counts = bound_at(y_master)
            if upper < best:
                best, centre = upper, y_master
            if not master.add(counts):
                best = min(best, z)
                break
        z, y_master, _ = master.solve()
    return z, centre, best, iterations, True


def leximin(
    space: PanelSpace,
    *,
    tolerance: float = 1e-6,
    time_limit: float | None = None,
    progress: ProgressCallback | None = None,
    rng: np.random.Generator,
    stages: int | None = None,
    algorithm: str = "leximin",
    smoothing: tuple[float, ...] = (0.9, 0.6, 0.3),
    max_iterations: int = 20000,
) -> SelectionResult:
    """LEXIMIN over ``space`` (``stages=1`` gives MAXIMIN); see the module docstring.

    LEXIMIN first computes the optimum over the LP relaxation (``relaxed_leximin``) and
    tries to write it as a lottery over integer panels: one column-generation stage
    instead of one per probability level. When that succeeds (the usual case) the
    relaxation certifies optimality; otherwise the stage-by-stage method takes over,
    starting from the panels found.
    """
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    groups = space.groups
    panels, forced_out = covering_panels(space, rng)
    if not panels:
        raise SolverError("no_panel", "no panel meets the quotas")
    found: list[np.ndarray] = list(panels)
    iterations = 0
    if stages is None:
        target = relaxed_leximin(space, forced_out=forced_out)
        if progress is not None:
            progress(0.05, "relaxed LEXIMIN computed; writing it as a lottery over panels")
        # Only panels on the relaxation's smallest face through the target can carry
        # weight in a lottery whose mean is the target (``PanelSpace.face``).
        restricted = space.face(target)
        start_panels = [p for p in found if restricted.is_feasible(p)]
        more, _ = covering_panels(restricted, rng)
        start_panels.extend(more)
        result = None
        if start_panels:
            result = _decompose(
                restricted, target, start_panels, tolerance=tolerance, deadline=deadline,
                progress=progress, max_iterations=max_iterations,
            )
        if result is None:
            # The staged method below may start from these panels too.
            found.extend(start_panels)
        else:
            weights, iterations, error, converged = result
            distribution = Distribution.canonical(groups, np.array(start_panels), weights)
            relaxed = target / groups.weight
            return SelectionResult(
                algorithm=algorithm,
                status=0 if converged else 1,
                message=(
                    "LEXIMIN solved to tolerance (certified by the LP relaxation)"
                    if converged
                    else f"stopped before convergence: probabilities are within {error:.1e} "
                    "of LEXIMIN"
                ),
                distribution=distribution,
                bound=float(relaxed[relaxed > 0].min()) if (relaxed > 0).any() else 0.0,
                solve_time=time.perf_counter() - start,
                iterations=iterations,
                extra={"columns": len(start_panels),
                       "integer_solves": space.integer_solves + restricted.integer_solves,
                       "method": "relaxation+decomposition", "largest_error": error},
            )
    return _staged(
        space, found, forced_out, start=start, deadline=deadline, tolerance=tolerance,
        progress=progress, stages=stages, algorithm=algorithm, smoothing=smoothing,
        iterations=iterations,
    )


def _decompose(
    space: PanelSpace,
    target: np.ndarray,
    found: list[np.ndarray],
    *,
    tolerance: float,
    deadline: float | None,
    progress: ProgressCallback | None,
    max_iterations: int,
) -> tuple[np.ndarray, int, float, bool] | None:
    """Weights over ``found`` (replaced in place) whose mean panel is ``target``.

    Every panel has the same size, so ``sum(lambda) == 1`` follows from
    ``counts.T @ lambda == target``: the target is a lottery over panels exactly when it
    lies in the cone of the panels. Non-negative least squares over the panels found so
    far gives the nearest point of that cone; the residual ``r`` prices the next panel
    (any panel with ``r @ x > 0`` reduces the residual). Rows are scaled by
    ``1/sqrt(target)`` so that small groups count as much as large ones.

    Each iteration adds an improving panel found quickly (``PanelSpace.good``, which
    falls back on ``PanelSpace.improving``); the pricing problem is solved exactly only to
    prove that none is left. The least squares is updated, not re-solved
    (``IncrementalNNLS``), and keeps only the panels with positive weight, at most about
    one per group.

    Returns (weights, iterations, largest probability error, converged), or None when
    the best panel has ``r @ x <= 0`` while some probability is still off by more than
    ``_UNATTAINABLE``: Farkas' lemma then says the target is no lottery over panels (the
    LP relaxation is not tight).
    """
    weight = space.groups.weight.astype(float)
    scale = 1.0 / np.sqrt(np.maximum(target, 1e-9))
    least_squares: IncrementalNNLS[np.ndarray] = IncrementalNNLS(target * scale)
    for counts in found:
        least_squares.add(counts * scale, key=counts.astype(np.int64))
    error = np.inf
    first_error: float | None = None
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        residual = least_squares.residual / scale
        error = float(np.abs(residual / weight).max())
        if error <= tolerance:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        objective = residual * scale * scale
        # ``good`` only returns a panel that does not improve when none does.
        solution = space.good(objective, incumbents=least_squares.keys)
        assert solution.counts is not None
        if float(objective @ solution.counts) <= 1e-12:
            # No panel reduces the residual: the least squares is at its optimum over
            # all panels. A residual this large means the target is no lottery (Farkas);
            # a tiny one is rounding, and the lottery is returned with its measured error.
            if error > _UNATTAINABLE:
                return None
            break
        if not least_squares.add(solution.counts * scale, key=solution.counts.astype(np.int64)):
            # The panel adds no direction to the least squares: rounding has stalled it.
            if error > _UNATTAINABLE:
                return None
            break
        if progress is not None and iteration % 25 == 0:
            first_error = error if first_error is None else first_error
            done = np.log(first_error / error) / np.log(first_error / tolerance)
            progress(
                float(np.clip(0.05 + 0.95 * done, 0.05, 0.99)),
                f"{len(least_squares.columns)} panels; largest probability error {error:.1e}",
            )
    weights = least_squares.weights
    found[:] = list(least_squares.keys)
    return weights / weights.sum(), iteration, error, error <= tolerance


def _staged(
    space: PanelSpace,
    found: list[np.ndarray],
    forced_out: np.ndarray,
    *,
    start: float,
    deadline: float | None,
    tolerance: float,
    progress: ProgressCallback | None,
    stages: int | None,
    algorithm: str,
    smoothing: tuple[float, ...],
    iterations: int,
) -> SelectionResult:
    """Stage-by-stage LEXIMIN (the module docstring), or MAXIMIN with ``stages=1``."""
    groups = space.groups
    master = _Master(groups)
    for panel in found:
        master.add(panel)
    if len(forced_out):
        master.fix(forced_out, 0.0)
    people = master.weight
    total_people = people.sum()
    bound: float | None = None
    status, message = 0, f"{algorithm.upper()} solved to tolerance"
    stage = 0
    # Fixing a group whose proving dual is y_g costs it at most gap / y_g of probability
    # (approximate complementary slackness), so stages are solved tighter than the
    # tolerance and only groups with a clearly positive dual are fixed.
    stage_tolerance = tolerance * 1e-2
    while not master.fixed.all():
        stage += 1
        z, centre, upper, used, finished = _stage(
            master, space, tolerance=stage_tolerance, smoothing=smoothing, deadline=deadline
        )
        iterations += used
        if stage == 1:
            bound = upper
        if not finished:
            status, message = 1, "time limit reached; returning the best distribution so far"
            break
        free = ~master.fixed
        threshold = max(1e-4, 1e-3 * float(centre[free].max()))
        tight = np.flatnonzero(free & (centre >= threshold))
        if len(tight) == 0:
            tight = np.array([int(np.flatnonzero(free)[np.argmax(centre[free])])])
        master.fix(tight, z)
        if progress is not None:
            done = people[master.fixed].sum() / total_people
            progress(
                float(done),
                f"stage {stage}: {int(free.sum() - len(tight))} groups left, "
                f"probability level {z:.4f}",
            )
        if stages is not None and stage >= stages:
            break
    _, _, weights = master.solve()
    distribution = Distribution.canonical(groups, np.array(master.columns), weights)
    return SelectionResult(
        algorithm=algorithm,
        status=status,
        message=message,
        distribution=distribution,
        bound=bound,
        solve_time=time.perf_counter() - start,
        iterations=iterations,
        extra={
            "stages": stage,
            "columns": len(master.columns),
            "integer_solves": space.integer_solves,
        },
    )
