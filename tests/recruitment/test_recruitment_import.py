from __future__ import annotations

import io
import json
import re
import tempfile

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.models import Address, AuditEntry
from assembly.recruitment import addresses, lottery
from assembly.tabular import ImportRejected

from ..conftest import PASSWORD, login
from .helpers import HEADER, address_rows, assembly, csv_bytes, upload

VALID = [
    "0001,Lange Delft,12,4331 AB,Middelburg,Middelburg,Centrum,2",
    "0002,Markt,3a,4331lk,Middelburg,Middelburg,Centrum,",
    "0003,Boulevard Bankert,101-2,4382 AC,Vlissingen,Vlissingen,Bankert,1",
    "0004,Nieuwstraat,7 A 2,4382 AD,Vlissingen,Vlissingen,Bankert,1",
]


def _import(app, data: bytes, **kwargs) -> addresses.AddressReport:
    with app.app_context():
        session = get_session()
        try:
            report = addresses.import_addresses(
                session, None, assembly("beraad-a"), upload(data), **kwargs
            )
        except ImportRejected:
            session.rollback()
            raise
        session.commit()
        return report


def _addresses(app) -> list[Address]:
    with app.app_context():
        return list(get_session().exec(select(Address).order_by(Address.external_id)))


def test_import_valid_file(app, world) -> None:
    report = _import(app, csv_bytes(VALID))
    assert (report.rows, report.imported, report.invalid_rows) == (4, 4, 0)
    addresses = _addresses(app)
    assert [a.external_id for a in addresses] == ["0001", "0002", "0003", "0004"]
    assert addresses[3].house_number == "7 A 2"
    assert addresses[1].postcode == "4331 LK"  # normalised
    assert addresses[1].house_number == "3a"
    assert addresses[0].adults == 2 and addresses[1].adults is None
    assert addresses[2].district == "Bankert"


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("0009,,1,4331 AB,Goes,Goes,,", "street", "empty"),
        (",Markt,1,4331 AB,Goes,Goes,,", "address_id", "empty"),
        ("0009,Markt,1,43310 AB,Goes,Goes,,", "postcode", "postcode"),
        ("0009,Markt,1,0331 AB,Goes,Goes,,", "postcode", "postcode"),
        ("0009,Markt,twaalf,4331 AB,Goes,Goes,,", "house_number", "house_number"),
        ("0009,Markt,1,4331 AB,,Goes,,", "city", "empty"),
        ("0009,Markt,1,4331 AB,Goes,,,", "municipality", "empty"),
        ("0009,Markt,1,4331 AB,Goes,Goes,,veel", "residents_16plus", "adults"),
        ("0009,Markt,1,4331 AB,Goes,Goes,,-1", "residents_16plus", "adults"),
        ("0009,Markt,1,4331 AB,Goes,Goes", "", "columns"),
        ("0001,Markt,1,4331 AB,Goes,Goes,,", "address_id", "duplicate"),
        ("0009,M" + "a" * 200 + ",1,4331 AB,Goes,Goes,,", "street", "too_long"),
    ],
)
def test_each_kind_of_invalid_row_is_reported_and_nothing_saved(
    app, world, row: str, column: str, reason: str
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        _import(app, csv_bytes([*VALID[:2], row, *VALID[2:]]))
    report = rejected.value.report
    assert report.rows == 5 and report.invalid_rows == 1
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(4, column, reason)]
    assert _addresses(app) == []


def test_missing_column_is_reported(app, world) -> None:
    header = HEADER.replace("postcode,", "")
    rows = [r.replace(",4331 AB", "") for r in address_rows({"Goes": 2})]
    with pytest.raises(ImportRejected) as rejected:
        _import(app, csv_bytes(rows, header), only_valid=True)
    assert [(e.row, e.column, e.reason) for e in rejected.value.report.errors] == [
        (1, "postcode", "missing_column")
    ]
    assert _addresses(app) == []


def test_not_utf8_is_reported(app, world) -> None:
    data = csv_bytes(VALID) + "0004,Straße,1,4331 AB,Goes,Goes,,\r\n".encode("latin-1")
    with pytest.raises(ImportRejected) as rejected:
        _import(app, data)
    assert rejected.value.report.errors[-1].reason == "encoding"
    assert _addresses(app) == []


def test_errors_keep_the_old_list(app, world) -> None:
    _import(app, csv_bytes(VALID))
    with pytest.raises(ImportRejected):
        _import(app, csv_bytes(["0010,Markt,1,nope,Goes,Goes,,"]))
    assert len(_addresses(app)) == 4


def test_semicolon_export_with_bom_and_dutch_headers(app, world) -> None:
    header = "Adres_ID;Straat;Huisnummer;Postcode;Woonplaats;Gemeente"
    rows = [
        "0001;Lange Delft;12;4331 AB;Middelburg;Middelburg",
        "0002;Kerkstraat, achter;7 B;4461 AA;Goes;Goes",
    ]
    data = (
        b"\xef\xbb\xbf"
        + (
            "\r\n".join([header, rows[0], '0002;"Kerkstraat, achter";7 B;4461 AA;Goes;Goes'])
            + "\r\n"
        ).encode()
    )
    report = _import(app, data)
    assert report.delimiter == ";" and report.imported == 2
    addresses = _addresses(app)
    assert addresses[0].external_id == "0001"  # not "\ufeff0001"
    assert addresses[1].street == "Kerkstraat, achter" and addresses[1].house_number == "7 B"
    assert addresses[1].district == "" and addresses[1].adults is None


