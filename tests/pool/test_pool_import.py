from __future__ import annotations

import io

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.models import AuditEntry, RegistrationAvailability
from assembly.pool import imports
from assembly.tabular import ImportRejected, ImportReport

from .conftest import BASE, Pool

HEADER = "name,email,phone,geslacht,leeftijd,opleiding,regio,zorgen,code,availability"


def valid_rows(pool: Pool) -> list[str]:
    code = pool.letters[0].code
    return [
        "Jan Jansen,jan@example.nl,06 12345678,man,65-79,hoog,Walcheren,zeer bezorgd,,1|2",
        # Answers by their label, in any case and with extra spaces; a date and a name.
        f"Marie Bakker,,0113-123456,Vrouw,25 tot en met 34 jaar,MIDDELBAAR,  walcheren ,"
        f"Zeg ik liever niet,{code},2027-02-06|bijeenkomst 4",
        f"Piet Visser,piet@example.org,,man,50-64,laag,Zeeuws-Vlaanderen,niet bezorgd,"
        f"{code.lower()},alle",
    ]


def csv_file(rows: list[str], header: str = HEADER, *, sep: str = ",", bom: bool = False) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    if sep != ",":
        text = text.replace(",", sep)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def run_import(pool: Pool, data: bytes, **kwargs: bool) -> ImportReport:
    with pool.session() as (session, item):
        try:
            return imports.import_registrations(
                session, "test", item, io.BytesIO(data), consent=True, **kwargs
            )
        except ImportRejected:
            session.rollback()
            raise


def test_import_a_valid_file(pool: Pool) -> None:
    report = run_import(pool, csv_file(valid_rows(pool)))
    assert (report.rows, report.imported, report.invalid_rows) == (3, 3, 0)
    jan, marie, piet = pool.all()
    assert {p.channel for p in (jan, marie, piet)} == {"import"}
    assert jan.invitation_id is None and jan.consent_privacy_at is not None
    assert marie.household_key == piet.household_key == f"inv:{pool.letters[0].id}"
    assert marie.phone == "+31113123456"
    with pool.app.app_context():
        session = get_session()
        available = {
            (a.registration_id, a.session_date_id)
            for a in session.exec(select(RegistrationAvailability))
        }
        log = [e for e in session.exec(select(AuditEntry)) if e.action == "pool.import"]
    assert {d for r, d in available if r == jan.id} == set(pool.dates[:2])
    assert {d for r, d in available if r == marie.id} == {pool.dates[0], pool.dates[3]}
    assert {d for r, d in available if r == piet.id} == set(pool.dates)
    assert len(log) == 1 and '"imported": 3' in log[0].payload and "Jansen" not in log[0].payload


def test_semicolons_and_a_byte_order_mark(pool: Pool) -> None:
    rows = [r.replace("|", "+") for r in valid_rows(pool)[:1]]
    report = run_import(pool, csv_file(rows, sep=";", bom=True))
    assert (report.delimiter, report.imported) == (";", 1)
    assert pool.all()[0].name == "Jan Jansen"


# Each kind of invalid row: (row, column named in the report, reason).
INVALID = [
    (",x@example.nl,,man,65-79,hoog,Walcheren,zeer bezorgd,,", "name", "empty"),
    ("Zonder Contact,,,man,65-79,hoog,Walcheren,zeer bezorgd,,", "", "contact"),
    ("Fout Mail,geen-mail,,man,65-79,hoog,Walcheren,zeer bezorgd,,", "email", "email"),
    ("Fout Tel,,12345,man,65-79,hoog,Walcheren,zeer bezorgd,,", "phone", "phone"),
    ("Fout Leeftijd,a@example.nl,,man,15-24,hoog,Walcheren,zeer bezorgd,,", "leeftijd", "value"),
    ("Geen Opleiding,a@example.nl,,man,65-79,,Walcheren,zeer bezorgd,,", "opleiding", "empty"),
    ("Fout Code,a@example.nl,,man,65-79,hoog,Walcheren,zeer bezorgd,2222-3333-4444,", "code",
     "code"),
    ("Fout Datum,a@example.nl,,man,65-79,hoog,Walcheren,zeer bezorgd,,7", "availability",
     "availability"),
    ("Te Kort,a@example.nl,,man,65-79,hoog,Walcheren", "", "columns"),
    ("Jan Jansen,jan@example.nl,06 12345678,man,16-24,laag,Walcheren,zeer bezorgd,,", "",
     "duplicate"),
]  # fmt: skip


