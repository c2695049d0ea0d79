from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter

from assembly.demo.recruitment import DEMO_SEED, ZEELAND, address_csv
from assembly.recruitment import views

from ..conftest import login


def test_demo_addresses_follow_the_population() -> None:
    rows = list(csv.DictReader(io.StringIO(address_csv(13_000).decode())))
    per_municipality = Counter(r["municipality"] for r in rows)
    assert set(per_municipality) == {name for name, _p, _pc in ZEELAND}
    assert per_municipality["Terneuzen"] > per_municipality["Goes"] > per_municipality["Kapelle"]
    assert address_csv(500) == address_csv(500)  # the same every time


def test_demo_has_an_address_list_and_a_batch_of_letters(app) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    found = re.search(r"letter batch 1: (\d+) letters", result.output)
    assert found, result.output
    letters = int(found[1])
    client = app.test_client()
    login(client, "organisator@example.org", "demo-password-1")
    page = client.get("/beheer/a/zorg-zeeland-demo/werving/").text
    assert "Noord-Beveland" in page and DEMO_SEED in page
    export = client.get("/beheer/a/zorg-zeeland-demo/werving/brieven.csv?batch=1")
    assert export.data.decode("utf-8-sig").count("\n") == letters + 1
    # The letters come as PDF files of at most 1,000 letters each.
    parts = math.ceil(letters / views.LETTERS_PER_PDF)
    assert page.count("brieven.pdf?batch=1") == parts
    sample = client.get("/beheer/a/zorg-zeeland-demo/werving/voorbeeldbrief.pdf")
    assert sample.status_code == 200 and sample.data.startswith(b"%PDF")
