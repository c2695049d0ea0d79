"""The inputs of the table groups: the participants and their columns, and a seat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import InputError
from ..model import normalize


class Seat(NamedTuple):
    """One person at one table of one session; sessions and tables count from 1."""

    session: int
    table: int
    id: str


@dataclass(frozen=True, eq=False)
class TablePeople:
    """The participants: unique ids and each person's value in each column.

    Attributes
    ----------
    ids : the ids; their order is the order of the output.
    columns : names of the columns that can be balanced or spread.
    values : ``values[i][c]`` is the value of person ``ids[i]`` in ``columns[c]``.
        Values are compared case- and space-insensitively. An empty cell is a value of
        its own in a balance column and no value at all in a spread column.
    """

    ids: tuple[str, ...]
    columns: tuple[str, ...] = ()
    values: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, person in enumerate(self.ids):
            if not person.strip():
                raise InputError("empty_id", f"person {i + 1} has an empty id", position=i)
            if person in seen:
                raise InputError("duplicate_id", f"the id {person!r} appears twice", id=person)
            seen[person] = i
        keys = [normalize(c) for c in self.columns]
        if len(set(keys)) != len(keys):
            raise InputError("duplicate_column", "two columns have the same name")
        if self.columns and len(self.values) != len(self.ids):
            raise InputError(
                "wrong_value_count",
                f"there are {len(self.ids)} ids but {len(self.values)} rows of values",
            )
        for i, row in enumerate(self.values):
            if len(row) != len(self.columns):
                raise InputError(
                    "wrong_value_count",
                    f"person {self.ids[i]!r} has {len(row)} values for {len(self.columns)} columns",
                    id=self.ids[i],
                )

    @classmethod
    def from_columns(
        cls, ids: Sequence[str], columns: Mapping[str, Sequence[str]] | None = None
    ) -> TablePeople:
        """Build from a list of ids and one list of values per column name."""
        names = tuple(columns or {})
        data = [list(columns[name]) for name in names] if columns else []
        for name, values in zip(names, data, strict=True):
            if len(values) != len(ids):
                raise InputError(
                    "wrong_value_count",
                    f"column {name!r} has {len(values)} values for {len(ids)} people",
                    column=name,
                )
        rows = tuple(tuple(values[i] for values in data) for i in range(len(ids)))
        return cls(tuple(ids), names, rows if names else ())

    def column_index(self, name: str) -> int:
        """Position of column ``name`` (case- and space-insensitive).

        Raises
        ------
        InputError : ``unknown_column``.
        """
        key = normalize(name)
        for index, column in enumerate(self.columns):
            if normalize(column) == key:
                return index
        raise InputError(
            "unknown_column",
            f"there is no column {name!r}; the columns are: " + ", ".join(self.columns),
            column=name,
            columns=list(self.columns),
        )
