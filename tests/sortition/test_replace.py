"""Replacing panel members who drop out: quotas keep holding, confirmed members stay."""

from __future__ import annotations

import pytest
from sortition_helpers import assert_valid_panel, make_instance, two_category_people

from sortition import InfeasibleError, InputError, Instance, draw, find_distribution, replace

QUOTAS = [("gender", "f", 2, 3), ("gender", "m", 2, 3),
          ("age", "y", 1, 2), ("age", "m", 1, 2), ("age", "o", 1, 3)]  # fmt: skip


def pool_instance() -> Instance:
    spec = [("f", "y", 3), ("f", "m", 3), ("f", "o", 4), ("m", "y", 4), ("m", "m", 2),
            ("m", "o", 4)]  # fmt: skip
    people = two_category_people(spec, shared=[(0, 10), (3, 4), (7, 17), (14, 15)])
    return make_instance(people, QUOTAS, 5, household="h")


def drawn_panel(instance: Instance, seed: str) -> list[int]:
    outcome = draw(find_distribution(instance), instance.pool.ids, seed)
    return [instance.pool.ids.index(p) for p in outcome.selected]


def indices(instance: Instance, ids: tuple[str, ...]) -> list[int]:
    return [instance.pool.ids.index(p) for p in ids]


@pytest.mark.parametrize("seed", [f"panel {s}" for s in range(8)])
def test_replacements_keep_every_quota(seed: str) -> None:
    instance = pool_instance()
    panel = drawn_panel(instance, seed)
    dropped, confirmed = panel[:2], panel[2:4]
    outcome = replace(instance, panel=panel, dropped=dropped, confirmed=confirmed,
                      seed="replace " + seed)  # fmt: skip
    replacements = indices(instance, outcome.replacements)
    assert outcome.released == ()
    assert len(replacements) == len(dropped)
    assert not set(replacements) & set(panel)  # new people, none of the old panel
    new_panel = sorted(set(panel) - set(dropped)) + replacements
    assert set(confirmed) <= set(new_panel)
    assert_valid_panel(instance, new_panel)


def test_same_seed_same_replacements() -> None:
    instance = pool_instance()
    panel = drawn_panel(instance, "x")
    runs = [replace(instance, panel=panel, dropped=panel[:1], seed="r").replacements
            for _ in range(2)]  # fmt: skip
    assert runs[0] == runs[1]
    others = {replace(instance, panel=panel, dropped=panel[:2], seed=f"r{s}").replacements
              for s in range(12)}  # fmt: skip
    assert len(others) > 1


def test_nobody_dropped_changes_nobody() -> None:
    """With nobody dropped out, no seat may change (the CLI prints "(none needed)")."""
    instance = pool_instance()
    panel = drawn_panel(instance, "y")
    try:
        outcome = replace(instance, panel=panel, dropped=[], seed="s")
    except InputError:
        return  # refusing the request is fine too
    assert outcome.released == ()
    assert outcome.replacements == ()


def test_dropped_must_be_on_the_panel() -> None:
    instance = pool_instance()
    panel = drawn_panel(instance, "z")
    outsider = next(p for p in range(instance.pool.size) if p not in panel)
    with pytest.raises(InputError):
        replace(instance, panel=panel, dropped=[outsider], seed="s")
    with pytest.raises(InputError):
        replace(instance, panel=panel, dropped=panel[:1], confirmed=panel[:1], seed="s")


# Quotas of exactly two per value; the panel is f-y, f-o, m-y, m-o. Only f-o and m-y people
# are left in the pool, so the dropped f-y member cannot be replaced one for one.
RELEASE_PEOPLE = two_category_people(
    [("f", "y", 1), ("f", "o", 3), ("m", "y", 3), ("m", "o", 1)]
)
RELEASE_QUOTAS = [("gender", "f", 2, 2), ("gender", "m", 2, 2),
                  ("age", "y", 2, 2), ("age", "o", 2, 2)]  # fmt: skip


def test_unconfirmed_members_are_released_when_needed() -> None:
    instance = make_instance(RELEASE_PEOPLE, RELEASE_QUOTAS, 4)
    panel = [0, 1, 4, 7]  # f-y, f-o, m-y, m-o
    dropped, confirmed = [0], [4]
    for seed in ("a", "b", "c", "d"):
        outcome = replace(instance, panel=panel, dropped=dropped, confirmed=confirmed, seed=seed)
        released = indices(instance, outcome.released)
        assert released and set(released) <= {1, 7}
        replacements = indices(instance, outcome.replacements)
        new_panel = sorted(set(panel) - set(dropped) - set(released)) + replacements
        assert set(confirmed) <= set(new_panel)
        assert 0 not in new_panel
        assert_valid_panel(instance, new_panel)


def test_confirmed_members_are_never_released() -> None:
    instance = make_instance(RELEASE_PEOPLE, RELEASE_QUOTAS, 4)
    # With the m-o member confirmed too, women must be two f-o: three old people.
    with pytest.raises(InfeasibleError):
        replace(instance, panel=[0, 1, 4, 7], dropped=[0], confirmed=[4, 7], seed="s")
