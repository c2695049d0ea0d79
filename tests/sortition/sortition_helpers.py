"""Helpers for the sortition tests: small CSV fixtures and a brute-force engine.

The brute-force engine lets the CLI plumbing be tested independently of the real
solvers; the tests that need the real engine skip (saying why) while it is a stub.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from sortition import (
    Diagnosis,
    Distribution,
    InfeasibleError,
    Instance,
    Pool,
    Quota,
    Quotas,
    SelectionResult,
    build_groups,
)


def write(path: Path, text: str | bytes) -> Path:
    """Write a fixture file exactly as given (bytes, or text encoded as UTF-8)."""
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def make_instance(
    people: Sequence[Mapping[str, str]],
    quotas: Sequence[tuple[str, str, int, int]],
    panel_size: int,
    *,
    household: str | None = None,
) -> Instance:
    """An Instance from one dict per person (with an ``id``) and (category, value, min, max)."""
    q = Quotas(tuple(Quota(c, v, lo, hi) for c, v, lo, hi in quotas))
    keys = [p[household] for p in people] if household else None
    pool = Pool.from_rows([p["id"] for p in people], people, q, household_keys=keys)
    return Instance(pool, q, panel_size)


def feasible_panels(instance: Instance, limit: int = 200) -> list[tuple[int, ...]]:
    """Up to ``limit`` panels meeting every quota and the household rule (brute force)."""
    incidence = instance.incidence.astype(np.int64)
    lower, upper = instance.quotas.lower, instance.quotas.upper
    households = instance.pool.households
    panels = []
    for panel in itertools.combinations(range(instance.pool.size), instance.panel_size):
        if households is not None and len(set(households[list(panel)])) < len(panel):
            continue
        counts = incidence[:, list(panel)].sum(axis=1)
        if np.all(counts >= lower) and np.all(counts <= upper):
            panels.append(panel)
            if len(panels) >= limit:
                break
    return panels


def fake_find_distribution(instance: Instance, **options: object) -> SelectionResult:
    """Uniform lottery over the first feasible panels found by brute force."""
    panels = feasible_panels(instance)
    if not panels:
        raise InfeasibleError(
            "infeasible", "no panel meets the quotas", diagnosis=fake_check(instance)
        )
    groups = build_groups(instance)
    counts = np.array([groups.counts_of_panel(np.array(p)) for p in panels])
    distribution = Distribution.canonical(groups, counts, np.ones(len(panels)))
    algorithm = str(options.get("algorithm", "leximin"))
    return SelectionResult(algorithm, 0, "fake", distribution, solve_time=0.01)


def fake_check(instance: Instance, **options: object) -> Diagnosis:
    from sortition import Conflict, Relaxation

    if feasible_panels(instance, limit=1):
        return Diagnosis(feasible=True)
    quota = instance.quotas.ordered[0]
    return Diagnosis(
        feasible=False,
        conflicts=(Conflict("quota_combination", "the quotas conflict"),),
        relaxations=(Relaxation(quota.category, quota.value, "min", quota.min, 0),),
    )


def _engine_ready(function_name: str) -> bool:
    """Whether the lead's implementation of ``function_name`` has landed."""
    import sortition

    instance = make_instance(
        [{"id": str(i), "g": "a" if i % 2 else "b"} for i in range(4)],
        [("g", "a", 1, 1), ("g", "b", 1, 1)],
        2,
    )
    try:
        if function_name == "find_distribution":
            sortition.find_distribution(instance)
        elif function_name == "check":
            sortition.check(instance)
        else:
            return True
    except NotImplementedError:
        return False
    return True


ENGINE_READY = _engine_ready("find_distribution")
CHECK_READY = _engine_ready("check")

needs_engine = pytest.mark.skipif(
    not ENGINE_READY,
    reason="sortition.select.find_distribution is still a stub (NotImplementedError)",
)
needs_check = pytest.mark.skipif(
    not CHECK_READY, reason="sortition.feasibility.check is still a stub (NotImplementedError)"
)


def _replace_ready() -> bool:
    import sortition

    instance = make_instance(
        [{"id": str(i), "g": "a" if i % 2 else "b"} for i in range(6)],
        [("g", "a", 1, 1), ("g", "b", 1, 1)],
        2,
    )
    try:
        sortition.replace(instance, panel=[0, 1], dropped=[0], seed="x")
    except NotImplementedError:
        return False
    except Exception:  # noqa: BLE001 - landed, even if this probe is not a valid call
        return True
    return True


REPLACE_READY = ENGINE_READY and _replace_ready()
needs_replace = pytest.mark.skipif(
    not REPLACE_READY, reason="sortition.replace.replace is still a stub (NotImplementedError)"
)
