"""The greedy random procedure used by selection tools before 2021 ("legacy").

At each step it looks at the quotas whose minimum is not met yet, takes the one with the
highest ratio of seats still needed to people still available, and draws a random
available person with that value (any available person once all minimums are met).
People who would break a maximum, and the housemates of selected people, become
unavailable; a run that gets stuck starts again. Its selection probabilities have no
closed form: they are estimated from repeated runs and marked as estimates.
"""

from __future__ import annotations

import time

import numpy as np

from .errors import SolverError
from .groups import Distribution, Groups
from .model import Instance
from .result import ProgressCallback, SelectionResult


def _one_run(
    instance: Instance,
    person_rows: np.ndarray,
    people_of_row: list[np.ndarray],
    housemates: list[np.ndarray],
    rng: np.random.Generator,
) -> np.ndarray | None:
    quotas = instance.quotas
    lower, upper = quotas.lower, quotas.upper
    n = instance.pool.size
    available = np.ones(n, dtype=bool)
    available_count = np.array([len(p) for p in people_of_row], dtype=np.int64)
    count = np.zeros(quotas.n_rows, dtype=np.int64)
    chosen: list[int] = []

    def remove(person: int) -> None:
        if available[person]:
            available[person] = False
            available_count[person_rows[person]] -= 1

    for _ in range(instance.panel_size):
        need = lower - count
        wanting = np.flatnonzero(need > 0)
        if len(wanting):
            with np.errstate(divide="ignore"):
                ratio = np.where(
                    available_count[wanting] > 0,
                    need[wanting] / np.maximum(available_count[wanting], 1),
                    np.inf,
                )
            best = wanting[ratio == ratio.max()]
            row = int(rng.choice(best))
            candidates = people_of_row[row][available[people_of_row[row]]]
        else:
            candidates = np.flatnonzero(available)
        if len(candidates) == 0:
            return None
        person = int(rng.choice(candidates))
        chosen.append(person)
        count[person_rows[person]] += 1
        remove(person)
        for mate in housemates[person]:
            remove(int(mate))
        for row in person_rows[person]:
            if count[row] >= upper[row]:
                for other in people_of_row[row][available[people_of_row[row]]]:
                    remove(int(other))
    if np.any(count < lower):
        return None
    return np.array(chosen, dtype=np.int64)


def legacy(
    instance: Instance,
    groups: Groups,
    *,
    runs: int,
    rng: np.random.Generator,
    progress: ProgressCallback | None = None,
    time_limit: float | None = None,
    max_attempts_per_run: int = 100,
) -> SelectionResult:
    """Run the legacy procedure ``runs`` times; the panels found form the distribution."""
    start = time.perf_counter()
    incidence = instance.incidence
    person_rows = incidence.T.nonzero()
    rows_of: list[list[int]] = [[] for _ in range(instance.pool.size)]
    for person, row in zip(*person_rows, strict=True):
        rows_of[int(person)].append(int(row))
    person_row_array = np.array(rows_of, dtype=np.int64)
    people_of_row = [np.flatnonzero(incidence[r]) for r in range(instance.quotas.n_rows)]
    members_of: dict[int, list[int]] = {}
    for person, household in enumerate(groups.person_household):
        members_of.setdefault(int(household), []).append(person)
    housemates = [
        np.array([m for m in members_of[int(groups.person_household[p])] if m != p], dtype=int)
        for p in range(instance.pool.size)
    ]
    panels = []
    status, message = 0, "legacy procedure run; probabilities are estimates"
    for run in range(runs):
        for _ in range(max_attempts_per_run):
            panel = _one_run(instance, person_row_array, people_of_row, housemates, rng)
            if panel is not None:
                break
        else:
            raise SolverError(
                "legacy_stuck",
                f"the legacy procedure found no panel in {max_attempts_per_run} attempts",
                attempts=max_attempts_per_run,
            )
        panels.append(groups.counts_of_panel(panel))
        if progress is not None and (run + 1) % max(runs // 20, 1) == 0:
            progress((run + 1) / runs, f"legacy run {run + 1} of {runs}")
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status, message = 1, f"time limit reached after {run + 1} legacy runs"
            break
    counts = np.array(panels)
    distribution = Distribution.canonical(groups, counts, np.ones(len(counts)))
    return SelectionResult(
        algorithm="legacy",
        status=status,
        message=message,
        distribution=distribution,
        estimated=True,
        solve_time=time.perf_counter() - start,
        iterations=len(panels),
    )
