from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import select

from assembly.db import get_session
from assembly.models import AuditEntry, Registration
from assembly.pool import privacy
from sortition import Instance, draw, find_distribution
from sortition.io import load_people, load_quotas

from .conftest import BASE, Pool

PEOPLE = [
    # name, letter, answers that differ from the default 65-79 woman from Walcheren
    ("Anna Jansen", 0, {}),
    ("Bert Jansen", 0, {"geslacht": "man", "leeftijd": "16-24"}),
    ("Cor de Wit", 1, {"geslacht": "man", "opleiding": "hoog"}),
    ("Dina Bos", 2, {"leeftijd": "16-24", "regio": "Oosterschelderegio"}),
    ("Eef Smit", 3, {"geslacht": "man", "leeftijd": "35-49", "zorgen": "niet bezorgd"}),
    ("Fien Prins", None, {"leeftijd": "50-64", "opleiding": "laag"}),
    ("Gijs Kramer", None, {"geslacht": "man", "leeftijd": "16-24", "opleiding": "hoog"}),
    # Said no to storing their opinion: exported as "onbekend".
    ("Hanna Vos", 4, {"leeftijd": "50-64", "zorgen": "onbekend", "consent_special": False}),
]


def fill(pool: Pool) -> dict[str, str]:
    refs = {}
    for name, letter, answers in PEOPLE:
        channel = "letter" if letter is not None else "staff"
        refs[name] = pool.register(name, channel=channel, letter=letter, **answers)
    pool.withdraw(pool.register("Weg Gegaan", leeftijd="16-24"))
    purged = pool.register("Al Gewist")
    with pool.session() as (session, item):
        others = session.exec(select(Registration.id).where(Registration.reference != purged)).all()
        privacy.purge_unselected(session, item, others, actor="test")
    return refs


def test_export_in_the_sortition_format_round_trips(organiser, pool: Pool, tmp_path: Path) -> None:
    refs = fill(pool)
    response = organiser.get(f"{BASE}/aanmeldingen/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "id",
        "geslacht",
        "leeftijd",
        "opleiding",
        "regio",
        "zorgen",
        "household",
    ]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == set(refs.values())  # not the withdrawn or purged person
    assert by_id[refs["Hanna Vos"]]["zorgen"] == "onbekend"
    assert by_id[refs["Anna Jansen"]]["household"] == by_id[refs["Bert Jansen"]]["household"]
    assert "Jansen" not in response.data.decode()

    people = tmp_path / "mensen.csv"
    people.write_bytes(response.data)
    categories = tmp_path / "quota.csv"
    lines = ["feature,value,min,max"]
    for category, options in pool.options.items():
        for value in options:
            low = 1 if (category, value) == ("leeftijd", "16-24") else 0
            lines.append(f"{category},{value},{low},4")
    categories.write_text("\n".join(lines) + "\n")

    quotas = load_quotas(categories)
    table = load_people(people, quotas, address_columns=["household"])
    result = find_distribution(Instance(table.pool, quotas, 4))
    panel = draw(result, table.pool.ids, "openbare loting 1")
    assert len(panel.selected) == 4 and set(panel.selected) <= set(refs.values())
    households = [by_id[person]["household"] for person in panel.selected]
    assert len(set(households)) == 4  # one person per household
    assert any(by_id[person]["leeftijd"] == "16-24" for person in panel.selected)

    with pool.app.app_context():
        log = [e for e in get_session().exec(select(AuditEntry)) if e.action == "pool.export"]
    assert len(log) == 1 and '"rows": 8' in log[0].payload
    assert log[0].actor.startswith("staff:")
