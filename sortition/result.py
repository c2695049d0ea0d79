"""Result objects of the sortition engine (see ``find_distribution`` and ``check``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .groups import Distribution

#: Called now and then during long runs with (fraction done or None, English message).
ProgressCallback = Callable[[float | None, str], None]

ALGORITHMS = ("leximin", "maximin", "nash", "legacy")


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """A distribution over panels found by one of the algorithms.

    Attributes
    ----------
    algorithm : one of ``ALGORITHMS``.
    status : 0 optimal (within ``tolerance``), 1 stopped by the time or iteration limit
        with the best distribution found so far (``message`` says which).
    message : English description of the status.
    distribution : the lottery over panels; ``distribution.probabilities`` holds each
        person's selection probability.
    estimated : True when the probabilities are estimates from repeated runs (legacy).
    bound : for leximin and maximin, an upper bound on the smallest probability that any
        distribution can give the people who can be selected at all (people whom the
        quotas exclude from every panel have probability 0 whatever the algorithm); the
        result's minimum over those people is within ``tolerance`` of it when
        ``status == 0``.
    solve_time : seconds spent.
    iterations : solver iterations (pricing problems solved, or legacy runs).
    """

    algorithm: str
    status: int
    message: str
    distribution: Distribution
    estimated: bool = False
    bound: float | None = None
    solve_time: float = 0.0
    iterations: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status == 0

    @property
    def probabilities(self) -> np.ndarray:
        return self.distribution.probabilities


@dataclass(frozen=True)
class Relaxation:
    """One change to a quota that (with the others) makes a panel possible."""

    category: str
    value: str
    bound: str  # "min" or "max"
    old: int
    new: int

    def __str__(self) -> str:
        return f"{self.category} {self.value}: {self.bound} {self.old} → {self.new}"


@dataclass(frozen=True)
class Conflict:
    """A reason why the quotas cannot all be met, in terms an organiser understands.

    ``code`` is one of ``category_min_sum_above_panel`` (the minima of one category add up
    to more than the panel size), ``category_max_sum_below_panel``, ``too_few_people``
    (a minimum above the number of people, or households, with that value),
    ``quota_combination`` (a combination of quotas across categories, listed in
    ``quotas`` as (category, value, "min"/"max")).
    """

    code: str
    message: str
    quotas: tuple[tuple[str, str, str], ...] = ()
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """What ``check`` found.

    Attributes
    ----------
    feasible : whether at least one panel meets every quota (and the household rule).
    conflicts : when infeasible, the reasons.
    relaxations : when infeasible, the smallest set of quota changes (fewest seats moved
        in total, within ``min_flex``/``max_flex`` where given) after which a panel exists;
        empty when no relaxation within the flex limits helps.
    forced_in, forced_out : indices of people selected in every panel / in none.
    excluded_after_relaxation : when infeasible, the people whom no panel includes even
        after the relaxations (empty when the relaxation gives everyone a chance, which it
        does whenever some relaxation within the flex limits can).
    """

    feasible: bool
    conflicts: tuple[Conflict, ...] = ()
    relaxations: tuple[Relaxation, ...] = ()
    forced_in: tuple[int, ...] = ()
    forced_out: tuple[int, ...] = ()
    excluded_after_relaxation: tuple[int, ...] = ()
