"""``check``: feasibility, the smallest relaxation, forced people; errors of the engine."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from sortition_helpers import (
    all_feasible_panels,
    feasible_panels,
    make_instance,
    two_category_people,
)

from sortition import (
    Diagnosis,
    InfeasibleError,
    InputError,
    Instance,
    Pool,
    Quota,
    Quotas,
    check,
    find_distribution,
)

Rows = Sequence[tuple[str, str, int, int]]


def min_total_change(instance: Instance) -> int:
    """Fewest seats the quotas must move for some panel to exist (brute force)."""
    incidence = instance.incidence.astype(np.int64)
    lower, upper = instance.quotas.lower, instance.quotas.upper
    households = instance.pool.households
    best = None
    for panel in itertools.combinations(range(instance.pool.size), instance.panel_size):
        members = list(panel)
        if households is not None and len(set(households[members])) < len(members):
            continue
        counts = incidence[:, members].sum(axis=1)
        change = np.clip(lower - counts, 0, None).sum() + np.clip(counts - upper, 0, None).sum()
        best = int(change) if best is None else min(best, int(change))
    assert best is not None, "not even the household rule can be met"
    return best


def relaxed(instance: Instance, diagnosis: Diagnosis) -> Instance:
    """``instance`` with the diagnosis' relaxations applied."""
    quotas = instance.quotas
    lower, upper = quotas.lower.copy(), quotas.upper.copy()
    for relaxation in diagnosis.relaxations:
        c = quotas.category_index(relaxation.category)
        row = quotas.row_index[c][quotas.value_index(c, relaxation.value)]
        bounds = lower if relaxation.bound == "min" else upper
        assert bounds[row] == relaxation.old
        bounds[row] = relaxation.new
    return Instance(instance.pool, quotas.with_bounds(lower, upper), instance.panel_size)


def total_change(diagnosis: Diagnosis) -> int:
    return sum(abs(r.new - r.old) for r in diagnosis.relaxations)


def assert_smallest_relaxation(instance: Instance) -> Diagnosis:
    diagnosis = check(instance)
    assert not diagnosis.feasible
    assert diagnosis.conflicts
    assert diagnosis.relaxations
    for relaxation in diagnosis.relaxations:
        # mins go down, maxes go up
        assert (relaxation.new < relaxation.old) == (relaxation.bound == "min")
        assert relaxation.new >= 0
    after = check(relaxed(instance, diagnosis))
    assert after.feasible
    # The smallest change after which everyone can be on some panel (#11.4); the plain
    # smallest change when it already does, or when no change can.
    assert total_change(diagnosis) >= min_total_change(instance)
    if after.forced_out:
        assert total_change(diagnosis) == min_total_change(instance)
        assert set(diagnosis.excluded_after_relaxation) == set(after.forced_out)
    else:
        assert diagnosis.excluded_after_relaxation == ()
        assert not includes_everyone_with_less(instance, total_change(diagnosis))
    return diagnosis


def includes_everyone_with_less(instance: Instance, total: int) -> bool:
    """Whether quotas moved by fewer than ``total`` seats let everyone be on some panel."""
    quotas = instance.quotas
    k = instance.panel_size
    room = [int(v) for v in quotas.lower] + [k - int(v) for v in quotas.upper]
    panels = [list(p) for p in feasible_panels(Instance(instance.pool, quotas.with_bounds(
        [0] * quotas.n_rows, [k] * quotas.n_rows), k), limit=10_000)]  # fmt: skip
    incidence = instance.incidence.astype(np.int64)
    counts = [incidence[:, p].sum(axis=1) for p in panels]
    for moved in range(total):
        for slack in _compositions(moved, room):
            lower = quotas.lower - np.array(slack[: quotas.n_rows])
            upper = quotas.upper + np.array(slack[quotas.n_rows :])
            fitting = [p for p, c in zip(panels, counts, strict=True)
                       if np.all(c >= lower) and np.all(c <= upper)]  # fmt: skip
            if fitting and set().union(*fitting) == set(range(instance.pool.size)):
                return True
    return False


