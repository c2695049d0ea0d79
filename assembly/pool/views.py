"""The respondent pool (aanmeldingen) and the privacy page in the organisers' area."""

from __future__ import annotations

import codecs
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

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
from ..models import Assembly, Registration
from ..questionnaire.questions import load_questions, option_label, question_text
from ..questionnaire.session_dates import load_session_dates
from ..recruitment import service as recruitment
from ..registration import forms as registration_forms
from ..registration import service as registrations
from . import commands, privacy, service
from .forms import (
    ConfirmForm,
    ImportForm,
    PurgeAddressesForm,
    PurgeUnselectedForm,
    RetentionForm,
    staff_form_class,
)

bp = Blueprint("pool", __name__, url_prefix="/beheer/a/<slug>", cli_group=None)

CHANNEL_LABELS = {
    "letter": _l("Letter"),
    "open": _l("Open registration"),
    "staff": _l("By staff"),
    "import": _l("Imported"),
}
STATUS_LABELS = {
    "active": _l("In the pool"),
    "withdrawn": _l("Withdrawn"),
    "purged": _l("Data removed"),
}
REASONS = {
    "missing_column": _l("This required column is missing."),
    "columns": _l("The row has a different number of columns than the header."),
    "empty": _l("Empty; a value is required."),
    "too_long": _l("Too long."),
    "contact": _l("Neither an e-mail address nor a phone number."),
    "email": _l("Not a valid e-mail address."),
    "phone": _l("Not a valid phone number."),
    "value": _l("Not one of the values or answers of this category."),
    "availability": _l("Not a session: use its number, its date or its name."),
    "code": _l("No letter of this assembly has this code."),
    "household_full": _l("As many people have registered with this code as live at the address."),
    "duplicate": _l("This person already occurs higher up in the file."),
    "too_many": _l("Too many rows: import at most 20,000 at a time."),
    "encoding": _l("The file cannot be read from here on: save it as CSV in UTF-8."),
}


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDITORS


def _registration(item: Assembly, reference: str) -> Registration:
    found = service.find(get_session(), item, reference)
    if found is None:
        abort(404)
    return found


def _labels() -> dict[str, Any]:
    return {"channel_labels": CHANNEL_LABELS, "status_labels": STATUS_LABELS}


def _field_errors(form: FlaskForm) -> bool:
    """Whether a field other than the CSRF token has an error, to show next to it."""
    return bool(form.errors.keys() - {"csrf_token"})


# --- the table ---------------------------------------------------------------------------


def _query_from_args() -> service.PoolQuery:
    args = request.args
    options = tuple(sorted({v for v in args.getlist("value", type=int) if v > 0}))
    return service.PoolQuery(
        search=(args.get("q") or "")[:200],
        options=options,
        channel=args.get("channel", "") if args.get("channel") in service.CHANNELS else "",
        status=args.get("status", "") if args.get("status") in service.STATUSES else "",
        sort=args.get("sort", "newest") if args.get("sort") in service.SORTS else "newest",
        page=max(1, args.get("page", 1, type=int) or 1),
    )


