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


def one_swap_apart(panels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The panels that differ from ``counts`` by moving a single seat."""
    return panels[np.abs(panels - counts).sum(axis=1) == 2]


@pytest.mark.parametrize("seed", range(8))
def test_swap_search_repairs_a_rounding_and_climbs_to_a_local_optimum(seed: int) -> None:
    """From any vector of the right size the swap search returns a real panel that no
    single move improves (checked against every panel), or None only when it is stuck."""
    space, panels = all_panels(random_instance(seed))
    rng = np.random.default_rng(seed)
    for _ in range(10):
        objective = rng.normal(size=space.groups.n_groups)
        # A random vector of the right size within the groups' capacities: most break rows.
        start = np.zeros(space.groups.n_groups, dtype=np.int64)
        while start.sum() < space.panel_size:
            g = int(rng.integers(space.groups.n_groups))
            if start[g] < space.col_upper[g]:
                start[g] += 1
        found = space._swap_search(objective, start)
        if found is None:
            continue
        assert space.is_feasible(found)
        assert any((found == p).all() for p in panels)
        neighbours = one_swap_apart(panels, found)
        assert (neighbours @ objective <= objective @ found + 1e-9).all()


@pytest.mark.parametrize("seed", range(8))
def test_swap_search_from_a_panel_never_loses(seed: int) -> None:
    space, panels = all_panels(random_instance(seed))
    rng = np.random.default_rng(seed)
    for start in panels[rng.choice(len(panels), size=min(5, len(panels)), replace=False)]:
        objective = rng.normal(size=space.groups.n_groups)
        found = space._swap_search(objective, start)
        assert found is not None and space.is_feasible(found)
        assert objective @ found >= objective @ start - 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_rounding_keeps_the_panel_size_and_the_capacities(seed: int) -> None:
    space, panels = all_panels(random_instance(seed))
    rng = np.random.default_rng(seed)
    # A point of the relaxation: a random mix of panels.
    point = rng.dirichlet(np.ones(len(panels))) @ panels
    rounded = space._rounded(point)
    assert rounded.sum() == space.panel_size
    assert (rounded >= 0).all() and (rounded <= space.col_upper).all()
    assert (np.abs(rounded - point) < 1).all()
