"""The inputs of a selection: quotas, a pool of people, and a panel size.

Values are matched case- and whitespace-insensitively (``normalize``); the spelling in
the quotas is the canonical one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import InputError

_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Key used to compare category names and values: case-folded, spaces collapsed."""
    return _SPACES.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class Quota:
    """Bounds on how many panel members have ``value`` in ``category``.

    ``min_flex``/``max_flex`` (optional) are how far the organiser allows ``min`` to go
    down and ``max`` to go up when the quotas cannot all be met; ``row`` is where the
    quota came from in a file, for error messages.
    """

    category: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None
    row: int | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class Quotas:
    """All quotas, grouped by category in order of first appearance.

    Quota rows are numbered category by category, value by value: ``lower[r]`` and
    ``upper[r]`` are the bounds of row ``r`` and ``row_index[c][v]`` the row of value
    ``v`` of category ``c``.
    """

    quotas: tuple[Quota, ...]

    def __post_init__(self) -> None:
        if not self.quotas:
            raise InputError("no_quotas", "there are no quotas")
        seen: set[tuple[str, str]] = set()
        for quota in self.quotas:
            key = (normalize(quota.category), normalize(quota.value))
            if key in seen:
                raise InputError(
                    "duplicate_quota",
                    f"{quota.category} = {quota.value} appears twice",
                    row=quota.row,
                    category=quota.category,
                    value=quota.value,
                )
            seen.add(key)
            if quota.min < 0:
                raise InputError(
                    "negative_quota",
                    f"{quota.category} = {quota.value}: min is negative",
                    row=quota.row,
                    column="min",
                    category=quota.category,
                    value=quota.value,
                )
            if quota.min > quota.max:
                raise InputError(
                    "min_above_max",
                    f"{quota.category} = {quota.value}: min {quota.min} is above max {quota.max}",
                    row=quota.row,
                    column="min",
                    category=quota.category,
                    value=quota.value,
                    min=quota.min,
                    max=quota.max,
                )

    @cached_property
    def categories(self) -> tuple[str, ...]:
        names: dict[str, str] = {}
        for quota in self.quotas:
            names.setdefault(normalize(quota.category), quota.category)
        return tuple(names.values())

    @cached_property
    def values(self) -> tuple[tuple[str, ...], ...]:
        per_category: dict[str, list[str]] = {normalize(c): [] for c in self.categories}
        for quota in self.quotas:
            per_category[normalize(quota.category)].append(quota.value)
        return tuple(tuple(v) for v in per_category.values())

    @cached_property
    def row_index(self) -> tuple[tuple[int, ...], ...]:
        rows, start = [], 0
        for values in self.values:
            rows.append(tuple(range(start, start + len(values))))
            start += len(values)
        return tuple(rows)

    @cached_property
    def ordered(self) -> tuple[Quota, ...]:
        """The quotas in row order."""
        lookup = {(normalize(q.category), normalize(q.value)): q for q in self.quotas}
        return tuple(
            lookup[(normalize(c), normalize(v))]
            for c, values in zip(self.categories, self.values, strict=True)
            for v in values
        )

    @cached_property
    def lower(self) -> np.ndarray:
        return np.array([q.min for q in self.ordered], dtype=np.int64)

    @cached_property
    def upper(self) -> np.ndarray:
        return np.array([q.max for q in self.ordered], dtype=np.int64)

    @property
    def n_rows(self) -> int:
        return len(self.quotas)

    def category_index(self, name: str) -> int:
        key = normalize(name)
        for index, category in enumerate(self.categories):
            if normalize(category) == key:
                return index
        raise InputError("unknown_category", f"unknown category {name!r}", category=name)

    def value_index(self, category: int, value: str) -> int:
        key = normalize(value)
        for index, known in enumerate(self.values[category]):
            if normalize(known) == key:
                return index
        raise InputError(
            "unknown_value",
            f"value {value!r} is not one of the values of {self.categories[category]!r}: "
            + ", ".join(self.values[category]),
            category=self.categories[category],
            value=value,
            allowed=list(self.values[category]),
        )

    def with_bounds(self, lower: Sequence[int], upper: Sequence[int]) -> Quotas:
        """A copy with new min/max per row (flex limits kept)."""
        return Quotas(
            tuple(
                Quota(q.category, q.value, int(lo), int(hi), q.min_flex, q.max_flex, q.row)
                for q, lo, hi in zip(self.ordered, lower, upper, strict=True)
            )
        )


