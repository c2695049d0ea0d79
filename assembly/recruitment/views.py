"""Recruitment pages in the organisers' area: address list, lottery, letters."""

from __future__ import annotations

import codecs
import math
import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit, jobs
from ..access import (
    EDITORS,
    assembly_by_slug,
    current_staff,
    require_assembly_access,
    staff_required,
)
from ..db import get_session
from ..downloads import private_download
from ..flashing import flash_form_errors
from ..models import Assembly
from ..settings import settings
from . import import_job, letters, service
from .forms import DrawForm, ImportForm, LetterTextForm

bp = Blueprint("recruitment", __name__, url_prefix="/beheer/a/<slug>/werving")

REASONS = {
    "missing_column": _l("This required column is missing."),
    "columns": _l("The row has a different number of columns than the header."),
    "empty": _l("Empty; a value is required."),
    "too_long": _l("Too long."),
    "postcode": _l("Not a Dutch postcode (1234 AB)."),
    "house_number": _l(
        "Not a house number (a number, optionally with an addition: 12, 12a, 12-2)."
    ),
    "adults": _l("Must be a whole number from 0 to 99."),
    "duplicate": _l("This address id already occurs higher up in the file."),
    "encoding": _l("The file cannot be read from here on: save it as CSV in UTF-8."),
}
FATAL_REASONS = ("missing_column", "encoding")
# One PDF holds at most this many letters (about 12 seconds to make on a small server), so
# a download never runs into the time limits of web servers and proxies.
LETTERS_PER_PDF = 1000


