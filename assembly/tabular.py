"""The one reader of uploaded tables (CSV), for every import of the application.

It accepts what spreadsheets export, as the engine's own reader does (it shares its
delimiter detection): UTF-8 with or without a byte-order mark, ``,`` ``;`` or tab
(detected from the header line), column names in any case and with stray spaces,
hyphens or underscores, known aliases of a column (``postcode`` / ``pc``), and blank
lines. It reads row by row, so a file of half a million addresses never sits in memory.

What is wrong is reported as :class:`RowError` records (row, column, reason code), the
row numbered as a spreadsheet numbers it (the header is row 1). A file that cannot be
read at all raises :class:`TableUnreadable` with the row where reading stopped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from sortition.io import detect_delimiter

from .errors import ServiceError

# The longest cell we accept: real cells are short, and a longer one is refused by name
# ("too_long") rather than misread. Python's csv module refuses cells over 131,072
# characters by itself; those get the same reason.
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded table.

    ``row``: the spreadsheet row (header = 1); ``column``: the column as named in the
    file ("" for the whole row); ``reason``: a code that the page words.
    """

    row: int
    column: str
    reason: str


class TableUnreadable(ServiceError):
    """The file cannot be read (from ``row`` on); ``reason`` says why, as a code."""

    message = _l("The file cannot be read from row %(row)s on.")

    def __init__(self, reason: str, row: int, column: str = "") -> None:
        super().__init__(row=row)
        self.error = RowError(row, column, reason)


def column_key(name: str) -> str:
    """How column names are compared: case-folded, spaces, hyphens and underscores alike."""
    return re.sub(r"[\s\-_]+", "", name.casefold())


@dataclass(frozen=True)
class TableRow:
    """A non-blank data row of the table."""

    number: int
    cells: Sequence[str]
    table: Table

    @property
    def complete(self) -> bool:
        """The row has as many cells as the header (spreadsheets trim trailing empties)."""
        return len(self.cells) == len(self.table.header)

    def get(self, name: str) -> str:
        """The stripped cell of the column known as ``name`` ("" when absent or short)."""
        index = self.table.positions.get(name)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def cell(self, index: int) -> str:
        return self.cells[index].strip() if index < len(self.cells) else ""

    def error(self, name: str, reason: str) -> RowError:
        """A problem with this row's cell of column ``name`` (the whole row if unknown)."""
        return RowError(self.number, self.table.column_title(name), reason)


