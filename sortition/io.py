"""Reading the categories (quotas) and people CSV files.

Both loaders accept what spreadsheets actually export: a UTF-8 byte-order mark, ``;`` or
tab instead of ``,`` (detected from the header line), header names in any case and with
stray spaces, and blank lines. Everything else that is wrong raises an
:class:`~sortition.errors.InputError` naming the file, the row (as a spreadsheet numbers
it: the header is row 1) and the column.

Error codes raised here (besides those of :mod:`sortition.model`):

``file_not_found``, ``not_utf8``, ``not_text`` (binary data), ``empty_file`` (no header),
``no_rows`` (header only),
``duplicate_column``, ``missing_column``, ``wrong_field_count``, ``not_integer``,
``negative_quota``, ``min_above_max``, ``duplicate_quota``, ``empty_value``,
``unknown_value``, ``duplicate_id``, ``empty_id``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, overload

from .errors import InputError, SortitionError
from .model import Pool, Quota, Quotas, normalize

_DELIMITERS = (",", ";", "\t")
# Joins the address fields into one household key; a control character cannot occur in
# a real address, so two different addresses never give the same key.
_KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as read: the header, the non-blank data rows and their row numbers.

    Attributes
    ----------
    file : the file name used in error messages (the path as given).
    delimiter : the field separator detected from the header line.
    header : the column names, stripped of surrounding spaces.
    rows : the data rows, each exactly ``len(header)`` fields long.
    row_numbers : the spreadsheet row number of each data row (header = 1).
    """

    file: str
    delimiter: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_numbers: tuple[int, ...]

    def column(self, name: str, *, purpose: str = "") -> int:
        """Index of the column called ``name`` (case- and space-insensitive).

        Raises
        ------
        InputError : ``missing_column`` located on the header row.
        """
        key = normalize(name)
        for index, heading in enumerate(self.header):
            if normalize(heading) == key:
                return index
        what = f" ({purpose})" if purpose else ""
        raise InputError(
            "missing_column",
            f"there is no column {name!r}{what}; the columns are: " + ", ".join(self.header),
            file=self.file,
            row=1,
            column=name,
            columns=list(self.header),
        )

    def find(self, name: str) -> int | None:
        """Index of column ``name``, or ``None`` when there is none."""
        key = normalize(name)
        for index, heading in enumerate(self.header):
            if normalize(heading) == key:
                return index
        return None


def detect_delimiter(header_line: str) -> str:
    """The most frequent candidate separator in the header line (outside quotes).

    Detecting from the header alone is reliable because column names seldom contain
    separators, whereas data (addresses, "Noord-Holland; Zuid") may well.
    """
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _decode(data: bytes, file: str) -> str:
    try:
        # utf-8-sig drops the byte-order mark that Excel writes in "CSV UTF-8" files.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Guessing another encoding could silently garble names; a clear message that
        # says how to re-save the file is safer.
        row = data[: error.start].count(b"\n") + 1
        raise InputError(
            "not_utf8",
            "the file is not UTF-8 text; save it from the spreadsheet as 'CSV UTF-8'",
            file=file,
            row=row,
        ) from None


