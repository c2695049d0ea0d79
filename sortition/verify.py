"""Checking a published draw from its files alone (``python -m sortition verify``).

What a check establishes, step by step:

1. the people and categories files are the inputs: their SHA-256 and, with the settings,
   the fingerprint equal those in the lottery (and the fingerprint published before);
2. the lottery (``loting.json``, published before the seed was chosen) is the lottery of
   ``report.json``: the report is that file plus the seed and what the seed drew;
3. the lottery fits the files: every group is made of people with exactly those values,
   every household is a household of the people file, and every panel of the lottery
   has the panel size, meets every quota and takes at most one person per household;
   optionally the lottery is computed again and each person's chance compared;
4. the seed draws the report's panel and reserves (:mod:`sortition.draw`);
5. each replacement follows from the rules: the next reserve whose swap keeps every
   quota, or the engine's fair draw among the people still available
   (:func:`sortition.replace.next_reserve`, :func:`sortition.replace.replace_among`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .draw import draw_from_description
from .model import Instance, normalize
from .replace import next_reserve, replace_among

#: The fields of ``report.json`` that the seed adds to the published lottery.
DRAW_FIELDS = ("seed", "draw", "selected", "reserves", "quota_table")
REPLACEMENTS_FORMAT = "burgerberaad-replacements"
#: How far a recomputed chance may be from the published one: the engine's tolerance is
#: 1e-6 per chance; solver versions may differ a little more.
RECOMPUTE_TOLERANCE = 1e-4
_MAX_LISTED = 5


def lottery_part(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report without what the seed added: the lottery as published before it."""
    return {key: value for key, value in report.items() if key not in DRAW_FIELDS}


def lottery_differences(report: Mapping[str, Any], lottery: Mapping[str, Any]) -> list[str]:
    """The fields in which the report's lottery differs from the published lottery."""
    ours, theirs = lottery_part(report), lottery_part(lottery)
    return sorted(key for key in set(ours) | set(theirs) if ours.get(key) != theirs.get(key))


def _listed(items: Sequence[str]) -> str:
    more = f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return ", ".join(items[:_MAX_LISTED]) + more


def distribution_problems(description: Mapping[str, Any], instance: Instance) -> list[str]:
    """What in a lottery does not fit the people file and the quotas (empty: it fits)."""
    pool, quotas = instance.pool, instance.quotas
    ids = pool.ids
    index = {person: i for i, person in enumerate(ids)}
    groups = description["groups"]
    classes = description["classes"]
    problems: list[str] = []

    seen: dict[str, int] = {}
    wrong_values: list[str] = []
    unknown = [p for g in groups for p in g["members"] if p not in index]
    if unknown:
        return [f"the lottery names people who are not in the people file: {_listed(unknown)}"]
    for g, group in enumerate(groups):
        features = {normalize(k): normalize(str(v)) for k, v in group["features"].items()}
        for person in group["members"]:
            seen[person] = seen.get(person, 0) + 1
            row = pool.features[index[person]]
            for c, category in enumerate(quotas.categories):
                if features.get(normalize(category)) != normalize(quotas.values[c][row[c]]):
                    wrong_values.append(f"{person} (group {g + 1}, {category})")
                    break
    missing = [p for p in ids if p not in seen]
    twice = [p for p, n in seen.items() if n > 1]
    if missing:
        problems.append(f"people of the file are in no group of the lottery: {_listed(missing)}")
    if twice:
        problems.append(f"people are in several groups of the lottery: {_listed(twice)}")
    if wrong_values:
        problems.append(
            "people are in a group whose values are not theirs in the people file: "
            + _listed(wrong_values)
        )

    household_of = (
        pool.households if pool.households is not None else np.arange(pool.size)
    )
    in_class: dict[str, int] = {}
    split: list[str] = []
    for c, households in enumerate(classes):
        for household in households:
            numbers = {int(household_of[index[p]]) for p in household if p in index}
            if len(numbers) != 1:
                split.append("+".join(household))
            for person in household:
                in_class[person] = c
    sizes = np.bincount(household_of, minlength=int(household_of.max()) + 1 if pool.size else 0)
    listed_sizes: dict[int, int] = {}
    for households in classes:
        for household in households:
            if household and household[0] in index:
                number = int(household_of[index[household[0]]])
                listed_sizes[number] = listed_sizes.get(number, 0) + len(household)
    incomplete = [n for n, size in listed_sizes.items() if size != sizes[n]]
    if split or incomplete or set(in_class) != set(ids):
        problems.append("the households of the lottery are not the households of the people file")
    for g, group in enumerate(groups):
        if any(in_class.get(p) != int(group["class"]) for p in group["members"]):
            problems.append(f"group {g + 1} has members outside its class of households")
            break
    if problems:
        return problems

    n_groups = len(groups)
    value_of_group = np.array(
        [
            [
                quotas.row_index[c][quotas.value_index(c, str(group["features"][category]))]
                if category in group["features"]
                else -1
                for c, category in enumerate(quotas.categories)
            ]
            for group in groups
        ],
        dtype=np.int64,
    ).reshape(n_groups, len(quotas.categories))
    households_of_group = np.array(
        [len({int(household_of[index[p]]) for p in group["members"]}) for group in groups]
    )
    class_of_group = np.array([int(group["class"]) for group in groups], dtype=np.int64)
    households_in_class = np.array([len(h) for h in classes], dtype=np.int64)
    panels = description["panels"]
    weights = np.array([float(p["probability"]) for p in panels])
    if np.any(weights < -1e-12) or abs(float(weights.sum()) - 1.0) > 1e-6:
        problems.append(f"the panels' probabilities add up to {weights.sum():.9f}, not 1")
    for number, panel in enumerate(panels, start=1):
        counts = np.asarray(panel["counts"], dtype=np.int64)
        wrong = []
        if counts.shape != (n_groups,) or np.any(counts < 0):
            problems.append(f"panel {number} of the lottery is malformed")
            continue
        if int(counts.sum()) != instance.panel_size:
            wrong.append(f"{int(counts.sum())} people instead of {instance.panel_size}")
        rows = np.zeros(quotas.n_rows, dtype=np.int64)
        for c in range(len(quotas.categories)):
            np.add.at(rows, value_of_group[:, c], counts)
        for r, quota in enumerate(quotas.ordered):
            if not quota.min <= rows[r] <= quota.max:
                wrong.append(f"{quota.category} {quota.value}: {int(rows[r])}")
        per_class = np.bincount(class_of_group, weights=counts, minlength=len(classes))
        if np.any(counts > households_of_group) or np.any(per_class > households_in_class):
            wrong.append("two people of one household")
        if wrong:
            problems.append(f"panel {number} of the lottery breaks the rules: {_listed(wrong)}")
            if len(problems) >= _MAX_LISTED:
                break
    return problems


