from __future__ import annotations

import csv
import io

from assembly.csvfiles import csv_bytes, neutralise


def test_formulas_are_written_as_text() -> None:
    for attack in ("=HYPERLINK(\"http://x\")", "+31 6", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(attack) == "'" + attack
    assert neutralise("Anna de Vries") == "Anna de Vries"
    assert neutralise(-5) == "-5" and neutralise(0.25) == "0.25" and neutralise(None) == ""


def test_a_file_reads_back_with_every_cell_inert() -> None:
    data = csv_bytes(["naam", "aantal"], [["=1+1", 3], ["Zoë", -1]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["naam", "aantal"], ["'=1+1", "3"], ["Zoë", "-1"]]