def test_import_only_valid_rows(app, world) -> None:
    report = _import(
        app, csv_bytes([VALID[0], "0009,Markt,1,nope,Goes,Goes,,", VALID[1]]), only_valid=True
    )
    assert (report.rows, report.imported, report.invalid_rows) == (3, 2, 1)
    assert [a.external_id for a in _addresses(app)] == ["0001", "0002"]


def test_new_import_replaces_the_old_list_and_is_audited_without_personal_data(app, world) -> None:
    _import(app, csv_bytes(VALID))
    report = _import(app, csv_bytes(["0100,Markt,1,4461 AA,Goes,Goes,,"]))
    assert report.replaced == 4
    assert [a.external_id for a in _addresses(app)] == ["0100"]
    with app.app_context():
        entries = list(
            get_session().exec(select(AuditEntry).where(AuditEntry.action == "recruitment.import"))
        )
    assert [json.loads(e.payload) for e in entries] == [
        {"rows": 4, "imported": 4, "skipped_invalid": 0, "replaced": 0},
        {"rows": 1, "imported": 1, "skipped_invalid": 0, "replaced": 4},
    ]
    assert "Markt" not in entries[1].payload


def test_large_file_is_inserted_in_batches(app, world, monkeypatch) -> None:
    monkeypatch.setattr(addresses, "BATCH_SIZE", 7)
    report = _import(app, csv_bytes(address_rows({"Goes": 30, "Veere": 20})))
    assert report.imported == 50 and len(_addresses(app)) == 50


def test_list_cannot_be_replaced_after_a_draw(app, world) -> None:
    _import(app, csv_bytes(VALID))
    with app.app_context():
        session = get_session()
        lottery.draw_batch(session, None, assembly("beraad-a"), lottery.DrawRequest(letters=1))
        session.commit()
    with pytest.raises(addresses.ListInUse):
        _import(app, csv_bytes(VALID))


# --- through the web -------------------------------------------------------------------------


def _post(client, data: bytes, **fields):
    return client.post(
        "/beheer/a/beraad-a/werving/adressen",
        data={"file": (io.BytesIO(data), "adressen.csv"), **fields},
        content_type="multipart/form-data",
    )


def test_upload_shows_the_report_and_saves_nothing(client, app, world) -> None:
    login(client, world.emails["organiser"])
    response = _post(client, csv_bytes([VALID[0], "0009,Markt,1,nope,Goes,Goes,,"]))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/beheer/a/beraad-a/werving/import")
    page = client.get(response.headers["Location"]).text
    assert "Er is niets opgeslagen: 1 van de 2 regels bevatten fouten." in page
    assert "Geen Nederlandse postcode" in page
    assert _addresses(app) == []

    response = _post(client, csv_bytes([VALID[0], "0009,Markt,1,nope,Goes,Goes,,"]), only_valid="y")
    assert response.status_code == 303
    assert [a.external_id for a in _addresses(app)] == ["0001"]
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "Middelburg" in page


def test_upload_without_a_file_redirects_with_a_message(client, world) -> None:
    login(client, world.emails["organiser"])
    response = client.post("/beheer/a/beraad-a/werving/adressen", data={})
    assert response.status_code == 303
    assert "Kies een CSV-bestand" in client.get("/beheer/a/beraad-a/werving/").text


def test_reads_from_a_spooled_upload(app, world) -> None:
    # Werkzeug keeps large uploads in a temporary file rather than in memory.
    with tempfile.SpooledTemporaryFile(max_size=10) as spooled:
        spooled.write(csv_bytes(VALID))
        spooled.seek(0)
        with app.app_context():
            session = get_session()
            report = addresses.import_addresses(session, None, assembly("beraad-a"), spooled)
            session.commit()
        assert not spooled.closed
    assert report.imported == 4


def test_import_form_needs_the_csrf_token(make_app, world) -> None:
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_page = client.get("/inloggen").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    assert token
    client.post(
        "/inloggen",
        data={"email": world.emails["organiser"], "password": PASSWORD, "csrf_token": token[1]},
    )
    assert _post(client, csv_bytes(VALID)).status_code == 400
    page = client.get("/beheer/a/beraad-a/werving/").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    assert _post(client, csv_bytes(VALID), csrf_token=token[1]).status_code == 303


def test_overview_counts_have_a_thousands_separator(client, app, world) -> None:
    _import(app, csv_bytes(address_rows({"Middelburg": 1200})))
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "<dd>1.200</dd>" in page
    assert "<td>1.200</td><td>1.200</td><td>1.200</td>" in page
    assert "1200" not in page