class Table:
    """A CSV upload opened for reading: its header now, its rows as they are read.

    Parameters
    ----------
    stream : the upload, read as bytes.
    columns : each known column's name with its accepted aliases (any spelling that
        :func:`column_key` makes equal also matches).
    required : the known columns that must be present.
    """

    def __init__(
        self,
        stream: IO[bytes],
        *,
        columns: Mapping[str, Sequence[str]] | None = None,
        required: Collection[str] = (),
    ) -> None:
        self._stream = stream
        self._line = 0
        first = self._read_line()
        if first is not None:
            first = first.removeprefix("\ufeff")  # Excel's "CSV UTF-8" byte-order mark
        while first is not None and not first.strip():
            first = self._read_line()
        if first is None:
            raise TableUnreadable("empty", 1)
        self.delimiter = detect_delimiter(first)
        self._pending: str | None = first
        header = next(self._records(), None)
        self.header: list[str] = [title.strip() for title in header or []]
        while self.header and not self.header[-1]:
            self.header.pop()
        aliases = {
            column_key(alias): name
            for name, names in (columns or {}).items()
            for alias in (name, *names)
        }
        self.positions: dict[str, int] = {}
        self.unknown: list[tuple[int, str]] = []
        for index, title in enumerate(self.header):
            name = aliases.get(column_key(title))
            if name is None:
                self.unknown.append((index, title))
            elif name not in self.positions:
                self.positions[name] = index
        self.missing = [name for name in required if name not in self.positions]

    # --- reading -----------------------------------------------------------------------

    def _read_line(self) -> str | None:
        # Lines are decoded one by one, so a byte that is not UTF-8 is found on its row.
        raw = self._stream.readline()
        if not raw:
            return None
        self._line += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise TableUnreadable("encoding", self._line) from None

    def _source(self) -> Iterator[str]:
        if self._pending is not None:
            line, self._pending = self._pending, None
            yield line
        while (following := self._read_line()) is not None:
            yield following

    def _records(self) -> Iterator[list[str]]:
        reader = csv.reader(self._source(), delimiter=self.delimiter)
        try:
            yield from reader
        except csv.Error as error:
            reason = "too_long" if "field larger" in str(error) else "bad_csv"
            raise TableUnreadable(reason, self._line) from None

    def rows(self) -> Iterator[TableRow]:
        """The non-blank data rows, in order; raises :class:`TableUnreadable` on a row
        that cannot be read (bytes that are not UTF-8, a cell longer than
        :data:`MAX_FIELD_CHARS`, a broken quote)."""
        for record in self._records():
            # map() with built-ins rather than generator expressions: this loop runs for
            # every row of half a million.
            if not any(map(str.strip, record)):
                continue
            if max(map(len, record)) > MAX_FIELD_CHARS:
                raise TableUnreadable("too_long", self._line)
            if len(record) > len(self.header) and not any(
                cell.strip() for cell in record[len(self.header) :]
            ):
                record = record[: len(self.header)]
            yield TableRow(self._line, record, self)

    def column_title(self, name: str) -> str:
        """The column called ``name`` as titled in the file ("" when it has none)."""
        index = self.positions.get(name)
        return self.header[index] if index is not None else ""


# --- the report of an import ----------------------------------------------------------------

# A report keeps this many row errors to show; it still counts every row with errors.
MAX_REPORTED_ERRORS = 200

# The reasons the reader and every import give, as the import pages word them; an import
# adds its own (a postcode, an e-mail address...).
REASONS: dict[str, LazyString] = {
    "missing_column": _l("This required column is missing."),
    "columns": _l("The row has a different number of columns than the header."),
    "empty": _l("Empty; a value is required."),
    "too_long": _l("Too long."),
    "encoding": _l("The file cannot be read from here on: save it as CSV in UTF-8."),
    "cell_too_long": _l(
        "A cell is longer than 10,000 characters: the file cannot be read from here on."
    ),
}
# The reasons that stop an import as a whole: importing only the valid rows cannot help.
FATAL_REASONS = ("missing_column", "encoding", "cell_too_long")


@dataclass
class ImportReport:
    """How an import of a table went: rows read, imported, and the errors found."""

    rows: int = 0
    imported: int = 0
    invalid_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    delimiter: str = ","
    saved: bool = False

    @property
    def more_errors(self) -> int:
        """Rows with errors beyond those listed."""
        return max(0, self.invalid_rows - len({e.row for e in self.errors}))

    @property
    def fatal(self) -> bool:
        """The file could not be used at all (see :data:`FATAL_REASONS`)."""
        return any(e.reason in FATAL_REASONS for e in self.errors)

    def add(self, error: RowError) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def invalid(self, errors: Iterable[RowError]) -> None:
        """Count one row with ``errors``."""
        self.invalid_rows += 1
        for error in errors:
            self.add(error)

    def missing(self, columns: Iterable[str]) -> None:
        """The header lacks these required columns (named as the page names them)."""
        self.invalid(RowError(1, name, "missing_column") for name in columns)

    def unreadable(self, error: TableUnreadable) -> None:
        """The file cannot be read from ``error``'s row on (also a broken quote)."""
        reason = "cell_too_long" if error.error.reason == "too_long" else "encoding"
        self.invalid([RowError(error.error.row, "", reason)])


class ImportRejected(ServiceError):
    """Nothing was imported: the file has errors (and the organiser did not choose to
    import only the valid rows), or cannot be used at all; ``report`` says which."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__()
        self.report = report
