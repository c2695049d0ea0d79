"""The panel space: its faces and the quick pricing used by the decomposition."""

from __future__ import annotations

import numpy as np
import pytest
from sortition_helpers import feasible_panels
from test_leximin import random_instance

from sortition import Instance, build_groups
from sortition.panels import PanelSpace


def all_panels(instance: Instance) -> tuple[PanelSpace, np.ndarray]:
    """The panel space and every distinct feasible panel as group counts (brute force)."""
    groups = build_groups(instance)
    space = PanelSpace(instance, groups)
    panels = feasible_panels(instance, limit=100_000)
    counts = np.unique(
        np.array([groups.counts_of_panel(np.array(p)) for p in panels]), axis=0
    )
    assert all(space.is_feasible(c) for c in counts)
    return space, counts


@pytest.mark.parametrize("seed", range(6))
def test_face_holds_exactly_the_panels_that_meet_the_tight_rows(seed: int) -> None:
    space, panels = all_panels(random_instance(seed))
    values = panels @ space.matrix.T
    # A point on a face: the mean of the panels with some quota row at its lower bound.
    for row in range(1, space.matrix.shape[0]):
        on_face = values[:, row] == space.row_lower[row]
        if 0 < on_face.sum() < len(panels):
            break
    else:
        pytest.skip("no quota row is tight on only some panels")
    face = space.face(panels[on_face].mean(axis=0))
    assert all(face.is_feasible(p) for p in panels[on_face])
    assert not any(face.is_feasible(p) for p in panels[~on_face])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("margin", [1e-3, -1e-3])
def test_quick_pricing_finds_an_improving_panel_exactly_when_one_exists(
    seed: int, margin: float
) -> None:
    """``good`` and ``improving`` must never miss an improving panel, or column generation
    would stop early; and what they return must be a real panel."""
    space, panels = all_panels(random_instance(seed))
    rng = np.random.default_rng(seed)
    objective = rng.normal(size=space.groups.n_groups)
    # Every panel has the same size, so a constant shift moves every value alike: after
    # it the best panel scores exactly ``margin``.
    objective -= (float((panels @ objective).max()) - margin) / space.panel_size
    incumbents = panels[rng.choice(len(panels), size=min(3, len(panels)), replace=False)]
    for solution in (space.good(objective, incumbents=incumbents), space.improving(objective)):
        assert solution.counts is not None and space.is_feasible(solution.counts)
        value = float(objective @ solution.counts)
        if margin > 0:
            assert value > 0
        else:
            assert value <= 1e-9