def read_csv(path: str | Path) -> CsvTable:
    """Read a CSV file into a :class:`CsvTable` (see the module docstring for what is accepted).

    Blank rows (no field with any text) are skipped but still counted in the row
    numbers. Extra empty fields at the end of a row are dropped, because spreadsheets
    add them for formatted but empty cells.

    Raises
    ------
    InputError : ``file_not_found``, ``not_utf8``, ``empty_file``, ``duplicate_column``,
        ``wrong_field_count``.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file_not_found", "the file does not exist", file=file) from None
    except OSError as error:
        raise InputError(
            "file_unreadable", f"the file cannot be read: {error.strerror}", file=file
        ) from None
    text = _decode(data, file)
    if "\x00" in text:
        # NUL never occurs in text: a spreadsheet's own format, an archive or an image.
        raise InputError(
            "not_text",
            "this is not a CSV file (it holds binary data); save it from the spreadsheet "
            "as 'CSV UTF-8'",
            file=file,
        )
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = detect_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: tuple[str, ...] | None = None
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    try:
        for number, record in enumerate(reader, start=1):
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = _check_header(record, file, number)
                continue
            if len(record) > len(header) and not any(f.strip() for f in record[len(header) :]):
                record = record[: len(header)]
            if len(record) != len(header):
                raise InputError(
                    "wrong_field_count",
                    f"the row has {len(record)} fields but the header has {len(header)}",
                    file=file,
                    row=number,
                    expected=len(header),
                    found=len(record),
                )
            rows.append(tuple(record))
            numbers.append(number)
    except csv.Error as error:
        raise InputError(
            "bad_csv", f"the file is not valid CSV: {error}", file=file, row=reader.line_num
        ) from None
    if header is None:
        raise InputError("empty_file", "the file is empty", file=file)
    return CsvTable(file, delimiter, header, tuple(rows), tuple(numbers))


def _check_header(record: Sequence[str], file: str, number: int) -> tuple[str, ...]:
    # Trailing empty headings come from formatted but unused spreadsheet columns.
    names = [name.strip() for name in record]
    while names and not names[-1]:
        names.pop()
    seen: dict[str, str] = {}
    for name in names:
        key = normalize(name)
        if key in seen:
            raise InputError(
                "duplicate_column",
                f"the column {name!r} appears twice",
                file=file,
                row=number,
                column=name,
            )
        seen[key] = name
    return tuple(names)


@overload
def _parse_count(
    text: str, *, file: str, row: int, column: str, optional: Literal[False]
) -> int: ...


@overload
def _parse_count(
    text: str, *, file: str, row: int, column: str, optional: Literal[True]
) -> int | None: ...


def _parse_count(text: str, *, file: str, row: int, column: str, optional: bool) -> int | None:
    """A quota number: a whole number of people, at least 0."""
    stripped = text.strip()
    if not stripped and optional:
        return None
    try:
        value = int(stripped)
    except ValueError:
        raise InputError(
            "not_integer",
            f"{stripped!r} is not a whole number" if stripped else "the number is missing",
            file=file,
            row=row,
            column=column,
            value=text,
        ) from None
    if value < 0:
        raise InputError(
            "negative_quota",
            f"{value} is negative",
            file=file,
            row=row,
            column=column,
            value=text,
        )
    return value


def load_quotas(path: str | Path) -> Quotas:
    """Read the categories file into :class:`~sortition.model.Quotas`.

    The header is either ``feature,value,min,max`` (optionally ``min_flex,max_flex``), or
    the older ``category,feature,min,max`` where ``category`` is the category's name and
    ``feature`` the value. ``category,value,min,max`` is accepted as well.

    Raises
    ------
    InputError : for any malformed content, located by file, row and column.
    """
    table = read_csv(path)
    file = table.file
    if table.find("value") is not None:
        value_col = table.column("value")
        found = table.find("feature")
        category_col = found if found is not None else table.find("category")
        if category_col is None:
            category_col = table.column("feature", purpose="the category name")
    elif table.find("category") is not None:
        category_col = table.column("category")
        value_col = table.column("feature", purpose="the value")
    else:
        raise InputError(
            "missing_column",
            "the header must be 'feature,value,min,max' (or 'category,feature,min,max'); "
            "found: " + ", ".join(table.header),
            file=file,
            row=1,
            column="feature",
            columns=list(table.header),
        )
    bound_cols = {name: table.column(name) for name in ("min", "max")}
    flex_cols = {name: table.find(name) for name in ("min_flex", "max_flex")}
    if not table.rows:
        raise InputError("no_rows", "the file has a header but no quotas", file=file)
    quotas = []
    for record, row in zip(table.rows, table.row_numbers, strict=True):
        for col in (category_col, value_col):
            if not record[col].strip():
                raise InputError(
                    "empty_value", "the cell is empty", file=file, row=row, column=table.header[col]
                )
        bounds = {
            name: _parse_count(
                record[col], file=file, row=row, column=table.header[col], optional=False
            )
            for name, col in bound_cols.items()
        }
        flex = {
            name: _parse_count(
                record[col], file=file, row=row, column=table.header[col], optional=True
            )
            for name, col in flex_cols.items()
            if col is not None
        }
        quotas.append(
            Quota(
                record[category_col].strip(),
                record[value_col].strip(),
                bounds["min"],
                bounds["max"],
                flex.get("min_flex"),
                flex.get("max_flex"),
                row=row,
            )
        )
    try:
        return Quotas(tuple(quotas))
    except SortitionError as error:
        raise error.located(file=file) from None


@dataclass(frozen=True, eq=False)
class PeopleTable:
    """The people file as read, plus the :class:`~sortition.model.Pool` built from it.

    Attributes
    ----------
    file : the file name (as given), for messages.
    header : the original column names.
    rows : the original rows (non-blank ones), as strings; written back unchanged to
        ``selected.csv`` and ``remaining.csv``.
    pool : ``pool.ids[i]`` is the id of ``rows[i]``.
    generated_ids : True when the file has no id column and the ids are the people's
        numbers "1", "2", ... in file order.
    id_column : the id column's name, ``None`` when the ids are generated.
    row_numbers : spreadsheet row number of each person (header = row 1).
    delimiter : the field separator of the file, to write outputs the same way.
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    pool: Pool
    generated_ids: bool
    id_column: str | None
    row_numbers: tuple[int, ...]
    delimiter: str = ","

    def index(self, person_id: str) -> int:
        """Position of the person with id ``person_id``.

        Raises
        ------
        InputError : ``unknown_id``.
        """
        try:
            return self._positions[person_id.strip()]
        except KeyError:
            raise InputError(
                "unknown_id", f"there is nobody with id {person_id!r}", file=self.file, id=person_id
            ) from None

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {person: i for i, person in enumerate(self.pool.ids)}


