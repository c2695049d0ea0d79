"""Recruitment pages in the organisers' area: address list, lottery, letters."""

from __future__ import annotations

import codecs
import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from .. import audit
from ..access import EDITORS, current_staff, require_assembly_access, staff_required
from ..db import get_session
from ..models import Assembly
from . import service
from .forms import DrawForm, ImportForm

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


def _assembly(slug: str) -> Assembly | None:
    return get_session().exec(select(Assembly).where(Assembly.slug == slug)).first()


def _overview(item: Assembly, import_form: ImportForm, draw_form: DrawForm) -> str:
    session = get_session()
    user = current_staff()
    batches = service.batches(session, item)
    return render_template(
        "recruitment/overview.html",
        assembly=item,
        addresses=service.address_count(session, item),
        invited=service.invitation_count(session, item),
        municipalities=service.strata(session, item, "municipality"),
        districts=service.strata(session, item, "district"),
        batches=[(b, service.allocation_of(b)) for b in batches],
        import_form=import_form,
        draw_form=draw_form,
        can_edit=user is not None and user.role in EDITORS,
    )


def _flash_errors(*forms: ImportForm | DrawForm) -> None:
    for form in forms:
        for field_errors in form.errors.values():
            for error in field_errors:
                flash(str(error), "error")


@bp.get("/")
@staff_required()
def overview(slug: str) -> str:
    item = require_assembly_access(_assembly(slug))
    return _overview(item, ImportForm(formdata=None), DrawForm(formdata=None))


@bp.post("/adressen")
@staff_required()
def import_addresses(slug: str) -> Response | str:
    item = require_assembly_access(_assembly(slug), roles=EDITORS)
    form = ImportForm()
    back = redirect(url_for("recruitment.overview", slug=item.slug), code=303)
    if not form.validate_on_submit():
        _flash_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    try:
        report = service.import_addresses(
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
    except service.ImportRejected as rejected:
        session.rollback()
        retry = ImportForm(formdata=None)
        retry.only_valid.data = True
        return render_template(
            "recruitment/import_report.html",
            assembly=item,
            report=rejected.report,
            reasons=REASONS,
            form=retry,
        )
    session.commit()
    flash(
        _(
            "%(imported)s addresses imported; %(skipped)s rows with errors skipped.",
            imported=report.imported,
            skipped=report.invalid_rows,
        ),
        "success",
    )
    return back  # type: ignore[return-value]


@bp.post("/loting")
@staff_required()
def draw(slug: str) -> Response:
    item = require_assembly_access(_assembly(slug), roles=EDITORS)
    form = DrawForm()
    back = redirect(url_for("recruitment.overview", slug=item.slug), code=303)
    if not form.validate_on_submit():
        _flash_errors(form)
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
    item = require_assembly_access(_assembly(slug), roles=EDITORS)
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
    for chunk in service.mail_merge_rows(session, item, current_app.config["BASE_URL"], number):
        out.write(chunk.encode())
    session.commit()
    out.seek(0)
    name = f"brieven-{item.slug}" + (f"-{number}" if number is not None else "") + ".csv"
    response = send_file(out, mimetype="text/csv", as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
