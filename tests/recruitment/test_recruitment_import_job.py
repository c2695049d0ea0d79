"""The address import through the background job (jobs run at once in the tests)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from assembly.db import get_session, new_session
from assembly.models import Address, AddressImport, AddressImportRow, AuditEntry
from assembly.recruitment import import_job, lottery
from assembly.recruitment.addresses import ListInUse
from assembly.settings import settings
from assembly.timeutil import utcnow

from ..conftest import login
from .helpers import address_rows, assembly, csv_bytes

VALID = address_rows({"Goes": 12, "Veere": 8})
BAD = "0009,Markt,1,nope,Goes,Goes,,"


def _post(client, data: bytes, **fields):
    return client.post(
        "/beheer/a/beraad-a/werving/adressen",
        data={"file": (io.BytesIO(data), "adressen.csv"), **fields},
        content_type="multipart/form-data",
    )


def _count(app, model) -> int:
    with app.app_context():
        return get_session().exec(select(func.count()).select_from(model)).one()


def _latest(app) -> AddressImport:
    with app.app_context():
        record = import_job.latest(get_session(), assembly("beraad-a"))
        assert record is not None
        return record


def _start(app, data: bytes, *, only_valid: bool = False) -> int:
    """An upload saved and queued, not yet run (as when the worker is busy)."""
    with app.app_context():
        session = get_session()
        record = import_job.start(
            session, None, assembly("beraad-a"), io.BytesIO(data), only_valid=only_valid
        )
        session.commit()
        assert record.id is not None
        return record.id


def _run(app, import_id: int) -> None:
    with app.app_context():
        import_job.run(import_id)


def test_upload_runs_as_a_job_and_the_file_is_deleted(client, app, world, import_folder) -> None:
    login(client, world.emails["organiser"])
    response = _post(client, csv_bytes(VALID))
    assert response.status_code == 303
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "20 adressen geïmporteerd; 0 regels met fouten overgeslagen." in page
    assert 'http-equiv="refresh"' not in page  # done: nothing to wait for
    assert _count(app, Address) == 20
    assert _count(app, AddressImportRow) == 0
    assert list(import_folder.iterdir()) == []
    record = _latest(app)
    assert (record.status, record.rows_read, record.imported, record.bytes_read) == (
        "done",
        20,
        20,
        record.upload_bytes,
    )
    with app.app_context():
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "recruitment.import"))
            .one()
        )
    assert entry.actor == f"staff:{record.user_id} {world.emails['organiser']}"
    assert json.loads(entry.payload) == {
        "rows": 20,
        "imported": 20,
        "skipped_invalid": 0,
        "replaced": 0,
    }


def test_rows_with_errors_leave_everything_as_it_was(client, app, world, import_folder) -> None:
    login(client, world.emails["organiser"])
    _post(client, csv_bytes(VALID))
    _post(client, csv_bytes([BAD, *address_rows({"Tholen": 3}, prefix="T")]))
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "Er is niets opgeslagen: 1 van de 4 regels bevatten fouten." in page
    assert "Geen Nederlandse postcode" in page
    # the organiser may choose the file again with "only the valid rows" already ticked
    assert '<input checked id="only_valid"' in page
    assert _count(app, Address) == 20  # the old list
    assert _count(app, AddressImportRow) == 0
    assert list(import_folder.iterdir()) == []
    assert _latest(app).status == "rejected"


def test_import_only_the_valid_rows(client, app, world) -> None:
    login(client, world.emails["organiser"])
    _post(client, csv_bytes([VALID[0], BAD, VALID[1]]), only_valid="y")
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "2 adressen geïmporteerd; 1 regels met fouten overgeslagen." in page
    assert "Overgeslagen regels met fouten" in page and "Geen Nederlandse postcode" in page
    assert _count(app, Address) == 2


def test_a_file_that_cannot_be_read_offers_no_valid_rows(client, app, world) -> None:
    login(client, world.emails["organiser"])
    _post(client, csv_bytes(VALID, "address_id,street,postcode,city,municipality"))
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "het bestand kan niet als adressenlijst worden gelezen" in page
    assert '<input checked id="only_valid"' not in page and 'id="only_valid"' in page


def test_progress_is_written_while_the_file_is_read(app, world, monkeypatch) -> None:
    monkeypatch.setattr("assembly.recruitment.addresses.BATCH_SIZE", 7)
    import_id = _start(app, csv_bytes(VALID[:10] + [BAD] + VALID[10:]), only_valid=True)
    seen: list[tuple[int, int, int]] = []
    stage = import_job._stage

    def watch(session, *args, **kwargs) -> None:
        stage(session, *args, **kwargs)
        # what another request (the progress page) reads after each short transaction
        other = new_session(app)
        record = other.get(AddressImport, import_id)
        staged = import_job.staged_rows(other, import_id)
        seen.append((record.rows_read, record.invalid_rows, staged))
        other.close()

    monkeypatch.setattr(import_job, "_stage", watch)
    _run(app, import_id)
    assert seen == [(0, 0, 0), (7, 0, 7), (14, 1, 13), (21, 1, 20), (21, 1, 20)]
    assert _latest(app).status == "done" and _count(app, Address) == 20


def test_progress_page_refreshes_until_done(client, app, world, import_folder) -> None:
    import_id = _start(app, csv_bytes(VALID))
    assert [p.name for p in import_folder.iterdir()] == [_latest(app).upload_name]
    with app.app_context():
        session = get_session()
        record = session.get(AddressImport, import_id)
        record.status, record.rows_read, record.invalid_rows = "running", 1234, 5
        record.bytes_read = record.upload_bytes // 2
        session.commit()
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "1234" in page and ">5<" in page
    assert 'value="50"' in page and "50%" in page
    quiet = client.get("/beheer/a/beraad-a/werving/import?vernieuwen=nee").text
    assert 'http-equiv="refresh"' not in quiet and "1234" in quiet
    overview = client.get("/beheer/a/beraad-a/werving/").text
    assert "Er wordt een adressenlijst ingelezen." in overview and 'type="file"' not in overview
    # a second upload waits for the first
    response = _post(client, csv_bytes(VALID))
    assert response.headers["Location"].endswith("/werving/import")
    assert (
        "Er wordt al een adressenlijst ingelezen."
        in client.get("/beheer/a/beraad-a/werving/import").text
    )


def test_a_stopped_import_does_not_block_a_new_one(client, app, world) -> None:
    import_id = _start(app, csv_bytes(VALID))
    with app.app_context():
        session = get_session()
        record = session.get(AddressImport, import_id)
        record.status = "running"
        record.updated_at = utcnow() - settings().import_stale_after - timedelta(seconds=1)
        session.commit()
        session.add(
            AddressImportRow(
                import_id=import_id,
                external_id="x",
                street="x",
                house_number="1",
                postcode="4331 AB",
                city="x",
                municipality="x",
            )
        )
        session.commit()
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "Het inlezen is gestopt door een fout." in page
    _post(client, csv_bytes(VALID))
    assert _latest(app).status == "done" and _count(app, Address) == 20
    assert _count(app, AddressImportRow) == 0  # the stopped import's rows are gone too


def test_nothing_is_half_saved_when_the_job_fails(app, world, import_folder, monkeypatch) -> None:
    _run(app, _start(app, csv_bytes(VALID)))

    def broken(*args, **kwargs) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("assembly.recruitment.addresses.audit_import", broken)
    _run(app, _start(app, csv_bytes(address_rows({"Tholen": 30}, prefix="T"))))
    record = _latest(app)
    assert (record.status, record.failure) == ("failed", "error")
    with app.app_context():
        addresses = get_session().exec(select(Address.external_id)).all()
    assert len(addresses) == 20 and not any(a.startswith("T") for a in addresses)
    assert _count(app, AddressImportRow) == 0
    assert list(import_folder.iterdir()) == []


def test_an_unreadable_row_halfway_saves_nothing(app, world, monkeypatch) -> None:
    monkeypatch.setattr("assembly.recruitment.addresses.BATCH_SIZE", 5)
    data = csv_bytes(VALID) + "0099,Straße,1,4331 AB,Goes,Goes,,\r\n".encode("latin-1")
    _run(app, _start(app, data, only_valid=True))
    record = _latest(app)
    assert record.status == "rejected"
    assert import_job.report_of(record).errors[-1].reason == "encoding"
    assert _count(app, Address) == 0 and _count(app, AddressImportRow) == 0


def test_letters_drawn_during_the_import_keep_the_old_list(app, world) -> None:
    _run(app, _start(app, csv_bytes(VALID)))
    import_id = _start(app, csv_bytes(address_rows({"Tholen": 5}, prefix="T")))
    with app.app_context():
        session = get_session()
        lottery.draw_batch(session, None, assembly("beraad-a"), lottery.DrawRequest(letters=2))
        session.commit()
    _run(app, import_id)
    record = _latest(app)
    assert (record.status, record.failure) == ("rejected", "list_in_use")
    assert _count(app, Address) == 20
    with app.app_context(), pytest.raises(ListInUse):
        import_job.start(get_session(), None, assembly("beraad-a"), io.BytesIO(b""))


def test_a_job_delivered_twice_runs_once(app, world) -> None:
    import_id = _start(app, csv_bytes(VALID))
    _run(app, import_id)
    _run(app, import_id)
    with app.app_context():
        entries = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "recruitment.import"))
            .all()
        )
    assert len(entries) == 1


def test_queue_down_marks_the_import_failed(client, app, world, import_folder, monkeypatch) -> None:
    def down(*args, **kwargs) -> None:
        raise ConnectionError("redis unreachable")

    monkeypatch.setattr("assembly.jobs.enqueue", down)
    login(client, world.emails["organiser"])
    response = _post(client, csv_bytes(VALID))
    assert response.status_code == 303
    assert (_latest(app).status, _latest(app).failure) == ("failed", "queue")
    assert list(import_folder.iterdir()) == []
    assert "Het inlezen kon niet beginnen." in client.get("/beheer/a/beraad-a/werving/import").text


def test_no_import_yet(client, world) -> None:
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/import").text
    assert "Er is hier nog geen bestand geüpload." in page


def test_default_folder_is_in_the_instance_folder(make_app) -> None:
    app = make_app()
    assert import_job.upload_folder(app) == Path(app.instance_path) / "imports"
