"""Replacing panel members who drop out while every quota keeps holding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .draw import DrawResult
from .errors import InfeasibleError, InputError
from .model import Instance, Pool
from .result import SelectionResult


@dataclass(frozen=True, eq=False)
class ReplacementResult:
    """Replacements for the members who dropped out.

    ``replacements`` are ids in draw order; ``released`` are unconfirmed members who had
    to make room (empty unless replacing the dropped members alone could not meet the
    quotas); ``selection`` is the LEXIMIN result over the remaining pool with the kept
    members fixed, and ``draw`` the seeded draw from it.
    """

    replacements: tuple[str, ...]
    released: tuple[str, ...]
    selection: SelectionResult
    draw: DrawResult


def replace(
    instance: Instance,
    *,
    panel: Sequence[int],
    dropped: Sequence[int],
    confirmed: Sequence[int] = (),
    seed: str,
    algorithm: str = "leximin",
) -> ReplacementResult:
    """Choose replacements for ``dropped`` members of ``panel`` (person indices).

    Every other member stays and counts towards the quotas; the replacements are drawn
    with ``seed`` from a fair (``algorithm``) distribution over the people who are not
    on the panel, did not drop out and do not live with a member who stays. Only if that
    cannot meet the quotas are the unconfirmed members drawn again too (the confirmed
    ones always stay).

    Raises
    ------
    InputError : ``dropped`` is empty, or ``dropped`` or ``confirmed`` are not on the
        panel, or overlap.
    InfeasibleError : no replacement meets the quotas, even with the unconfirmed
        members released.
    """
    panel_set = {int(p) for p in panel}
    dropped_set = {int(p) for p in dropped}
    confirmed_set = {int(p) for p in confirmed}
    if not dropped_set <= panel_set:
        raise InputError("dropped_not_on_panel", "some people who dropped out are not on the panel")
    if not confirmed_set <= panel_set or confirmed_set & dropped_set:
        raise InputError(
            "confirmed_not_on_panel",
            "confirmed members must be on the panel and must not have dropped out",
        )
    if not dropped_set:
        raise InputError("nobody_dropped", "nobody dropped out, so nobody needs replacing")
    kept = sorted(panel_set - dropped_set)
    try:
        return _replace_around(instance, kept, panel_set | dropped_set, seed, algorithm, ())
    except InfeasibleError:
        if set(kept) == confirmed_set:
            raise
    released = tuple(sorted(panel_set - dropped_set - confirmed_set))
    return _replace_around(
        instance,
        sorted(confirmed_set),
        confirmed_set | dropped_set,
        seed,
        algorithm,
        tuple(instance.pool.ids[p] for p in released),
    )


def _replace_around(
    instance: Instance,
    kept: list[int],
    excluded: set[int],
    seed: str,
    algorithm: str,
    released: tuple[str, ...],
) -> ReplacementResult:
    from .select import draw, find_distribution

    pool = instance.pool
    quotas = instance.quotas
    seats = instance.panel_size - len(kept)
    taken = instance.incidence[:, kept].sum(axis=1) if kept else np.zeros(quotas.n_rows, int)
    lower = np.maximum(quotas.lower - taken, 0)
    upper = quotas.upper - taken
    if np.any(upper < 0) or seats <= 0:
        raise InfeasibleError("replacement_infeasible", "the members who stay exceed a maximum")
    households = (
        pool.households if pool.households is not None else np.arange(pool.size)
    )
    blocked = {int(households[p]) for p in kept}
    candidates = [
        p for p in range(pool.size) if p not in excluded and int(households[p]) not in blocked
    ]
    if len(candidates) < seats:
        raise InfeasibleError(
            "replacement_infeasible", "too few people are left in the pool to replace"
        )
    sub_pool = Pool(
        tuple(pool.ids[p] for p in candidates),
        pool.features[candidates],
        None if pool.households is None else pool.households[candidates],
    )
    sub_instance = Instance(sub_pool, quotas.with_bounds(lower, upper), seats)
    selection = find_distribution(sub_instance, algorithm=algorithm)
    result = draw(selection, sub_pool.ids, seed)
    return ReplacementResult(result.selected, released, selection, result)
