"""Interchangeable people, and the distribution over panels expressed in them.

Two people are interchangeable when they have the same value in every category and
their households look alike. A *household class* is a multiset of types (one entry per
member); a *group* is a pair (household class, type). A panel is then described by how
many households of each class send their member of each type: ``counts[g]``. Every
person of group ``g`` is selected with probability ``E[counts[g]] / weight[g]``, because
the draw (``sortition.draw``) picks the households and members uniformly within a group.
Working with groups instead of people is what makes the solvers fast: a pool of
thousands has only a few hundred groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .model import Instance


@dataclass(frozen=True, eq=False)
class Groups:
    """The group structure of a pool.

    Attributes
    ----------
    type_features : (T, C) array of value indices, one row per type (sorted).
    person_type, person_group, person_household : (n,) arrays.
    class_households : per class, the households (lists of person indices) of that class.
    group_class, group_type : (G,) arrays; groups are ordered by class, then type.
    group_members : per group, the person indices in it.
    """

    type_features: np.ndarray
    person_type: np.ndarray
    person_group: np.ndarray
    person_household: np.ndarray
    class_households: tuple[tuple[tuple[int, ...], ...], ...]
    group_class: np.ndarray
    group_type: np.ndarray
    group_members: tuple[tuple[int, ...], ...]

    @property
    def n_groups(self) -> int:
        return len(self.group_class)

    @property
    def n_classes(self) -> int:
        return len(self.class_households)

    @cached_property
    def weight(self) -> np.ndarray:
        """Number of people in each group."""
        return np.array([len(m) for m in self.group_members], dtype=np.int64)

    @cached_property
    def capacity(self) -> np.ndarray:
        """Most people a panel can take from each group: one per household of its class."""
        return np.array(
            [len(self.class_households[c]) for c in self.group_class], dtype=np.int64
        )

    @cached_property
    def shared_classes(self) -> tuple[np.ndarray, ...]:
        """Group indices of each class with several types (they share households)."""
        per_class: dict[int, list[int]] = defaultdict(list)
        for g, c in enumerate(self.group_class):
            per_class[int(c)].append(g)
        return tuple(np.array(v) for v in per_class.values() if len(v) > 1)

    def group_incidence(self, instance: Instance) -> np.ndarray:
        """``(n_rows, G)`` 0/1 matrix: group ``g``'s members count towards quota row ``r``."""
        matrix = np.zeros((instance.quotas.n_rows, self.n_groups), dtype=np.float64)
        for c, rows in enumerate(instance.quotas.row_index):
            values = self.type_features[self.group_type, c]
            matrix[np.asarray(rows)[values], np.arange(self.n_groups)] = 1.0
        return matrix

    def person_probabilities(self, expected_counts: np.ndarray) -> np.ndarray:
        """Each person's selection probability from the expected count per group."""
        probabilities: np.ndarray = (expected_counts / self.weight)[self.person_group]
        return probabilities

    def counts_of_panel(self, members: np.ndarray) -> np.ndarray:
        """The group counts of a concrete panel (person indices)."""
        return np.bincount(self.person_group[members], minlength=self.n_groups)


def build_groups(instance: Instance) -> Groups:
    """Sort the pool into groups of interchangeable people (see the module docstring)."""
    pool = instance.pool
    n = pool.size
    type_features, person_type = np.unique(pool.features, axis=0, return_inverse=True)
    person_type = person_type.reshape(-1)
    person_household: np.ndarray
    if pool.households is None:
        person_household = np.arange(n)
    else:
        _, person_household = np.unique(pool.households, return_inverse=True)
        person_household = person_household.reshape(-1)
    members_of: dict[int, list[int]] = defaultdict(list)
    for person, number in enumerate(person_household):
        members_of[int(number)].append(person)
    households_by_class: dict[tuple[int, ...], list[tuple[int, ...]]] = defaultdict(list)
    for household in sorted(members_of):
        members = tuple(members_of[household])
        signature = tuple(sorted(int(person_type[p]) for p in members))
        households_by_class[signature].append(members)
    class_signatures = sorted(households_by_class, key=lambda s: (len(s), s))
    group_class: list[int] = []
    group_type: list[int] = []
    group_members: list[tuple[int, ...]] = []
    person_group = np.empty(n, dtype=np.int64)
    for c, signature in enumerate(class_signatures):
        for t in sorted(set(signature)):
            g = len(group_class)
            group_class.append(c)
            group_type.append(t)
            members = tuple(
                p
                for household in households_by_class[signature]
                for p in household
                if person_type[p] == t
            )
            group_members.append(members)
            person_group[list(members)] = g
    return Groups(
        type_features=type_features,
        person_type=person_type,
        person_group=person_group,
        person_household=person_household,
        class_households=tuple(tuple(households_by_class[s]) for s in class_signatures),
        group_class=np.array(group_class, dtype=np.int64),
        group_type=np.array(group_type, dtype=np.int64),
        group_members=tuple(group_members),
    )


@dataclass(frozen=True, eq=False)
class Distribution:
    """A lottery over panels: ``counts[j]`` (group counts) is drawn with ``weights[j]``.

    Panels are kept in canonical order (lexicographic on ``counts``) so that a seed
    always lands on the same panel.
    """

    groups: Groups
    counts: np.ndarray
    weights: np.ndarray

    @property
    def n_panels(self) -> int:
        return len(self.weights)

    @cached_property
    def expected_counts(self) -> np.ndarray:
        expected: np.ndarray = self.weights @ self.counts
        return expected

    @cached_property
    def probabilities(self) -> np.ndarray:
        """Each person's selection probability."""
        return self.groups.person_probabilities(self.expected_counts)

    @classmethod
    def canonical(cls, groups: Groups, counts: np.ndarray, weights: np.ndarray) -> Distribution:
        """Merge equal panels, drop zero weights, normalise and sort canonically."""
        counts = np.asarray(counts, dtype=np.int64).reshape(-1, groups.n_groups)
        weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
        used = weights > 0
        counts, weights = counts[used], weights[used]
        # Lexicographic order (first group first); stable, so equal panels keep their
        # input order and their weights add up in it. On thousands of panels of
        # thousands of groups this took a second as Python tuples.
        order = np.lexsort(counts.T[::-1]) if len(counts) else np.zeros(0, dtype=np.int64)
        ordered = counts[order]
        first = np.ones(len(ordered), dtype=bool)
        first[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
        merged = np.bincount(np.cumsum(first) - 1, weights=weights[order]).tolist()
        total = sum(merged)
        return cls(
            groups,
            ordered[first].reshape(-1, groups.n_groups),
            np.array([weight / total for weight in merged], dtype=np.float64),
        )

    def to_dict(self, ids: tuple[str, ...], category_names: tuple[str, ...],
                value_names: tuple[tuple[str, ...], ...]) -> dict[str, Any]:
        """A JSON-ready description that ``sortition.draw`` can replay from ids alone."""
        groups = self.groups
        return {
            "classes": [
                [[ids[p] for p in household] for household in households]
                for households in groups.class_households
            ],
            "groups": [
                {
                    "class": int(groups.group_class[g]),
                    "features": {
                        name: value_names[c][int(groups.type_features[groups.group_type[g], c])]
                        for c, name in enumerate(category_names)
                    },
                    "members": [ids[p] for p in groups.group_members[g]],
                }
                for g in range(groups.n_groups)
            ],
            "panels": [
                {"probability": float(w), "counts": [int(x) for x in row]}
                for row, w in zip(self.counts, self.weights, strict=True)
            ],
        }
