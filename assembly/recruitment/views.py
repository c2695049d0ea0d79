"""Recruitment pages in the organisers' area: address list, lottery, letters."""

from __future__ import annotations

import codecs
import math
import tempfile

from flask import Response, abort, flash, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import audit, jobs
from ..access import EDITORS, current_staff
from ..actions import act, current_assembly, requires, see_other, staff_blueprint
from ..db import get_session
from ..downloads import private_download
from ..errors import ServiceError
from ..models import AddressImport, AddressImportStatus, InvitationBatch
from ..settings import settings
from ..tabular import REASONS as TABLE_REASONS
from . import addresses, import_job, letters, lottery, mail_merge
from .forms import DrawForm, ImportForm, LetterTextForm

bp = staff_blueprint("recruitment", __name__, url_prefix="/werving")

REASONS = {**TABLE_REASONS, **addresses.REASONS}
# One PDF holds at most this many letters (about 12 seconds to make on a small server), so
# a download never runs into the time limits of web servers and proxies.
LETTERS_PER_PDF = 1000


def _overview(letter_form: LetterTextForm | None = None) -> str:
    session = get_session()
    item = current_assembly()
    user = current_staff()
    batches = lottery.batches(session, item)
    if letter_form is None:
        letter_form = LetterTextForm(formdata=None)
        letter_form.letter_text.data = letters.text_of(item)
    latest_import = import_job.latest(session, item)
    return render_template(
        "recruitment/overview.html",
        assembly=item,
        addresses=addresses.address_count(session, item),
        invited=lottery.invitation_count(session, item),
        municipalities=lottery.strata(session, item, "municipality"),
        districts=lottery.strata(session, item, "district"),
        batches=[(b, lottery.allocation_of(b), _pdf_parts(b.letters)) for b in batches],
        import_form=ImportForm(formdata=None),
        draw_form=DrawForm(formdata=None),
        letter_form=letter_form,
        placeholders=_placeholder_help(),
        import_running=latest_import is not None and import_job.is_active(latest_import),
        can_edit=user is not None and user.role in EDITORS,
    )


def _pdf_parts(count: int) -> list[tuple[int, int, int]]:
    """(part, first letter, last letter) of each PDF file of ``count`` letters."""
    return [
        (part + 1, part * LETTERS_PER_PDF + 1, min(count, (part + 1) * LETTERS_PER_PDF))
        for part in range(math.ceil(count / LETTERS_PER_PDF))
    ]


def _placeholder_help() -> list[tuple[str, str]]:
    return [
        ("{aanhef}", _("“To the residents of” with the street and house number")),
        ("{code}", _("the personal registration code, such as K7QM-R2XT-9VDA")),
        ("{url}", _("the address of the registration page, with the code filled in")),
        ("{sluitingsdatum}", _("the last day to sign up (empty when no date is set)")),
        ("{assemblee}", _("the name of the assembly")),
    ]


@bp.get("/")
def overview() -> str:
    return _overview()


# --- the address list -------------------------------------------------------------------


@bp.post("/adressen")
@requires(*EDITORS)
def import_addresses() -> ResponseReturnValue:
    form = ImportForm()

    def refused(error: ServiceError) -> ResponseReturnValue:
        flash(error.text(), "error")
        running = isinstance(error, import_job.ImportRunning)
        return see_other(url_for(".import_status" if running else ".overview"))

    return act(
        form,
        lambda: import_job.start(
            get_session(),
            current_staff(),
            current_assembly(),
            form.file.data.stream,
            only_valid=bool(form.only_valid.data),
        ),
        to=_queue,
        failed=url_for(".overview"),
        on_error=refused,
    )


def _queue(record: AddressImport) -> str:
    """After the import is committed: queue its job, and show its progress."""
    try:
        jobs.enqueue(import_job.import_job, record.id)
    except (OSError, ConnectionError):
        session = get_session()
        import_job.abandon(session, record)
        session.commit()
        flash(_("The import could not be started. Try again in a few minutes."), "error")
    return url_for(".import_status")


@bp.get("/import")
@requires(*EDITORS)
def import_status() -> str:
    record = import_job.latest(get_session(), current_assembly())
    report = import_job.report_of(record) if record is not None else None
    # The file as a whole could not be read: importing only its valid rows would not help.
    fatal = report is not None and report.fatal
    retry = ImportForm(formdata=None)
    if record is not None:
        retry.only_valid.data = not fatal and (
            record.only_valid or record.status == AddressImportStatus.REJECTED
        )
    active = record is not None and import_job.is_active(record)
    return render_template(
        "recruitment/import_status.html",
        assembly=current_assembly(),
        record=record,
        active=active,
        # Refreshing can be switched off: a page that reloads itself is hard to read with
        # a screen reader or a magnifier.
        refresh=active and request.args.get("vernieuwen") != "nee",
        percent=import_job.progress_percent(record) if record is not None else 0,
        report=report,
        fatal=fatal,
        reasons=REASONS,
        form=retry,
    )