def test_each_kind_of_invalid_row_is_reported_and_nothing_saved(pool: Pool) -> None:
    # One pool for all kinds (a fixture per kind would cost more than the checks).
    rows = valid_rows(pool)
    for row, column, reason in INVALID:
        with pytest.raises(ImportRejected) as rejected:
            run_import(pool, csv_file([*rows[:2], row, rows[2]]))
        report = rejected.value.report
        assert (report.rows, report.invalid_rows) == (4, 1), row
        assert [(e.row, e.column, e.reason) for e in report.errors] == [(4, column, reason)]
        assert pool.all() == []


def test_a_household_takes_no_more_people_than_live_there(pool: Pool) -> None:
    code = pool.letters[1].code  # the address has two residents aged 16+
    rows = [
        f"Persoon {i},p{i}@example.nl,,man,65-79,hoog,Walcheren,zeer bezorgd,{code},"
        for i in range(3)
    ]
    with pytest.raises(ImportRejected) as rejected:
        run_import(pool, csv_file(rows))
    assert [(e.row, e.reason) for e in rejected.value.report.errors] == [(4, "household_full")]


def test_a_missing_column_is_reported(pool: Pool) -> None:
    header = HEADER.replace("regio,", "")
    with pytest.raises(ImportRejected) as rejected:
        run_import(pool, csv_file([], header), only_valid=True)
    assert [(e.row, e.column, e.reason) for e in rejected.value.report.errors] == [
        (1, "regio", "missing_column")
    ]


def test_only_the_valid_rows_when_the_organiser_chooses(pool: Pool) -> None:
    rows = [*valid_rows(pool), "Fout,,,man,65-79,hoog,Walcheren,zeer bezorgd,,"]
    report = run_import(pool, csv_file(rows), only_valid=True)
    assert (report.imported, report.invalid_rows) == (3, 1)
    assert len(pool.all()) == 3


def test_the_import_page_reports_rows_and_needs_the_consent(organiser, pool: Pool) -> None:
    rows = [*valid_rows(pool)[:1], "Fout,,,man,15-24,hoog,Walcheren,zeer bezorgd,,"]
    upload = {"file": (io.BytesIO(csv_file(rows)), "mensen.csv")}
    response = organiser.post(f"{BASE}/aanmeldingen/import", data=dict(upload))
    assert response.status_code == 200  # the consent box was not ticked
    page = response.text
    assert 'id="consent-error"' in page
    assert "Bevestig dat deze mensen toestemming gaven." in page.split('id="consent-error"')[1]
    assert 'aria-describedby="consent-error"' in page and 'aria-invalid="true"' in page
    assert pool.all() == []

    response = organiser.post(f"{BASE}/aanmeldingen/import", data={"consent": "y"})
    page = response.text
    assert response.status_code == 200 and 'id="file-error"' in page
    assert 'aria-describedby="file-hint file-error"' in page
    assert 'id="consent-error"' not in page

    upload = {"file": (io.BytesIO(csv_file(rows)), "mensen.csv"), "consent": "y"}
    page = organiser.post(f"{BASE}/aanmeldingen/import", data=upload)
    assert page.status_code == 200
    assert "Er is niets opgeslagen: 1 van de 2 regels bevatten fouten." in page.text
    assert "Geen e-mailadres en geen telefoonnummer." in page.text
    assert "Geen van de waarden of antwoorden van deze categorie." in page.text
    assert pool.all() == []

    upload = {
        "file": (io.BytesIO(csv_file(rows)), "mensen.csv"),
        "consent": "y",
        "only_valid": "y",
    }
    response = organiser.post(f"{BASE}/aanmeldingen/import", data=upload)
    assert response.status_code == 303
    assert [p.name for p in pool.all()] == ["Jan Jansen"]