def _overview(
    item: Assembly,
    import_form: ImportForm,
    draw_form: DrawForm,
    letter_form: LetterTextForm | None = None,
) -> str:
    session = get_session()
    user = current_staff()
    batches = service.batches(session, item)
    if letter_form is None:
        letter_form = LetterTextForm(formdata=None)
        letter_form.letter_text.data = letters.text_of(item)
    latest_import = import_job.latest(session, item)
    return render_template(
        "recruitment/overview.html",
        assembly=item,
        addresses=service.address_count(session, item),
        invited=service.invitation_count(session, item),
        municipalities=service.strata(session, item, "municipality"),
        districts=service.strata(session, item, "district"),
        batches=[(b, service.allocation_of(b), _pdf_parts(b.letters)) for b in batches],
        import_form=import_form,
        draw_form=draw_form,
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
@staff_required()
def overview(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    return _overview(item, ImportForm(formdata=None), DrawForm(formdata=None))


@bp.post("/adressen")
@staff_required()
def import_addresses(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ImportForm()
    back = redirect(url_for("recruitment.overview", slug=item.slug), code=303)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    try:
        record = import_job.start(
            session, current_staff(), item, form.file.data.stream, only_valid=form.only_valid.data
        )
    except service.ListInUse:
        session.rollback()
        flash(
            _(
                "Letters have already been drawn from the current address list, so it can no "
                "longer be replaced."
            ),
            "error",
        )
        return back  # type: ignore[return-value]
    except import_job.ImportRunning:
        session.rollback()
        flash(_("An address list is being imported already. Wait until it is done."), "error")
        return redirect(url_for("recruitment.import_status", slug=item.slug), code=303)  # type: ignore[return-value]
    session.commit()
    try:
        jobs.enqueue(import_job.import_job, record.id)
    except (OSError, ConnectionError):
        import_job.abandon(session, record)
        session.commit()
        flash(_("The import could not be started. Try again in a few minutes."), "error")
    return redirect(url_for("recruitment.import_status", slug=item.slug), code=303)  # type: ignore[return-value]


@bp.get("/import")
@staff_required()
def import_status(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    record = import_job.latest(get_session(), item)
    report = import_job.report_of(record) if record is not None else None
    # The file as a whole could not be read: importing only its valid rows would not help.
    fatal = report is not None and any(e.reason in FATAL_REASONS for e in report.errors)
    retry = ImportForm(formdata=None)
    if record is not None:
        retry.only_valid.data = not fatal and (
            record.only_valid or record.status == import_job.REJECTED
        )
    active = record is not None and import_job.is_active(record)
    return render_template(
        "recruitment/import_status.html",
        assembly=item,
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


@bp.post("/loting")
@staff_required()
def draw(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = DrawForm()
    back = redirect(url_for("recruitment.overview", slug=item.slug), code=303)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    draw_request = service.DrawRequest(
        letters=form.letters.data or 0,
        strata_kind=form.strata_kind.data or "municipality",
        weights=getattr(form, "parsed_weights", {}),
        seed=form.seed.data or "",
    )
    try:
        batch = service.draw_batch(session, current_staff(), item, draw_request)
    except service.NoAddresses:
        session.rollback()
        flash(_("Import the address list first."), "error")
    except service.TooManyLetters as exc:
        session.rollback()
        flash(_("Only %(count)s addresses have not been invited yet.", count=exc.args[0]), "error")
    except service.NothingToDraw:
        session.rollback()
        flash(_("No letters could be drawn: every stratum has weight 0."), "error")
    except service.UnknownStratum as exc:
        session.rollback()
        flash(_("There is no stratum called “%(name)s” in the list.", name=exc.args[0]), "error")
    else:
        session.commit()
        flash(
            _(
                "Batch %(number)s drawn: %(letters)s letters, seed %(seed)s.",
                number=batch.number,
                letters=batch.letters,
                seed=batch.seed,
            ),
            "success",
        )
    return back  # type: ignore[return-value]


@bp.get("/brieven.csv")
@staff_required()
def letters_csv(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    number = request.args.get("batch", type=int)
    session = get_session()
    if number is not None and not any(b.number == number for b in service.batches(session, item)):
        abort(404)
    # Who took the codes out of the system is worth knowing; the codes themselves never
    # enter the log.
    audit.record(session, current_staff(), "recruitment.export", item, {"batch": number or "all"})
    # Written to an anonymous temporary file (in memory up to 1 MB) so memory stays flat and
    # the transaction (on SQLite: the write lock) ends before the download starts.
    out = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b")  # noqa: SIM115
    out.write(codecs.BOM_UTF8)  # spreadsheet and mail-merge programs then read UTF-8
    for chunk in service.mail_merge_rows(session, item, settings().base_url, number):
        out.write(chunk.encode())
    session.commit()
    out.seek(0)
    name = f"brieven-{item.slug}" + (f"-{number}" if number is not None else "") + ".csv"
    return private_download(out, mimetype="text/csv", name=name)


@bp.post("/brieftekst")
@staff_required()
def letter_text(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = LetterTextForm()
    back = redirect(url_for("recruitment.overview", slug=item.slug, _anchor="brieven"), code=303)
    if form.validate_on_submit():
        session = get_session()
        try:
            standard = letters.save_text(
                session, current_staff(), item, form.letter_text.data or ""
            )
        except letters.LetterTextError as exc:
            session.rollback()
            form.letter_text.errors = [_letter_text_error(exc)]  # type: ignore[assignment]
        else:
            session.commit()
            if standard:
                flash(_("The letters use the standard text."), "success")
            else:
                flash(_("The letter text has been saved."), "success")
            return back
    return _overview(item, ImportForm(formdata=None), DrawForm(formdata=None), form)


def _letter_text_error(exc: letters.LetterTextError) -> str:
    if isinstance(exc, letters.UnknownPlaceholder):
        return _(
            "Unknown placeholder: %(names)s. You can use %(known)s.",
            names=", ".join(f"{{{name}}}" for name in exc.args[0]),
            known=", ".join(f"{{{name}}}" for name in letters.PLACEHOLDERS),
        )
    if isinstance(exc, letters.StrayBrace):
        return _("A { or } that is not part of a placeholder. Remove it.")
    if isinstance(exc, letters.UnprintableCharacters):
        return _(
            "These characters cannot be printed in the letter: %(chars)s. Remove or replace them.",
            chars=" ".join(exc.args[0]),
        )
    return _("The text is too long for one page. Make it shorter.")


@bp.get("/brieven.pdf")
@staff_required()
def letters_pdf(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    number = request.args.get("batch", type=int)
    part = request.args.get("deel", default=1, type=int)
    session = get_session()
    batches = service.batches(session, item)
    if number is not None:
        batches = [b for b in batches if b.number == number]
        if not batches:
            abort(404)
    total = sum(b.letters for b in batches)
    if part < 1 or (part - 1) * LETTERS_PER_PDF >= max(total, 1):
        abort(404)
    query = service.letter_rows_query(item, number)
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
    letters.write_pdf(
        out, item, rows, settings().base_url, title=f"{item.name} – {name}"
    )
    out.seek(0)
    return private_download(out, mimetype="application/pdf", name=f"{name}.pdf")


@bp.get("/voorbeeldbrief.pdf")
@staff_required()
def sample_pdf(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug))
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