@dataclass(frozen=True, eq=False)
class Pool:
    """The people who may be selected.

    ``features[i, c]`` is the index of person ``i``'s value in category ``c`` of the
    quotas; ``households[i]`` numbers person ``i``'s household (people sharing a number
    may not both be selected), or is ``None`` when the household rule does not apply.
    """

    ids: tuple[str, ...]
    features: np.ndarray
    households: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.features.ndim != 2 or self.features.shape[0] != n:
            raise InputError("bad_shape", "features must have one row per person")
        if self.households is not None and self.households.shape != (n,):
            raise InputError("bad_shape", "households must have one entry per person")

    @property
    def size(self) -> int:
        return len(self.ids)

    @classmethod
    def from_rows(
        cls,
        ids: Sequence[str],
        rows: Sequence[Mapping[str, str]],
        quotas: Quotas,
        *,
        household_keys: Sequence[str] | None = None,
        first_row: int = 2,
    ) -> Pool:
        """Build a pool from one mapping ``category -> value`` per person.

        Category names and values match case- and whitespace-insensitively. Errors name
        the row (``first_row`` for the first person) and the column.
        """
        seen: dict[str, int] = {}
        for offset, person_id in enumerate(ids):
            if person_id in seen:
                raise InputError(
                    "duplicate_id",
                    f"id {person_id!r} also appears on row {seen[person_id]}",
                    row=first_row + offset,
                    id=person_id,
                    first_row=seen[person_id],
                )
            if not person_id.strip():
                raise InputError("empty_id", "the id is empty", row=first_row + offset)
            seen[person_id] = first_row + offset
        lookups = []
        for values in quotas.values:
            lookups.append({normalize(v): j for j, v in enumerate(values)})
        features = np.zeros((len(rows), len(quotas.categories)), dtype=np.int64)
        for offset, row in enumerate(rows):
            normalized = {normalize(k): v for k, v in row.items() if k is not None}
            for c, category in enumerate(quotas.categories):
                raw = normalized.get(normalize(category))
                if raw is None:
                    raise InputError(
                        "missing_column",
                        f"there is no column {category!r}",
                        row=first_row + offset,
                        column=category,
                        category=category,
                    )
                index = lookups[c].get(normalize(raw))
                if index is None:
                    raise InputError(
                        "unknown_value",
                        f"value {raw!r} is not one of the values of {category!r}: "
                        + ", ".join(quotas.values[c]),
                        row=first_row + offset,
                        column=category,
                        category=category,
                        value=raw,
                        allowed=list(quotas.values[c]),
                    )
                features[offset, c] = index
        households = None
        if household_keys is not None:
            numbering: dict[str, int] = {}
            households = np.array(
                [numbering.setdefault(normalize(key), len(numbering)) for key in household_keys],
                dtype=np.int64,
            )
        return cls(tuple(ids), features, households)


@dataclass(frozen=True, eq=False)
class Instance:
    """A selection problem: choose ``panel_size`` people of ``pool`` meeting ``quotas``."""

    pool: Pool
    quotas: Quotas
    panel_size: int

    def __post_init__(self) -> None:
        if self.panel_size <= 0:
            raise InputError(
                "bad_panel_size", "the panel size must be at least 1", panel_size=self.panel_size
            )
        if self.panel_size > self.pool.size:
            raise InputError(
                "panel_larger_than_pool",
                f"the panel size {self.panel_size} is larger than the pool "
                f"({self.pool.size} people)",
                panel_size=self.panel_size,
                pool_size=self.pool.size,
            )
        if self.pool.features.shape[1] != len(self.quotas.categories):
            raise InputError("bad_shape", "features must have one column per category")

    @cached_property
    def incidence(self) -> np.ndarray:
        """``(n_rows, n)`` 0/1 matrix: person ``i`` counts towards quota row ``r``."""
        n = self.pool.size
        matrix = np.zeros((self.quotas.n_rows, n), dtype=np.int8)
        for c, rows in enumerate(self.quotas.row_index):
            matrix[np.asarray(rows)[self.pool.features[:, c]], np.arange(n)] = 1
        return matrix