# --- the lottery ------------------------------------------------------------------------


@bp.post("/loting")
@requires(*EDITORS)
def draw() -> ResponseReturnValue:
    form = DrawForm()

    def drawn(batch: InvitationBatch) -> str:
        return str(
            _(
                "Batch %(number)s drawn: %(letters)s letters, seed %(seed)s.",
                number=batch.number,
                letters=batch.letters,
                seed=batch.seed,
            )
        )

    return act(
        form,
        lambda: lottery.draw_batch(
            get_session(),
            current_staff(),
            current_assembly(),
            lottery.DrawRequest(
                letters=form.letters.data or 0,
                strata_kind=form.strata_kind.data or "municipality",
                weights=getattr(form, "parsed_weights", {}),
                seed=form.seed.data or "",
            ),
        ),
        success=drawn,
        to=url_for(".overview"),
    )


# --- the letters ------------------------------------------------------------------------


def _batches(number: int | None) -> list[InvitationBatch]:
    """The batches of the letters asked for (all of them, or one); 404 for an unknown one."""
    batches = lottery.batches(get_session(), current_assembly())
    if number is not None:
        batches = [b for b in batches if b.number == number]
        if not batches:
            abort(404)
    return batches


@bp.get("/brieven.csv")
@requires(*EDITORS)
def letters_csv() -> Response:
    item = current_assembly()
    number = request.args.get("batch", type=int)
    _batches(number)
    session = get_session()
    # Who took the codes out of the system is worth knowing; the codes themselves never
    # enter the log.
    audit.record(session, current_staff(), "recruitment.export", item, {"batch": number or "all"})
    # Written to an anonymous temporary file (in memory up to 1 MB) so memory stays flat and
    # the transaction (on SQLite: the write lock) ends before the download starts.
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b")  # noqa: SIM115
    out.write(codecs.BOM_UTF8)  # spreadsheet and mail-merge programs then read UTF-8
    for chunk in mail_merge.mail_merge_rows(session, item, settings().base_url, number):
        out.write(chunk.encode())
    session.commit()
    out.seek(0)
    name = f"brieven-{item.slug}" + (f"-{number}" if number is not None else "") + ".csv"
    return private_download(out, mimetype="text/csv", name=name)


@bp.post("/brieftekst")
@requires(*EDITORS)
def letter_text() -> ResponseReturnValue:
    form = LetterTextForm()

    def saved(standard: bool) -> str:
        if standard:
            return str(_("The letters use the standard text."))
        return str(_("The letter text has been saved."))

    def refused(error: ServiceError) -> str:
        form.letter_text.errors = [error.text()]
        return _overview(form)

    return act(
        form,
        lambda: letters.save_text(
            get_session(), current_staff(), current_assembly(), form.letter_text.data or ""
        ),
        success=saved,
        to=url_for(".overview", _anchor="brieven"),
        on_invalid=lambda: _overview(form),
        on_error=refused,
    )


@bp.get("/brieven.pdf")
@requires(*EDITORS)
def letters_pdf() -> Response:
    item = current_assembly()
    number = request.args.get("batch", type=int)
    part = request.args.get("deel", default=1, type=int)
    total = sum(b.letters for b in _batches(number))
    if part < 1 or (part - 1) * LETTERS_PER_PDF >= max(total, 1):
        abort(404)
    session = get_session()
    query = mail_merge.letter_rows_query(item, number)
    query = query.offset((part - 1) * LETTERS_PER_PDF).limit(LETTERS_PER_PDF)
    rows = letters.letters_from_rows(session.execute(query))
    # Who printed which letters is worth knowing; the codes themselves never enter the log.
    audit.record(
        session,
        current_staff(),
        "recruitment.letters_pdf",
        item,
        {"batch": number or "all", "part": part, "letters": len(rows)},
    )
    # The rows are in memory and the transaction (on SQLite: the write lock) ends before the
    # pages are drawn.
    session.commit()
    out = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b")  # noqa: SIM115
    parts = math.ceil(total / LETTERS_PER_PDF)
    name = f"brieven-{item.slug}" + (f"-{number}" if number is not None else "")
    name += f"-deel-{part}" if parts > 1 else ""
    letters.write_pdf(out, item, rows, settings().base_url, title=f"{item.name} – {name}")
    out.seek(0)
    return private_download(out, mimetype="application/pdf", name=f"{name}.pdf")


@bp.get("/voorbeeldbrief.pdf")
def sample_pdf() -> Response:
    item = current_assembly()
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b")  # noqa: SIM115
    letters.write_pdf(
        out,
        item,
        [letters.sample_letter()],
        settings().base_url,
        title=f"{item.name} – voorbeeldbrief",
        sample=True,
    )
    out.seek(0)
    return send_file(out, mimetype="application/pdf", download_name="voorbeeldbrief.pdf")
