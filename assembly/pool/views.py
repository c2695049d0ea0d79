"""The respondent pool (aanmeldingen) in the organisers' area: the table, one person,
entries by staff, the composition, and CSV in and out."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import EDITORS, current_staff
from ..actions import act, current_assembly, requires, staff_blueprint
from ..db import get_session
from ..downloads import private_download
from ..errors import ServiceError
from ..models import Channel, Registration
from ..questionnaire.questions import load_questions, option_label, question_text
from ..questionnaire.session_dates import load_session_dates, session_date_label
from ..registration import registrations
from ..registration.contact import display_phone
from ..registration.forms import ConfirmForm, PersonForm
from ..tabular import REASONS as TABLE_REASONS
from ..tabular import ImportRejected, ImportReport
from . import composition, export, imports, staff, table
from .forms import ImportForm, staff_form_class

bp = staff_blueprint("pool", __name__)

CHANNEL_LABELS = {
    Channel.LETTER: _l("Letter"),
    Channel.OPEN: _l("Open registration"),
    Channel.STAFF: _l("By staff"),
    Channel.IMPORT: _l("Imported"),
}
STATUS_LABELS = {
    table.PoolStatus.ACTIVE: _l("In the pool"),
    table.PoolStatus.WITHDRAWN: _l("Withdrawn"),
    table.PoolStatus.PURGED: _l("Data removed"),
}
REASONS = {**TABLE_REASONS, **imports.REASONS}


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDITORS


def _registration(reference: str) -> Registration:
    found = table.find(get_session(), current_assembly(), reference)
    if found is None:
        abort(404)
    return found


def _page(template: str, **context: Any) -> str:
    return render_template(
        template,
        assembly=current_assembly(),
        channel_labels=CHANNEL_LABELS,
        status_labels=STATUS_LABELS,
        **context,
    )


# --- the table ---------------------------------------------------------------------------


def _query_from_args() -> table.PoolQuery:
    args = request.args
    options = tuple(sorted({v for v in args.getlist("value", type=int) if v > 0}))
    channel = args.get("channel", "")
    status = args.get("status", "")
    sort = args.get("sort", "newest")
    return table.PoolQuery(
        search=(args.get("q") or "")[:200],
        options=options,
        channel=channel if channel in set(Channel) else "",
        status=status if status in set(table.PoolStatus) else "",
        sort=sort if sort in table.SORTS else "newest",
        page=max(1, args.get("page", 1, type=int) or 1),
    )


def _page_args(query: table.PoolQuery, page: int) -> dict[str, Any]:
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
def index() -> str:
    session = get_session()
    item = current_assembly()
    personal = _can_edit()
    query = _query_from_args()
    page = table.pool_page(session, item, query, personal=personal)
    return _page(
        "pool/index.html",
        query=query,
        page=page,
        questions=load_questions(session, item),
        counts=table.counts(session, item),
        page_numbers=_page_numbers(page.page, page.pages),
        page_args=lambda n: _page_args(query, n),
        can_edit=personal,
        channels=list(Channel),
        statuses=list(table.PoolStatus),
    )


@bp.get("/aanmeldingen/samenstelling", endpoint="composition")
def composition_page() -> str:
    session = get_session()
    item = current_assembly()
    return _page(
        "pool/composition.html",
        categories=composition.composition(session, item),
        responses=composition.response_rates(session, item),
        other_channels=composition.other_channels(session, item),
        counts=table.counts(session, item),
        option_label=option_label,
        question_text=question_text,
    )


# --- one person ----------------------------------------------------------------------------


def _person_form(*, with_code: bool) -> PersonForm:
    return PersonForm.build(
        get_session(), current_assembly(), partial(staff_form_class, with_code=with_code)
    )


def _refused(page: PersonForm, show: Callable[[], str]) -> Callable[[ServiceError], str]:
    """Show the form again with a refusal's messages next to their fields."""

    def refused(error: ServiceError) -> str:
        page.refused(error)
        return show()

    return refused


