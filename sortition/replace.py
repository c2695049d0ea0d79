"""Replacing panel members who drop out while every quota keeps holding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    members fixed, and ``draw`` the seeded draw from it; ``description`` is that lottery as
    ``sortition.draw`` replays it (published, so that anyone can draw it again).
    """

    replacements: tuple[str, ...]
    released: tuple[str, ...]
    selection: SelectionResult
    draw: DrawResult
    description: dict[str, Any] | None = None


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
    description = selection.distribution.to_dict(sub_pool.ids, quotas.categories, quotas.values)
    return ReplacementResult(result.selected, released, selection, result, description)


def swap_keeps_quotas(instance: Instance, panel: Sequence[int], out: int, into: int) -> bool:
    """Whether ``panel`` with ``into`` instead of ``out`` still meets every quota."""
    incidence = instance.incidence
    counts = incidence[:, list(panel)].sum(axis=1) - incidence[:, out] + incidence[:, into]
    quotas = instance.quotas
    return bool(np.all(counts >= quotas.lower) and np.all(counts <= quotas.upper))


def next_reserve(
    instance: Instance,
    *,
    panel: Sequence[int],
    out: int,
    reserves: Sequence[int],
    excluded: set[int],
) -> int | None:
    """The reserve who takes the seat of ``out`` on ``panel`` (person indices), if any.

    The first reserve in order who is not ``excluded`` (on the panel now or before, or no
    longer in the pool), does not live with anyone else on the panel, and whose swap for
    ``out`` keeps every quota. ``None`` when no reserve fits; the seat then goes to
    :func:`replace_among`.
    """
    households = (
        instance.pool.households
        if instance.pool.households is not None
        else np.arange(instance.pool.size)
    )
    others = [p for p in panel if p != out]
    taken = {int(households[p]) for p in others}
    for candidate in reserves:
        if candidate in excluded or candidate in others or int(households[candidate]) in taken:
            continue
        if swap_keeps_quotas(instance, panel, out, candidate):
            return candidate
    return None


def replace_among(
    instance: Instance,
    *,
    panel: Sequence[int],
    dropped: Sequence[int],
    available: set[int],
    seed: str,
    algorithm: str = "leximin",
) -> ReplacementResult:
    """Replacements for ``dropped``, drawn fairly among the ``available`` people only.

    Everyone on ``panel`` who did not drop out stays (all count as confirmed). The pool is
    narrowed to the panel and ``available`` (people who were never on the panel and are
    still in the pool), in the pool's order, before :func:`replace` draws.
    """
    pool = instance.pool
    on_panel = set(panel)
    keep = [i for i in range(pool.size) if i in available or i in on_panel]
    sub_pool = Pool(
        tuple(pool.ids[i] for i in keep),
        pool.features[keep],
        None if pool.households is None else pool.households[keep],
    )
    sub_instance = Instance(sub_pool, instance.quotas, instance.panel_size)
    position = {person: i for i, person in enumerate(keep)}
    leaving = set(dropped)
    return replace(
        sub_instance,
        panel=[position[p] for p in panel],
        dropped=[position[p] for p in dropped],
        confirmed=[position[p] for p in panel if p not in leaving],
        seed=seed,
        algorithm=algorithm,
    )
