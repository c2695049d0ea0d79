"""The one writer of the CSV files that people open in a spreadsheet: every export.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return) as a formula, so a registrant who calls themselves
``=HYPERLINK(…)`` could make an organiser's spreadsheet fetch a URL or worse (CSV
injection, OWASP). Text cells that start with one of these are written with a leading
apostrophe, which spreadsheets show as plain text; numbers are written as numbers.

Files start with a UTF-8 byte-order mark, so Excel reads names like "Zoë" correctly.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell's text, made inert when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_lines(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The file as it is written, a few rows at a time (for large exports)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    yield codecs.BOM_UTF8
    writer.writerow([neutralise(cell) for cell in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(cell) for cell in row])
        if count % 1000 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """The whole file at once."""
    return b"".join(csv_lines(header, rows))