def _compositions(total: int, room: list[int]) -> list[list[int]]:
    """Every way to share ``total`` over the slots, each at most its ``room``."""
    if not room:
        return [[]] if total == 0 else []
    found = []
    for first in range(min(total, room[0]) + 1):
        found += [[first, *rest] for rest in _compositions(total - first, room[1:])]
    return found


# f-y x3 and m-o x3, panel of 3: women need >= 2 and old >= 2 are each possible alone,
# but two women are two young people, leaving one seat for an old person.
COMBINATION_PEOPLE = two_category_people([("f", "y", 3), ("m", "o", 3)])
COMBINATION_QUOTAS = [("gender", "f", 2, 3), ("gender", "m", 0, 3),
                      ("age", "y", 0, 3), ("age", "o", 2, 3)]  # fmt: skip


def with_flex(rows: Rows, flex: dict[tuple[str, str], tuple[int | None, int | None]]) -> Quotas:
    return Quotas(
        tuple(Quota(c, v, lo, hi, *flex.get((c, v), (None, None))) for c, v, lo, hi in rows)
    )


def instance_with(people: list[dict[str, str]], quotas: Quotas, k: int) -> Instance:
    pool = Pool.from_rows([p["id"] for p in people], people, quotas,
                          household_keys=[p["h"] for p in people])  # fmt: skip
    return Instance(pool, quotas, k)


def test_min_above_available_people() -> None:
    people = two_category_people([("f", "y", 1), ("f", "o", 1), ("m", "y", 3), ("m", "o", 3)])
    quotas = [("gender", "f", 3, 4), ("gender", "m", 1, 4), ("age", "y", 0, 4), ("age", "o", 0, 4)]
    diagnosis = assert_smallest_relaxation(make_instance(people, quotas, 4, household="h"))
    assert [(r.category, r.value, r.bound, r.old, r.new) for r in diagnosis.relaxations] == [
        ("gender", "f", "min", 3, 2)
    ]
    assert [c.code for c in diagnosis.conflicts] == ["too_few_people"]
    assert diagnosis.conflicts[0].quotas == (("gender", "f", "min"),)


def test_min_above_available_households() -> None:
    # three women, but two of them live together
    people = two_category_people([("f", "y", 3), ("m", "y", 3)], shared=[(0, 1)])
    quotas = [("gender", "f", 3, 3), ("gender", "m", 0, 3), ("age", "y", 3, 3)]
    diagnosis = assert_smallest_relaxation(make_instance(people, quotas, 3, household="h"))
    assert [(r.value, r.bound, r.new) for r in diagnosis.relaxations] == [("f", "min", 2)]


def test_maxima_too_small_for_the_panel() -> None:
    people = two_category_people([("f", "y", 4), ("m", "y", 4)])
    quotas = [("gender", "f", 0, 1), ("gender", "m", 0, 2), ("age", "y", 0, 4)]
    diagnosis = assert_smallest_relaxation(make_instance(people, quotas, 4))
    assert [r.bound for r in diagnosis.relaxations] == ["max"]
    assert "category_max_sum_below_panel" in [c.code for c in diagnosis.conflicts]


def test_combination_of_two_categories() -> None:
    instance = make_instance(COMBINATION_PEOPLE, COMBINATION_QUOTAS, 3)
    # each of the two minimums on its own can be met
    loose = [(c, v, 0, hi) for c, v, _, hi in COMBINATION_QUOTAS]
    for row in (0, 3):
        alone = [COMBINATION_QUOTAS[r] if r == row else loose[r] for r in range(4)]
        assert check(make_instance(COMBINATION_PEOPLE, alone, 3)).feasible
    diagnosis = assert_smallest_relaxation(instance)
    assert total_change(diagnosis) == 1
    assert [c.code for c in diagnosis.conflicts] == ["quota_combination"]
    moved = {(r.category, r.value, r.bound) for r in diagnosis.relaxations}
    assert moved <= {("gender", "f", "min"), ("age", "o", "min")}