def _page_args(query: service.PoolQuery, page: int) -> dict[str, Any]:
    args: dict[str, Any] = {"page": page}
    if query.search:
        args["q"] = query.search
    if query.options:
        args["value"] = list(query.options)
    if query.channel:
        args["channel"] = query.channel
    if query.status:
        args["status"] = query.status
    if query.sort != "newest":
        args["sort"] = query.sort
    return args


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """Page links: the first, the last and two either side of the current (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


@bp.get("/aanmeldingen/")
@staff_required()
def index(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    session = get_session()
    personal = _can_edit()
    query = _query_from_args()
    page = service.pool_page(session, item, query, personal=personal)
    return render_template(
        "pool/index.html",
        assembly=item,
        query=query,
        page=page,
        questions=load_questions(session, item),
        counts=service.counts(session, item),
        page_numbers=_page_numbers(page.page, page.pages),
        page_args=lambda n: _page_args(query, n),
        can_edit=personal,
        channels=service.CHANNELS,
        statuses=service.STATUSES,
        **_labels(),
    )


@bp.get("/aanmeldingen/samenstelling")
@staff_required()
def composition(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    session = get_session()
    return render_template(
        "pool/composition.html",
        assembly=item,
        categories=service.composition(session, item),
        responses=service.response_rates(session, item),
        other_channels=service.other_channels(session, item),
        counts=service.counts(session, item),
        option_label=option_label,
        question_text=question_text,
        **_labels(),
    )


# --- one person ----------------------------------------------------------------------------


def _staff_form(item: Assembly, *, with_code: bool) -> tuple[FlaskForm, Any, Any]:
    session = get_session()
    questions = load_questions(session, item)
    dates = load_session_dates(session, item)
    form_class = staff_form_class(questions, dates, with_code=with_code)
    return form_class(), questions, dates


@bp.route("/aanmeldingen/nieuw", methods=["GET", "POST"])
@staff_required()
def new(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    form, questions, dates = _staff_form(item, with_code=True)
    fields: Any = form
    if form.validate_on_submit():
        data = registration_forms.data_from_form(form, questions, dates)
        invitation = None
        code = (fields.code.data or "").strip()
        if code:
            invitation = recruitment.find_invitation(session, item, code)
            if invitation is None:
                fields.code.errors = [_("No letter of this assembly has this code.")]
        if not fields.code.errors:
            try:
                registration, _token = registrations.register(
                    session,
                    item,
                    data,
                    channel="staff",
                    invitation=invitation,
                    actor=current_staff(),
                )
            except registrations.RegistrationInvalid as invalid:
                session.rollback()
                registration_forms.attach_errors(form, invalid.errors)
            except registrations.HouseholdFull:
                session.rollback()
                fields.code.errors = [
                    _("As many people have registered with this code as live at the address.")
                ]
            else:
                session.commit()
                flash(
                    _("%(name)s has been added to the pool (%(reference)s).",
                      name=registration.name, reference=registration.reference),
                    "success",
                )  # fmt: skip
                return redirect(  # type: ignore[return-value]
                    url_for("pool.detail", slug=item.slug, reference=registration.reference),
                    code=303,
                )
    return render_template(
        "pool/new.html", assembly=item, form=form, questions=questions, **_labels()
    )


@bp.route("/aanmeldingen/<reference>", methods=["GET", "POST"])
@staff_required()
def detail(slug: str, reference: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug))
    can_edit = _can_edit()
    if request.method == "POST" and not can_edit:
        abort(403)
    session = get_session()
    registration = _registration(item, reference)
    questions = load_questions(session, item)
    dates = load_session_dates(session, item)
    form: FlaskForm | None = None
    if can_edit and registration.purged_at is None:
        form = staff_form_class(questions, dates, with_code=False)()
        if not form.is_submitted():
            registration_forms.fill_form(form, registrations.data_of(session, registration))
        elif form.validate():
            data = registration_forms.data_from_form(form, questions, dates)
            try:
                registrations.update_registration(
                    session, registration, data, actor=current_staff(), staff=True
                )
            except registrations.RegistrationInvalid as invalid:
                session.rollback()
                registration_forms.attach_errors(form, invalid.errors)
            else:
                session.commit()
                flash(_("The changes have been saved."), "success")
                return redirect(  # type: ignore[return-value]
                    url_for("pool.detail", slug=item.slug, reference=registration.reference),
                    code=303,
                )
    answers = registrations.answers_of(session, registration)
    available = registrations.availability_of(session, registration)
    return render_template(
        "pool/detail.html",
        assembly=item,
        registration=registration,
        status=service.status_of(registration),
        questions=questions,
        answers=answers,
        dates=dates,
        available=available,
        household=service.household_members(session, registration),
        form=form,
        confirm_form=ConfirmForm(formdata=None),
        can_edit=can_edit,
        display_phone=registrations.display_phone,
        option_label=option_label,
        question_text=question_text,
        date_label=registration_forms.session_date_label,
        **_labels(),
    )


def _status_change(slug: str, reference: str, *, withdraw: bool) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    registration = _registration(item, reference)
    back = redirect(
        url_for("pool.detail", slug=item.slug, reference=registration.reference), code=303
    )
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    try:
        if withdraw:
            registrations.withdraw(session, registration, actor=current_staff())
        else:
            service.reactivate(session, registration, actor=current_staff())
    except registrations.RegistrationGone:
        session.rollback()
        flash(_("The personal data of this registration has been removed."), "error")
        return back  # type: ignore[return-value]
    session.commit()
    if withdraw:
        flash(_("The registration has been withdrawn."), "success")
    else:
        flash(_("The registration is in the pool again."), "success")
    return back  # type: ignore[return-value]


@bp.post("/aanmeldingen/<reference>/intrekken")
@staff_required()
def withdraw(slug: str, reference: str) -> Response:
    return _status_change(slug, reference, withdraw=True)


@bp.post("/aanmeldingen/<reference>/heractiveren")
@staff_required()
def reactivate(slug: str, reference: str) -> Response:
    return _status_change(slug, reference, withdraw=False)


# --- CSV in and out ------------------------------------------------------------------------


def _import_page(item: Assembly, form: ImportForm, report: Any = None) -> str:
    session = get_session()
    return render_template(
        "pool/import.html",
        assembly=item,
        form=form,
        report=report,
        reasons=REASONS,
        questions=load_questions(session, item),
        dates=load_session_dates(session, item),
        option_label=option_label,
    )


@bp.get("/aanmeldingen/import")
@staff_required()
def import_form(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    return _import_page(item, ImportForm(formdata=None))


@bp.post("/aanmeldingen/import")
@staff_required()
def import_registrations(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ImportForm()
    if not form.validate_on_submit():
        if _field_errors(form):
            return _import_page(item, form)
        flash_form_errors(form)
        return redirect(url_for("pool.import_form", slug=item.slug), code=303)  # type: ignore[return-value]
    session = get_session()
    try:
        report = service.import_registrations(
            session,
            current_staff(),
            item,
            form.file.data.stream,
            consent=bool(form.consent.data),
            only_valid=bool(form.only_valid.data),
        )
    except service.ImportRejected as rejected:
        session.rollback()
        retry = ImportForm(formdata=None)
        retry.only_valid.data = True
        return _import_page(item, retry, rejected.report)
    session.commit()
    flash(
        _(
            "%(imported)s people imported; %(skipped)s rows with errors skipped.",
            imported=report.imported,
            skipped=report.invalid_rows,
        ),
        "success",
    )
    return redirect(url_for("pool.index", slug=item.slug, channel="import"), code=303)  # type: ignore[return-value]


@bp.get("/aanmeldingen/export.csv")
@staff_required()
def export(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    people = service.export_people(session, item)
    service.record_export(session, current_staff(), item, people)
    session.commit()
    body = codecs.BOM_UTF8 + service.export_csv(people).encode()
    return private_download(body, mimetype="text/csv", name=f"mensen-{item.slug}.csv")


# --- privacy -------------------------------------------------------------------------------


def _privacy_page(
    item: Assembly,
    retention_form: RetentionForm | None = None,
) -> str:
    session = get_session()
    state = privacy.status(session, item)
    if retention_form is None:
        retention_form = RetentionForm(formdata=None, retention_months=item.retention_months)
    return render_template(
        "pool/privacy.html",
        assembly=item,
        state=state,
        due_on=privacy.purge_due_on(item, state.panel.final_at) if state.panel else None,
        retention_form=retention_form,
        addresses_form=PurgeAddressesForm(formdata=None),
        unselected_form=PurgeUnselectedForm(formdata=None),
        can_edit=_can_edit(),
    )


@bp.get("/privacy")
@staff_required()
def privacy_page(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    return _privacy_page(item)


@bp.post("/privacy/bewaartermijn")
@staff_required()
def retention(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = RetentionForm()
    back = redirect(url_for("pool.privacy_page", slug=item.slug), code=303)
    if not form.validate_on_submit():
        if _field_errors(form):
            return _privacy_page(item, form)
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    privacy.set_retention(session, item, form.retention_months.data or 0, actor=current_staff())
    session.commit()
    flash(_("The retention period has been saved."), "success")
    return back  # type: ignore[return-value]


@bp.post("/privacy/adressen")
@staff_required()
def purge_addresses(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = PurgeAddressesForm()
    back = redirect(url_for("pool.privacy_page", slug=item.slug), code=303)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    try:
        count = privacy.purge_addresses(session, item, actor=current_staff())
    except privacy.LettersNotSent:
        session.rollback()
        flash(_("The address list is still needed: no letters have been drawn yet."), "error")
        return back  # type: ignore[return-value]
    session.commit()
    flash(
        _("Street, house number and postcode removed from %(count)s addresses.", count=count),
        "success",
    )
    return back  # type: ignore[return-value]


@bp.post("/privacy/niet-gekozen")
@staff_required()
def purge_unselected(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = PurgeUnselectedForm()
    back = redirect(url_for("pool.privacy_page", slug=item.slug), code=303)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    panel = privacy.final_panel(session, item)
    if panel is None:
        flash(_("This is not possible yet: there is no final panel."), "error")
        return back  # type: ignore[return-value]
    result = privacy.purge_unselected(
        session, item, panel.keep_registration_ids, actor=current_staff()
    )
    session.commit()
    flash(
        _("The personal data of %(count)s people who were not selected has been removed.",
          count=result.purged),
        "success",
    )  # fmt: skip
    return back  # type: ignore[return-value]


bp.cli.add_command(commands.purge_expired)
