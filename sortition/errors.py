"""Typed errors of the sortition engine.

Every error carries a stable ``code`` and a dict of ``params`` so that a caller (the web
application, the CLI) can translate the message; ``str(error)`` gives an English text.
"""

from __future__ import annotations

from typing import Any


class SortitionError(Exception):
    """Base class: ``code`` names the kind of problem, ``params`` its details.

    The location fields (``file``, ``row``, ``column``) are filled in when the problem
    comes from an input file; ``row`` counts lines as a spreadsheet does (the header is
    row 1).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.params: dict[str, Any] = dict(params)
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def located(
        self, *, file: str | None = None, row: int | None = None, column: str | None = None
    ) -> SortitionError:
        """Return a copy of this error with its location filled in where it was empty."""
        return type(self)(
            self.code,
            self.message,
            file=self.file if self.file is not None else file,
            row=self.row if self.row is not None else row,
            column=self.column if self.column is not None else column,
            **self.params,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self),
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "params": self.params,
        }


class InputError(SortitionError):
    """The input files or arrays are malformed (bad column, unknown value, ...)."""


class InfeasibleError(SortitionError):
    """No panel meets every quota; ``params['diagnosis']`` holds a :class:`Diagnosis`."""


class SolverError(SortitionError):
    """The solver failed or ran out of time."""