@pytest.mark.parametrize(
    ("frozen", "moved"),
    [(("gender", "f"), ("age", "o", "min", 2, 1)), (("age", "o"), ("gender", "f", "min", 2, 1))],
)
def test_relaxation_respects_flex(
    frozen: tuple[str, str], moved: tuple[str, str, str, int, int]
) -> None:
    # The organiser allows no change to ``frozen``: the other quota has to give.
    quotas = with_flex(COMBINATION_QUOTAS, {frozen: (2, None)})
    diagnosis = check(instance_with(COMBINATION_PEOPLE, quotas, 3))
    assert [(r.category, r.value, r.bound, r.old, r.new) for r in diagnosis.relaxations] == [
        moved
    ]


def test_relaxation_stays_within_max_flex() -> None:
    people = two_category_people([("f", "y", 4), ("m", "y", 4)])
    rows = [("gender", "f", 0, 1), ("gender", "m", 0, 2), ("age", "y", 0, 4)]
    quotas = with_flex(rows, {("gender", "f"): (None, 1)})  # f max may not go up
    diagnosis = check(instance_with(people, quotas, 4))
    assert [(r.value, r.bound, r.old, r.new) for r in diagnosis.relaxations] == [
        ("m", "max", 2, 3)
    ]


def test_no_relaxation_within_flex_limits() -> None:
    """``Diagnosis.relaxations`` is empty when no relaxation within the flex limits helps
    (and the CLI then says so); it must never propose moving a quota beyond its flex."""
    quotas = with_flex(COMBINATION_QUOTAS, {("gender", "f"): (2, None), ("age", "o"): (2, None)})
    diagnosis = check(instance_with(COMBINATION_PEOPLE, quotas, 3))
    assert not diagnosis.feasible
    for relaxation in diagnosis.relaxations:
        key = (relaxation.category, relaxation.value)
        quota = next(q for q in quotas.quotas if (q.category, q.value) == key)
        if relaxation.bound == "min" and quota.min_flex is not None:
            assert relaxation.new >= quota.min_flex, relaxation
        if relaxation.bound == "max" and quota.max_flex is not None:
            assert relaxation.new <= quota.max_flex, relaxation