@bp.route("/aanmeldingen/nieuw", methods=["GET", "POST"])
@requires(*EDITORS)
def new() -> ResponseReturnValue:
    page = _person_form(with_code=True)

    def show() -> str:
        return _page("pool/new.html", form=page.form, questions=page.questions)

    def added(registration: Registration) -> str:
        return str(
            _(
                "%(name)s has been added to the pool (%(reference)s).",
                name=registration.name,
                reference=registration.reference,
            )
        )

    if request.method == "GET":
        return show()
    return act(
        page.form,
        lambda: staff.register_by_staff(
            get_session(),
            current_assembly(),
            page.data(),
            page.form.code.data or "",
            actor=current_staff(),
        ),
        success=added,
        to=lambda registration: url_for(".detail", reference=registration.reference),
        failed=url_for(".new"),
        on_invalid=show,
        on_error=_refused(page, show),
    )


@bp.route("/aanmeldingen/<reference>", methods=["GET", "POST"])
def detail(reference: str) -> ResponseReturnValue:
    can_edit = _can_edit()
    if request.method == "POST" and not can_edit:
        abort(403)
    session = get_session()
    registration = _registration(reference)
    page = _person_form(with_code=False)
    editing = can_edit and registration.purged_at is None

    def show() -> str:
        return _page(
            "pool/detail.html",
            registration=registration,
            status=table.status_of(registration),
            questions=page.questions,
            answers=registrations.answers_of(session, registration),
            dates=page.dates,
            available=registrations.availability_of(session, registration),
            household=table.household_of(session, registration),
            form=page.form if editing else None,
            confirm_form=ConfirmForm(formdata=None),
            can_edit=can_edit,
            display_phone=display_phone,
            option_label=option_label,
            question_text=question_text,
            date_label=session_date_label,
        )

    if not editing:
        return show()
    if request.method == "GET":
        page.fill(registrations.data_of(session, registration))
        return show()
    return act(
        page.form,
        lambda: registrations.update_registration(
            session, registration, page.data(), actor=current_staff(), staff=True
        ),
        success=_l("The changes have been saved."),
        to=url_for(".detail", reference=registration.reference),
        on_invalid=show,
        on_error=_refused(page, show),
    )


def _status_change(reference: str, change: Any, done: Any) -> ResponseReturnValue:
    registration = _registration(reference)
    return act(
        ConfirmForm(),
        lambda: change(get_session(), registration, actor=current_staff()),
        success=done,
        to=url_for(".detail", reference=registration.reference),
    )


@bp.post("/aanmeldingen/<reference>/intrekken")
@requires(*EDITORS)
def withdraw(reference: str) -> ResponseReturnValue:
    return _status_change(
        reference, registrations.withdraw, _l("The registration has been withdrawn.")
    )


@bp.post("/aanmeldingen/<reference>/heractiveren")
@requires(*EDITORS)
def reactivate(reference: str) -> ResponseReturnValue:
    return _status_change(
        reference, registrations.reactivate, _l("The registration is in the pool again.")
    )


# --- CSV in and out ------------------------------------------------------------------------


def _import_page(form: ImportForm, report: ImportReport | None = None) -> str:
    session = get_session()
    item = current_assembly()
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
@requires(*EDITORS)
def import_form() -> str:
    return _import_page(ImportForm(formdata=None))


@bp.post("/aanmeldingen/import")
@requires(*EDITORS)
def import_registrations() -> ResponseReturnValue:
    form = ImportForm()

    def imported(report: ImportReport) -> str:
        return str(
            _(
                "%(imported)s people imported; %(skipped)s rows with errors skipped.",
                imported=report.imported,
                skipped=report.invalid_rows,
            )
        )

    def rejected(error: ServiceError) -> str:
        if not isinstance(error, ImportRejected):
            return _import_page(form)
        retry = ImportForm(formdata=None)
        retry.only_valid.data = True
        return _import_page(retry, error.report)

    return act(
        form,
        lambda: imports.import_registrations(
            get_session(),
            current_staff(),
            current_assembly(),
            form.file.data.stream,
            consent=bool(form.consent.data),
            only_valid=bool(form.only_valid.data),
        ),
        success=imported,
        to=url_for(".index", channel=Channel.IMPORT.value),
        on_invalid=lambda: _import_page(form),
        on_error=rejected,
    )


@bp.get("/aanmeldingen/export.csv", endpoint="export")
@requires(*EDITORS)
def export_people() -> Response:
    session = get_session()
    item = current_assembly()
    people = export.export_people(session, item)
    export.record_export(session, current_staff(), item, people)
    session.commit()
    body = codecs.BOM_UTF8 + export.export_csv(people).encode()
    return private_download(body, mimetype="text/csv", name=f"mensen-{item.slug}.csv")
