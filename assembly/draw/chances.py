"""Who has no chance, and what the published people file gives away.

Two things the organiser must see before publishing, and the public page says plainly:

- people in the lottery whom no panel can include (chance zero), named by the group they
  belong to (``geslacht: Zeg ik liever niet, 12 people``) rather than by a number alone;
- how identifiable people are in ``mensen.csv``: the smallest number of people who share
  their answers to the ordinary questions (k-anonymity), and for how many people the answer
  to a special-category question (an opinion) follows from those answers.

Both are computed from the run's own files, so the pages stay a function of the run.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sortition.verify import person_probabilities

from ..models import DrawRun
from . import engine
from .composition import targets

# Below this a chance is zero: the engine's tolerance is 1e-6.
ZERO = 1e-9


@dataclass(frozen=True)
class Group:
    """People described by the values they share: ``[(category, label), ...]``."""

    values: tuple[tuple[str, str], ...]
    count: int
    whole_value: bool  # everyone in the lottery with this value


def excluded_groups(
    people: Mapping[str, Mapping[str, str]],
    excluded: Iterable[str],
    categories: list[str],
    labels: Mapping[tuple[str, str], str],
) -> list[Group]:
    """``excluded`` (references) described as groups an organiser recognises.

    First every value that only excluded people have (all 12 people who chose "prefer not
    to say"); the rest by their full combination of values, largest group first.
    """
    left = set(excluded)
    groups: list[Group] = []
    if not left:
        return groups
    for category in categories:
        having: dict[str, set[str]] = defaultdict(set)
        for reference, values in people.items():
            having[engine.normalize(values.get(category, ""))].add(reference)
        for _value, members in sorted(having.items()):
            if members and members <= set(excluded) and members & left:
                value = people[next(iter(members))].get(category, "")
                label = labels.get((category, engine.normalize(value)), value)
                groups.append(Group(((category, label),), len(members), True))
                left -= members
    combinations = Counter(
        tuple(
            (c, labels.get((c, engine.normalize(people[r].get(c, ""))), people[r].get(c, "")))
            for c in categories
        )
        for r in left
    )
    groups += [
        Group(values, count, False)
        for values, count in sorted(combinations.items(), key=lambda item: -item[1])
    ]
    return groups


def _labels(run: DrawRun) -> dict[tuple[str, str], str]:
    return {
        (t["category"], engine.normalize(t["value"])): t.get("label") or t["value"]
        for t in targets(run)
    }


def _categories(run: DrawRun) -> list[str]:
    return list(dict.fromkeys(category for category, *_rest in engine.run_quotas(run)))


@dataclass(frozen=True)
class ZeroChance:
    count: int
    groups: list[Group] = field(default_factory=list)


def zero_chance(run: DrawRun) -> ZeroChance:
    """People in the run's lottery whom no panel of it includes."""
    if not run.report_json:
        return ZeroChance(0)
    chances = person_probabilities(json.loads(run.report_json)["distribution"])
    none = [reference for reference, chance in chances.items() if chance < ZERO]
    if not none:
        return ZeroChance(0)
    people = engine.people_values(run)
    return ZeroChance(len(none), excluded_groups(people, none, _categories(run), _labels(run)))


@dataclass(frozen=True)
class Disclosure:
    """How identifiable people are in the published people file.

    ``k``: the smallest number of people who share their answers to the ordinary (not
    special-category) questions; ``unique``: people who share them with nobody;
    ``exposed``: people whose answer to a special-category question (other than "prefer
    not to say") is the same for everyone with their ordinary answers, so that knowing
    those answers reveals it.
    """

    people: int
    k: int
    unique: int
    exposed: int
    ordinary: list[str]
    special: list[str]


def disclosure(run: DrawRun) -> Disclosure:
    people = engine.people_values(run)
    categories = _categories(run)
    info = targets(run)
    special = [c for c in categories if any(t.get("special") for t in info if t["category"] == c)]
    ordinary = [c for c in categories if c not in special]
    prefer_not = {
        (t["category"], engine.normalize(t["value"])) for t in info if t.get("prefer_not")
    }
    classes: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for reference, values in people.items():
        classes[tuple(engine.normalize(values.get(c, "")) for c in ordinary)].append(reference)
    sizes = [len(members) for members in classes.values()]
    exposed = 0
    for members in classes.values():
        for category in special:
            answers = {engine.normalize(people[r].get(category, "")) for r in members}
            if len(answers) == 1 and (category, next(iter(answers))) not in prefer_not:
                exposed += len(members)
                break
    return Disclosure(
        people=len(people),
        k=min(sizes) if sizes else 0,
        unique=sum(1 for size in sizes if size == 1),
        exposed=exposed,
        ordinary=ordinary,
        special=special,
    )