def load_people(
    path: str | Path,
    quotas: Quotas,
    *,
    id_column: str | None = None,
    address_columns: Sequence[str] | None = None,
) -> PeopleTable:
    """Read the people file and build the pool for ``quotas``.

    Parameters
    ----------
    path : the CSV file: an id column, one column per category, any other columns.
    quotas : the categories; every category must have a column, and every value in it
        must be one of the category's values (compared case- and space-insensitively).
    id_column : the column with unique ids. By default the first column, unless that is
        a category column (files with only category columns exist): then the people
        are numbered "1", "2", ... in file order and ``generated_ids`` is set.
    address_columns : columns that together identify a household (at most one person
        per household is selected). A person with all of them empty is a household of
        their own, since a missing address says nothing about who they live with.

    Raises
    ------
    InputError : located by file, row and column.
    """
    table = read_csv(path)
    file = table.file
    if not table.rows:
        raise InputError("no_rows", "the file has a header but no people", file=file)
    category_cols = [table.column(c, purpose="a category") for c in quotas.categories]
    if id_column is not None:
        id_col: int | None = table.column(id_column, purpose="the id column")
    elif 0 in category_cols:
        id_col = None
    else:
        id_col = 0
    address_cols = [table.column(a, purpose="an address column") for a in address_columns or ()]

    if id_col is None:
        ids = [str(i) for i in range(1, len(table.rows) + 1)]
    else:
        ids = [record[id_col].strip() for record in table.rows]
        _check_ids(ids, table, table.header[id_col])

    household_keys = None
    if address_cols:
        household_keys = []
        for i, record in enumerate(table.rows):
            parts = [normalize(record[c]) for c in address_cols]
            if any(parts):
                household_keys.append(_KEY_SEPARATOR.join(parts))
            else:
                household_keys.append(f"{_KEY_SEPARATOR}no address {i}")

    mappings = [
        {quotas.categories[c]: record[col] for c, col in enumerate(category_cols)}
        for record in table.rows
    ]
    try:
        # Numbered from 0 so that the offset maps back to the row list (blank lines
        # make spreadsheet row numbers non-contiguous).
        pool = Pool.from_rows(ids, mappings, quotas, household_keys=household_keys, first_row=0)
    except SortitionError as error:
        row = table.row_numbers[error.row] if error.row is not None else None
        column = error.column
        if column is not None and quotas.categories.count(column):
            column = table.header[category_cols[quotas.categories.index(column)]]
        raise type(error)(
            error.code, error.message, file=file, row=row, column=column, **error.params
        ) from None
    return PeopleTable(
        file=file,
        header=table.header,
        rows=table.rows,
        pool=pool,
        generated_ids=id_col is None,
        id_column=None if id_col is None else table.header[id_col],
        row_numbers=table.row_numbers,
        delimiter=table.delimiter,
    )


def _check_ids(ids: Sequence[str], table: CsvTable, column: str) -> None:
    seen: dict[str, int] = {}
    for person, row in zip(ids, table.row_numbers, strict=True):
        if not person:
            raise InputError("empty_id", "the id is empty", file=table.file, row=row, column=column)
        if person in seen:
            raise InputError(
                "duplicate_id",
                f"id {person!r} also appears on row {seen[person]}",
                file=table.file,
                row=row,
                column=column,
                id=person,
                first_row=seen[person],
            )
        seen[person] = row


__all__ = ["CsvTable", "PeopleTable", "load_people", "load_quotas", "read_csv"]