def random_tiny_instance(seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(8, [0.25] * 4)
    spec = [(g, a, int(c)) for (g, a), c in zip(
        [(g, a) for g in "fm" for a in "yo"], counts, strict=True)]  # fmt: skip
    people = two_category_people(spec, shared=[(0, 1)])
    quotas = []
    for category, values in (("gender", "fm"), ("age", "yo")):
        for value in values:
            low = int(rng.integers(0, 3))
            quotas.append((category, value, low, low + int(rng.integers(0, 2))))
    return make_instance(people, quotas, 3, household="h")


def test_smallest_relaxation_by_brute_force_on_random_instances() -> None:
    infeasible = 0
    for seed in range(24):
        instance = random_tiny_instance(seed)
        if all_feasible_panels(instance):
            assert check(instance).feasible
            continue
        infeasible += 1
        assert_smallest_relaxation(instance)
    assert infeasible >= 10  # the loop really exercised the relaxation


def test_forced_in_and_out() -> None:
    # exactly two old people and old min 2: both in every panel; age m max 0: out.
    people = two_category_people([("f", "y", 3), ("f", "m", 2), ("f", "o", 1), ("m", "y", 3),
                                  ("m", "o", 1)])  # fmt: skip
    quotas = [("gender", "f", 1, 3), ("gender", "m", 1, 3),
              ("age", "y", 0, 4), ("age", "m", 0, 0), ("age", "o", 2, 2)]  # fmt: skip
    instance = make_instance(people, quotas, 4)
    diagnosis = check(instance)
    assert diagnosis.feasible and not diagnosis.relaxations
    assert diagnosis.forced_in == (5, 9)
    assert diagnosis.forced_out == (3, 4)


@pytest.mark.parametrize("seed", range(40))
def test_forced_people_match_brute_force(seed: int) -> None:
    instance = random_tiny_instance(seed)
    panels = all_feasible_panels(instance)
    if not panels:
        assert not check(instance).feasible
        return
    everyone = set(range(instance.pool.size))
    in_all = set.intersection(*(set(p) for p in panels))
    in_some = set().union(*(set(p) for p in panels))
    diagnosis = check(instance)
    assert diagnosis.feasible
    assert set(diagnosis.forced_in) == in_all
    assert set(diagnosis.forced_out) == everyone - in_some


def test_find_distribution_infeasible_raises_with_diagnosis() -> None:
    instance = make_instance(COMBINATION_PEOPLE, COMBINATION_QUOTAS, 3)
    for algorithm in ("leximin", "maximin", "nash", "legacy"):
        with pytest.raises(InfeasibleError) as raised:
            find_distribution(instance, algorithm=algorithm)
        diagnosis = raised.value.params["diagnosis"]
        assert isinstance(diagnosis, Diagnosis)
        assert not diagnosis.feasible and diagnosis.relaxations


def test_unknown_algorithm() -> None:
    loose = [("gender", "f", 0, 3), ("gender", "m", 0, 3), ("age", "y", 0, 3), ("age", "o", 0, 3)]
    instance = make_instance(COMBINATION_PEOPLE, loose, 3)
    with pytest.raises(InputError) as raised:
        find_distribution(instance, algorithm="lexmin")
    assert raised.value.code == "unknown_algorithm"
    assert "leximin" in str(raised.value)


def test_panel_larger_than_pool() -> None:
    with pytest.raises(InputError) as raised:
        make_instance(COMBINATION_PEOPLE, COMBINATION_QUOTAS, 7)
    assert raised.value.code == "panel_larger_than_pool"


# --- #11.4: the suggested relaxation keeps everyone's chance above zero where it can ------


def _prefer_not_instance() -> Instance:
    """Panel of 10: man 5–6, vrouw 6–6 but only 5 women, 'onbekend' (prefer not) 0–10.

    The smallest relaxation (vrouw min 6 → 5) makes the minimums add up to 10: the three
    people who preferred not to say could then never be drawn.
    """
    people = [{"id": f"m{i}", "geslacht": "man"} for i in range(8)]
    people += [{"id": f"v{i}", "geslacht": "vrouw"} for i in range(5)]
    people += [{"id": f"o{i}", "geslacht": "onbekend"} for i in range(3)]
    return make_instance(
        people,
        [("geslacht", "man", 5, 6), ("geslacht", "vrouw", 6, 6), ("geslacht", "onbekend", 0, 10)],
        10,
    )


def test_the_suggested_relaxation_gives_everyone_a_chance() -> None:
    instance = _prefer_not_instance()
    diagnosis = check(instance)
    assert not diagnosis.feasible
    after = relaxed(instance, diagnosis)
    result = find_distribution(after)
    assert min(result.probabilities) > 0.01
    assert diagnosis.excluded_after_relaxation == ()
    # Still as small as a relaxation that includes everyone can be: two seats move.
    moved = sum(abs(r.old - r.new) for r in diagnosis.relaxations)
    assert moved == 2


def test_when_no_relaxation_can_include_everyone_the_left_out_are_named() -> None:
    people = [{"id": f"m{i}", "geslacht": "man"} for i in range(8)]
    people += [{"id": f"v{i}", "geslacht": "vrouw"} for i in range(5)]
    people += [{"id": f"o{i}", "geslacht": "onbekend"} for i in range(3)]
    q = Quotas(
        (
            # The organiser allows the women's minimum to go down by one, no more.
            Quota("geslacht", "man", 5, 6, min_flex=5, max_flex=6),
            Quota("geslacht", "vrouw", 6, 6, min_flex=5, max_flex=6),
            Quota("geslacht", "onbekend", 0, 10, min_flex=0, max_flex=10),
        )
    )
    pool = Pool.from_rows([p["id"] for p in people], people, q)
    diagnosis = check(Instance(pool, q, 10))
    assert [str(r) for r in diagnosis.relaxations] == ["geslacht vrouw: min 6 → 5"]
    excluded = {pool.ids[i] for i in diagnosis.excluded_after_relaxation}
    assert excluded == {"o0", "o1", "o2"}
