"""The address import as a background job, with progress the page can show.

On SQLite a single transaction that inserts half a million rows holds the database's write
lock for many seconds, longer than other requests wait for it. So the job reads the saved
upload into a staging table (``address_import_row``) in short transactions, recording its
progress with each one, and then replaces the address list in one transaction that only
copies rows inside the database (about 2-3 seconds for 500,000 addresses). The list is
therefore replaced completely or not at all, as with :func:`.addresses.import_addresses`,
which stays the way to import synchronously (tests, the demo, the benchmark).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, literal
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from .. import jobs
from ..db import new_session, session_scope
from ..errors import ServiceError
from ..models import Address, AddressImport, AddressImportRow, Assembly, User
from ..models import AddressImportStatus as Status
from ..settings import settings
from ..states import ADDRESS_IMPORT
from ..tabular import ImportRejected, RowError
from ..timeutil import utcnow
from ..tracked import Tracker
from . import addresses

log = logging.getLogger(__name__)

COPY_BUFFER = 1 << 20
# Imports are never restarted (a new upload is a new import), so there is one attempt.
ONLY_ATTEMPT = 1
IMPORTS = Tracker(
    AddressImport,
    heartbeat="updated_at",
    # A job updates its import with every few thousand rows; one that has been silent
    # this long was stopped (the worker was restarted), and a new upload may start.
    stale_after=lambda: settings().import_stale_after,
    stale_states=(Status.QUEUED, Status.RUNNING),
)


class ImportRunning(ServiceError):
    """An import of this assembly's list is still running."""

    message = _l("An address list is being imported already. Wait until it is done.")
    status = 409


def upload_folder(app: Flask | None = None) -> Path:
    """Where uploads wait for the job: ``IMPORT_FOLDER``, by default ``instance/imports``.
    The web process and the worker must both see it (one machine, or a shared volume)."""
    app = app or current_app
    return Path(settings(app).import_folder)