def person_probabilities(description: Mapping[str, Any]) -> dict[str, float]:
    """Each person's chance in a lottery: their group's expected count over its size."""
    groups = description["groups"]
    expected = np.zeros(len(groups))
    for panel in description["panels"]:
        expected += float(panel["probability"]) * np.asarray(panel["counts"], dtype=float)
    return {
        person: float(expected[g]) / len(group["members"])
        for g, group in enumerate(groups)
        for person in group["members"]
    }


def probability_differences(
    published: Mapping[str, float], recomputed: Mapping[str, float]
) -> float:
    """The largest difference between two people's chances (1 when people differ)."""
    if set(published) != set(recomputed):
        return 1.0
    return max((abs(published[p] - recomputed[p]) for p in published), default=0.0)


def replacement_problems(
    instance: Instance,
    report: Mapping[str, Any],
    evidence: Mapping[str, Any],
    *,
    recompute: bool,
    algorithm: str = "leximin",
) -> tuple[list[str], list[str]]:
    """Replay the published replacements; returns (what was checked, what differs)."""
    ids = instance.pool.ids
    index = {person: i for i, person in enumerate(ids)}
    problems: list[str] = []
    checked: list[str] = []
    if evidence.get("format") != REPLACEMENTS_FORMAT:
        return checked, ["the replacements file is not a replacements file of this program"]
    panel = list(report.get("selected") or [])
    used = set(panel)
    reserves = [index[p] for p in report.get("reserves") or [] if p in index]
    for number, step in enumerate(evidence.get("steps") or [], start=1):
        try:
            before = list(step["panel"])
            withdrawn = set(step.get("withdrawn") or [])
            unknown = [p for p in [*before, *withdrawn] if p not in index]
            if unknown:
                problems.append(f"replacement {number} names unknown people: {_listed(unknown)}")
                break
            if set(before) != set(panel):
                problems.append(
                    f"replacement {number}: the panel before it is not the panel that the "
                    "draw and the replacements before it left"
                )
                break
            if step["via"] == "reserve":
                out, into = step["out"], step["in"]
                expected = next_reserve(
                    instance,
                    panel=[index[p] for p in before],
                    out=index[out],
                    reserves=reserves,
                    excluded={index[p] for p in used | withdrawn},
                )
                if expected is None or ids[expected] != into:
                    problems.append(
                        f"replacement {number}: the next reserve for {out} is "
                        f"{'nobody' if expected is None else ids[expected]}, not {into}"
                    )
                    break
                checked.append(f"replacement {number}: reserve {into} for {out}")
                panel = [into if p == out else p for p in before]
                used.add(into)
            elif step["via"] == "engine":
                dropped, into, seed = list(step["dropped"]), list(step["in"]), str(step["seed"])
                drawn = draw_from_description(step["distribution"], seed)
                if list(drawn.selected) != into:
                    problems.append(
                        f"replacement {number}: the seed {seed!r} draws "
                        f"{', '.join(drawn.selected)} from the published lottery, not "
                        f"{', '.join(into)}"
                    )
                    break
                if recompute:
                    available = {
                        i for i, p in enumerate(ids) if p not in used and p not in withdrawn
                    }
                    outcome = replace_among(
                        instance,
                        panel=[index[p] for p in before],
                        dropped=[index[p] for p in dropped],
                        available=available,
                        seed=seed,
                        algorithm=algorithm,
                    )
                    if list(outcome.replacements) != into:
                        problems.append(
                            f"replacement {number}: computed again, the fair draw gives "
                            f"{', '.join(outcome.replacements)}, not {', '.join(into)}"
                        )
                        break
                checked.append(
                    f"replacement {number}: fair draw of {', '.join(into)} for "
                    f"{', '.join(dropped)} (seed {seed!r})"
                )
                released = set(step.get("released") or [])
                panel = [p for p in before if p not in set(dropped) | released] + into
                used |= set(into)
            else:
                problems.append(f"replacement {number}: unknown kind {step['via']!r}")
                break
        except (KeyError, TypeError, ValueError) as error:
            problems.append(f"replacement {number} is malformed ({error!r})")
            break
    return checked, problems


__all__ = [
    "DRAW_FIELDS",
    "RECOMPUTE_TOLERANCE",
    "REPLACEMENTS_FORMAT",
    "distribution_problems",
    "lottery_differences",
    "lottery_part",
    "person_probabilities",
    "probability_differences",
    "replacement_problems",
]