def latest(session: Session, assembly: Assembly) -> AddressImport | None:
    query = (
        select(AddressImport)
        .where(AddressImport.assembly_id == assembly.id)
        .order_by(col(AddressImport.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def is_active(record: AddressImport) -> bool:
    return record.status in (Status.QUEUED, Status.RUNNING) and not is_stale(record)


def is_stale(record: AddressImport) -> bool:
    """Queued or running, but not updated for a long time: the worker stopped."""
    return IMPORTS.is_stale(record)


def progress_percent(record: AddressImport) -> int:
    if record.status == Status.DONE:
        return 100
    if not record.upload_bytes:
        return 0
    return min(99, record.bytes_read * 100 // record.upload_bytes)


def report_of(record: AddressImport) -> addresses.AddressReport:
    """The row report of a finished import, as the synchronous import returns it."""
    return addresses.AddressReport(
        rows=record.rows_read,
        imported=record.imported,
        invalid_rows=record.invalid_rows,
        errors=[RowError(*error) for error in json.loads(record.errors or "[]")],
        delimiter=record.delimiter,
        saved=record.status == Status.DONE,
        replaced=record.replaced,
    )


def start(
    session: Session,
    actor: User | None,
    assembly: Assembly,
    upload: IO[bytes],
    *,
    only_valid: bool = False,
    folder: Path | None = None,
) -> AddressImport:
    """Save the upload and record a queued import; the caller commits, then enqueues
    :func:`import_job` with the import's id."""
    assert assembly.id is not None
    addresses.check_list_free(session, assembly)
    current = latest(session, assembly)
    if current is not None and is_active(current):
        raise ImportRunning()
    folder = folder or upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="address-import-", suffix=".csv", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(upload, out, COPY_BUFFER)
        record = AddressImport(
            assembly_id=assembly.id,
            user_id=actor.id if actor is not None else None,
            only_valid=only_valid,
            upload_name=path.name,
            upload_bytes=path.stat().st_size,
        )
        session.add(record)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return record


def abandon(session: Session, record: AddressImport, folder: Path | None = None) -> None:
    """The job could not be queued: mark the import failed and delete the upload."""
    (folder or upload_folder()).joinpath(record.upload_name).unlink(missing_ok=True)
    record.status = ADDRESS_IMPORT.move(record.status, Status.FAILED)
    record.failure = "queue"
    record.finished_at = record.updated_at = utcnow()
    session.add(record)


@jobs.job()
def import_job(import_id: int) -> None:
    run(import_id)


def run(import_id: int, app: Flask | None = None) -> None:
    """Read the upload of import ``import_id``, then replace the address list or report why
    not. Whatever happens, the upload and the staged rows are deleted at the end."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with session_scope(app) as session:
        if IMPORTS.claim(session, import_id) is None:
            return  # already handled (a job delivered twice)
        record = session.get(AddressImport, import_id)
        assert record is not None
        path = upload_folder(app) / record.upload_name
        # Rows left behind by an import whose worker was stopped.
        session.execute(
            delete(AddressImportRow).where(
                col(AddressImportRow.import_id).in_(
                    select(AddressImport.id).where(
                        AddressImport.assembly_id == record.assembly_id,
                        AddressImport.id != import_id,
                    )
                )
            )
        )
    try:
        _run(app, import_id, path)
    except Exception as exc:  # noqa: BLE001 - any failure must end as "failed", not "running"
        # Only the kind of error: database errors quote the rows (addresses) they were given.
        log.error("Address import %s failed: %s", import_id, type(exc).__name__)
        with session_scope(app) as session:
            _finish(session, import_id, Status.FAILED, failure="error")
    finally:
        path.unlink(missing_ok=True)
        with session_scope(app) as session:
            session.execute(
                delete(AddressImportRow).where(col(AddressImportRow.import_id) == import_id)
            )


def _run(app: Flask, import_id: int, path: Path) -> None:
    report = addresses.AddressReport()
    rejected = False
    session = new_session(app)
    try:
        with path.open("rb") as stream:
            chunks = addresses.read_addresses(stream, report)
            with contextlib.closing(chunks):
                for rows in chunks:
                    _stage(session, import_id, rows, report, stream.tell())
                    report.imported += len(rows)
    except ImportRejected:
        session.rollback()
        rejected = True
    finally:
        session.close()

    with session_scope(app) as session:
        record = session.get(AddressImport, import_id)
        assert record is not None
        if rejected or (report.invalid_rows and not record.only_valid):
            report.imported = 0
            _finish(session, import_id, Status.REJECTED, report)
            return
        assembly = session.get(Assembly, record.assembly_id)
        assert assembly is not None
        try:
            addresses.check_list_free(session, assembly)
        except addresses.ListInUse:  # letters were drawn from the old list in the meantime
            report.imported = 0
            _finish(session, import_id, Status.REJECTED, report, failure="list_in_use")
            return
        _replace_list(session, assembly, import_id, report)
        actor = session.get(User, record.user_id) if record.user_id else None
        addresses.audit_import(session, actor or "job:address-import", assembly, report)
        _finish(session, import_id, Status.DONE, report)


def _stage(
    session: Session,
    import_id: int,
    rows: list[addresses.Row],
    report: addresses.AddressReport,
    position: int,
) -> None:
    """Write one chunk of valid rows and the progress so far, in one short transaction."""
    if rows:
        addresses.insert_rows(session, AddressImportRow, "import_id", import_id, rows)
    IMPORTS.beat(
        session,
        import_id,
        ONLY_ATTEMPT,
        rows_read=report.rows,
        invalid_rows=report.invalid_rows,
        bytes_read=position,
    )
    session.commit()


def _replace_list(
    session: Session, assembly: Assembly, import_id: int, report: addresses.AddressReport
) -> None:
    """Swap the staged rows in for the old list, inside the database: the one long write."""
    report.replaced = addresses.delete_list(session, assembly)
    staged = [col(getattr(AddressImportRow, name)) for name in addresses.ROW_COLUMNS]
    rows = (
        sql_select(literal(assembly.id), *staged)
        .where(col(AddressImportRow.import_id) == import_id)
        .order_by(col(AddressImportRow.id))
    )
    session.execute(insert(Address).from_select(["assembly_id", *addresses.ROW_COLUMNS], rows))
    report.imported = addresses.address_count(session, assembly)


def _finish(
    session: Session,
    import_id: int,
    status: Status,
    report: addresses.AddressReport | None = None,
    *,
    failure: str = "",
) -> None:
    record = session.get(AddressImport, import_id)
    assert record is not None
    record.status = ADDRESS_IMPORT.move(record.status, status)
    record.failure = failure
    record.finished_at = record.updated_at = utcnow()
    if report is not None:
        record.rows_read = report.rows
        record.imported = report.imported
        record.invalid_rows = report.invalid_rows
        record.replaced = report.replaced
        record.delimiter = report.delimiter
        record.errors = json.dumps([[e.row, e.column, e.reason] for e in report.errors])
    session.add(record)


def staged_rows(session: Session, import_id: int) -> int:
    query = select(func.count()).select_from(AddressImportRow)
    return session.exec(query.where(AddressImportRow.import_id == import_id)).one()
