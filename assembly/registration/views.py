"""The public registration page, the registrant's personal link, and the organiser's
settings for the registration form."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from ..access import (
    EDITORS,
    assembly_by_slug,
    current_staff,
    public_assembly,
    require_assembly_access,
    staff_required,
)
from ..db import get_session
from ..models import Assembly, CategoryQuestion, Invitation, Registration, SessionDate
from ..questionnaire.questions import load_questions, option_label, question_text
from ..questionnaire.session_dates import load_session_dates
from ..questionnaire.shares import format_share
from ..settings import settings as configured
from ..timeutil import as_utc, from_local, local_time, utcnow
from . import service
from .forms import (
    HONEYPOT,
    TIMING,
    CodeForm,
    ConfirmForm,
    QuestionForm,
    SessionDateForm,
    SettingsForm,
    attach_errors,
    data_from_form,
    fill_form,
    registration_form_class,
    session_date_label,
)

bp = Blueprint("registration", __name__, url_prefix="/a/<slug>")
settings_bp = Blueprint("registration_settings", __name__, url_prefix="/beheer/a/<slug>/werving")

# What the browser's (signed) session remembers between the code and the form.
STATE_KEY = "registration"
DONE_KEY = "registration_done"
# Bot protection: a person needs more than a few seconds for this form, and a form left
# open longer than this is refreshed rather than accepted.
REGISTRANT = "registrant"  # the audit actor for the person themselves


def _ip() -> str:
    return request.remote_addr or ""


def _closed_page(item: Assembly) -> str:
    return render_template("registration/closed.html", assembly=item)


def _too_many(item: Assembly) -> tuple[str, int]:
    return render_template("registration/too_many.html", assembly=item), 429


def _no_store(response: Response) -> Response:
    # Pages with personal data: not cached, not indexed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- the timing token ----------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(configured().secret_key, salt="registration-form")


def _timing_token(item: Assembly) -> str:
    return _serializer().dumps(item.id)


class _Bot(Exception):
    pass


def _check_timing(item: Assembly, token: str) -> None:
    """Raise :class:`_Bot` for a missing, forged or too quick form; SignatureExpired when
    a person simply left the page open very long."""
    max_age = configured().registration_max_form_age
    minimum = configured().registration_min_fill_seconds
    try:
        assembly_id, signed_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise
    except BadSignature:
        raise _Bot() from None
    if assembly_id != item.id:
        raise _Bot()
    elapsed = (utcnow() - as_utc(signed_at)).total_seconds()
    if elapsed < minimum:
        raise _Bot()


# --- code entry ----------------------------------------------------------------------------


def _start_page(item: Assembly, form: CodeForm, status: int = 200) -> tuple[str, int]:
    return render_template("registration/start.html", assembly=item, form=form), status


def _accept_code(item: Assembly, typed: str, form: CodeForm) -> Response | tuple[str, int]:
    session = get_session()
    try:
        invitation = service.check_code(session, item, typed, _ip())
    except service.TooManyAttempts:
        session.rollback()
        return _too_many(item)
    except service.UnknownCode:
        session.commit()  # the failed attempt counts towards the limit
        form.code.errors = [  # type: ignore[misc]
            _(
                "We do not know this code. Check that you typed it exactly as in the "
                "letter. A code never contains the letters O, I or L, or the digits 0 and 1."
            )
        ]
        return _start_page(item, form, 200)
    session.commit()
    browser_session[STATE_KEY] = {"assembly": item.id, "invitation": invitation.id}
    return redirect(url_for("registration.form", slug=item.slug), code=303)


@bp.route("/aanmelden", methods=["GET", "POST"])
def start(slug: str) -> Response | str | tuple[str, int]:
    item = public_assembly(slug)
    if service.is_closed(item):
        return _closed_page(item)
    typed = request.args.get("code", "")
    if request.method == "GET" and typed:
        # The link behind the letter's QR code: accept the code, then move it out of the
        # address bar (and out of the browser's history) with a redirect.
        form = CodeForm(formdata=None, code=typed)
        return _accept_code(item, typed, form)
    form = CodeForm()
    if form.validate_on_submit():
        return _accept_code(item, form.code.data or "", form)
    return _start_page(item, form)


@bp.get("/aanmelden/zonder-code")
def without_code(slug: str) -> Response | str:
    item = public_assembly(slug)
    if service.is_closed(item):
        return _closed_page(item)
    if not item.open_registration:
        flash(
            _("For this citizens' assembly you can only register with the code from a letter."),
            "info",
        )
        return redirect(url_for("registration.start", slug=item.slug), code=303)
    browser_session[STATE_KEY] = {"assembly": item.id, "open": True}
    return redirect(url_for("registration.form", slug=item.slug), code=303)


@bp.post("/aanmelden/huisgenoot")
def join_household(slug: str) -> Response | str:
    """Someone else at the same address registers with the code that was already used."""
    item = public_assembly(slug)
    if service.is_closed(item):
        return _closed_page(item)
    state = browser_session.get(STATE_KEY) or {}
    if ConfirmForm().validate_on_submit() and state.get("assembly") == item.id:
        browser_session[STATE_KEY] = {**state, "household": True}
    return redirect(url_for("registration.form", slug=item.slug), code=303)


# --- the form ------------------------------------------------------------------------------


class _Mode:
    def __init__(self, invitation: Invitation | None, open_mode: bool) -> None:
        self.invitation = invitation
        self.open = open_mode

    @property
    def channel(self) -> str:
        return "letter" if self.invitation is not None else "open"


def _mode(session: Session, item: Assembly) -> _Mode | None:
    state = browser_session.get(STATE_KEY) or {}
    if state.get("assembly") != item.id:
        return None
    if state.get("invitation"):
        invitation = session.get(Invitation, state["invitation"])
        return _Mode(invitation, False) if invitation is not None else None
    if state.get("open") and item.open_registration:
        return _Mode(None, True)
    return None


def _render_form(
    item: Assembly,
    form: Any,
    questions: list[Any],
    dates: list[SessionDate],
    *,
    mode: _Mode | None,
    action: str,
    status: int = 200,
    correcting: Registration | None = None,
    token: str = "",
) -> tuple[str, int]:
    special = [q for q, _o in questions if q.special_category]
    return (
        render_template(
            "registration/form.html",
            assembly=item,
            form=form,
            questions=questions,
            last_special_id=special[-1].id if special else None,
            special_questions=special,
            session_dates=dates,
            mode=mode,
            action=action,
            correcting=correcting,
            token=token,
            honeypot=HONEYPOT,
        ),
        status,
    )


@bp.route("/aanmelden/formulier", methods=["GET", "POST"])
def form(slug: str) -> Response | str | tuple[str, int]:
    item = public_assembly(slug)
    if service.is_closed(item):
        return _closed_page(item)
    session = get_session()
    mode = _mode(session, item)
    if mode is None:
        flash(_("Fill in the code from your letter first."), "info")
        return redirect(url_for("registration.start", slug=item.slug), code=303)
    state = browser_session.get(STATE_KEY) or {}
    if (
        mode.invitation is not None
        and not state.get("household")
        and service.household_members(session, mode.invitation) > 0
    ):
        return _used_page(session, item, mode.invitation)

    questions = load_questions(session, item)
    dates = load_session_dates(session, item)
    form_class = registration_form_class(questions, dates)
    form: Any = form_class()
    action = url_for("registration.form", slug=item.slug)
    if request.method == "GET":
        form[TIMING].data = _timing_token(item)
        return _render_form(item, form, questions, dates, mode=mode, action=action)

    if service.too_many_failures(session, _ip()) or (
        mode.open and service.too_many_open(session, _ip())
    ):
        return _too_many(item)
    try:
        if form[HONEYPOT].data:
            raise _Bot()
        _check_timing(item, form[TIMING].data or "")
    except _Bot:
        # Not saved. The page says nothing about why, and the attempt counts towards the
        # limit, so a bot that keeps trying is soon stopped.
        service.record_attempt(session, _ip(), success=False)
        session.commit()
        return render_template("registration/not_processed.html", assembly=item)
    except SignatureExpired:
        form[TIMING].data = _timing_token(item)
        flash(
            _("This page was open for a long time. Check your answers and send them again."),
            "info",
        )
        return _render_form(item, form, questions, dates, mode=mode, action=action)

    if not form.validate_on_submit():
        return _render_form(item, form, questions, dates, mode=mode, action=action)
    data = data_from_form(form, questions, dates)
    try:
        registration, token = service.register(
            session, item, data, channel=mode.channel, invitation=mode.invitation, actor=REGISTRANT
        )
    except service.RegistrationInvalid as invalid:
        session.rollback()
        attach_errors(form, invalid.errors)
        return _render_form(item, form, questions, dates, mode=mode, action=action)
    except service.HouseholdFull:
        session.rollback()
        assert mode.invitation is not None
        return _used_page(session, item, mode.invitation)
    if mode.open:
        service.record_attempt(session, _ip(), success=True)
    session.commit()
    browser_session.pop(STATE_KEY, None)
    browser_session[DONE_KEY] = {
        "assembly": item.id,
        "token": token,
        "email": bool(registration.email),
    }
    return redirect(url_for("registration.thanks", slug=item.slug), code=303)


def _used_page(session: Session, item: Assembly, invitation: Invitation) -> str:
    return render_template(
        "registration/used.html",
        assembly=item,
        has_room=service.has_room(session, invitation),
        members=service.household_members(session, invitation),
        form=ConfirmForm(formdata=None),
    )


@bp.get("/aanmelden/bedankt")
def thanks(slug: str) -> Response:
    item = public_assembly(slug)
    done = browser_session.pop(DONE_KEY, None)
    if not done or done.get("assembly") != item.id:
        done = None
    link = service.personal_link(item, done["token"]) if done else ""
    page = render_template("registration/thanks.html", assembly=item, done=done, link=link)
    return _no_store(Response(page))


@bp.get("/aanmelden/gewist")
def erased(slug: str) -> str:
    return render_template("registration/erased.html", assembly=public_assembly(slug))


# --- the personal link ----------------------------------------------------------------------


def _registration(slug: str, token: str) -> tuple[Assembly, Registration]:
    item = public_assembly(slug)
    registration = service.find_by_token(get_session(), item, token)
    if registration is None:
        abort(404)
    return item, registration


def _personal_view(item: Assembly, registration: Registration) -> dict[str, Any]:
    session = get_session()
    chosen = service.answers_of(session, registration)
    answers = [
        (question_text(q), next((option_label(o) for o in opts
                                         if o.id == chosen.get(q.id)), "–"))  # type: ignore[arg-type]
        for q, opts in load_questions(session, item)
    ]  # fmt: skip
    available = service.availability_of(session, registration)
    dates = [session_date_label(d) for d in load_session_dates(session, item)
             if d.id in available]  # fmt: skip
    return {"answers": answers, "dates": dates, "phone": service.display_phone(registration.phone)}


@bp.get("/aanmelding/<token>")
def personal(slug: str, token: str) -> Response:
    item, registration = _registration(slug, token)
    page = render_template(
        "registration/personal.html",
        assembly=item,
        registration=registration,
        token=token,
        closed=service.is_closed(item),
        **_personal_view(item, registration),
    )
    return _no_store(Response(page))


@bp.route("/aanmelding/<token>/wijzigen", methods=["GET", "POST"])
def correct(slug: str, token: str) -> Response | tuple[str, int]:
    item, registration = _registration(slug, token)
    back = redirect(url_for("registration.personal", slug=item.slug, token=token), code=303)
    if registration.withdrawn_at is not None or service.is_closed(item):
        flash(_("Your registration can no longer be changed here. Contact the organiser."), "info")
        return back  # type: ignore[return-value]
    session = get_session()
    questions = load_questions(session, item)
    dates = load_session_dates(session, item)
    form: Any = registration_form_class(questions, dates)()
    action = url_for("registration.correct", slug=item.slug, token=token)
    if request.method == "GET":
        fill_form(form, service.data_of(session, registration))
    elif form.validate_on_submit() and not form[HONEYPOT].data:
        data = data_from_form(form, questions, dates)
        try:
            service.update_registration(session, registration, data, actor=REGISTRANT)
        except service.RegistrationInvalid as invalid:
            session.rollback()
            attach_errors(form, invalid.errors)
        else:
            session.commit()
            flash(_("Your changes have been saved."), "success")
            return back  # type: ignore[return-value]
    page, status = _render_form(
        item, form, questions, dates, mode=None, action=action, correcting=registration, token=token
    )
    return _no_store(Response(page, status=status)), status


def _confirm(
    slug: str, token: str, template: str, act: Any, done_message: str, target: str | None = None
) -> Response:
    item, registration = _registration(slug, token)
    form = ConfirmForm()
    if form.validate_on_submit():
        session = get_session()
        act(session, registration, actor=REGISTRANT)
        session.commit()
        flash(done_message, "success")
        return redirect(
            target or url_for("registration.personal", slug=item.slug, token=token), code=303
        )
    page = render_template(
        template, assembly=item, registration=registration, token=token, form=form
    )
    return _no_store(Response(page))


@bp.route("/aanmelding/<token>/afmelden", methods=["GET", "POST"])
def withdraw(slug: str, token: str) -> Response:
    return _confirm(
        slug,
        token,
        "registration/withdraw.html",
        service.withdraw,
        _("You have withdrawn. You will not be drawn for the panel."),
    )


@bp.route("/aanmelding/<token>/wissen", methods=["GET", "POST"])
def erase(slug: str, token: str) -> Response:
    return _confirm(
        slug,
        token,
        "registration/erase.html",
        service.erase,
        _("Your details have been erased."),
        target=url_for("registration.erased", slug=slug),
    )


@bp.get("/aanmelding/<token>/gegevens.json")
def export(slug: str, token: str) -> Response:
    _item, registration = _registration(slug, token)
    data = service.personal_data(get_session(), registration)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    name = f"aanmelding-{registration.reference}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


# --- the organiser's settings -----------------------------------------------------------


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDITORS


def _questions_page(
    item: Assembly, editor: QuestionForm | None = None, status: int = 200
) -> tuple[str, int]:
    session = get_session()
    return (
        render_template(
            "registration/questions.html",
            assembly=item,
            questions=load_questions(session, item),
            answered=service.answered_questions(session, item),
            editor=editor,
            can_edit=_can_edit(),
            action_form=ConfirmForm(formdata=None),
        ),
        status,
    )


def _question_editor(session: Session, item: Assembly, which: str) -> QuestionForm | None:
    if which == "nieuw":
        editor = QuestionForm(formdata=None)
        for _row in range(4):
            editor.options.append_entry()
        return editor
    question = session.get(CategoryQuestion, int(which)) if which.isdigit() else None
    if question is None or question.assembly_id != item.id:
        return None
    editor = QuestionForm(formdata=None, obj=question)
    editor.question_id.data = str(question.id)
    options = next((o for q, o in load_questions(session, item) if q.id == question.id))
    for option in options:
        editor.options.append_entry(
            {
                "option_id": str(option.id),
                "value": option.value,
                "label": option.label,
                "label_en": option.label_en,
                "share": format_share(option.population_share),
                "prefer_not": option.prefer_not,
            }
        )
    for _row in range(2):
        editor.options.append_entry()
    return editor


@settings_bp.get("/vragen")
@staff_required()
def questions(slug: str) -> str | tuple[str, int]:
    item = require_assembly_access(assembly_by_slug(slug))
    which = request.args.get("vraag", "")
    editor = _question_editor(get_session(), item, which) if which and _can_edit() else None
    return _questions_page(item, editor)


@settings_bp.post("/vragen")
@staff_required()
def questions_post(slug: str) -> Response | tuple[str, int]:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    back = redirect(url_for("registration_settings.questions", slug=item.slug), code=303)
    action = request.form.get("action", "")
    if action == "save":
        editor = QuestionForm()
        if not editor.validate_on_submit():
            return _questions_page(item, editor)
        try:
            service.save_question(session, current_staff(), item, _question_data(editor))
        except service.SettingsInvalid as invalid:
            session.rollback()
            _attach_settings_errors(editor, invalid.errors)
            return _questions_page(item, editor)
        session.commit()
        flash(_("The question has been saved."), "success")
        return back  # type: ignore[return-value]
    if action in ("delete", "up", "down") and ConfirmForm().validate_on_submit():
        question = session.get(CategoryQuestion, request.form.get("question_id", type=int) or 0)
        if question is None or question.assembly_id != item.id:
            abort(404)
        try:
            if action == "delete":
                service.delete_question(session, current_staff(), question)
                flash(_("The question has been deleted."), "success")
            else:
                step = -1 if action == "up" else 1
                service.move_question(session, current_staff(), question, step)
        except service.QuestionInUse:
            session.rollback()
            flash(
                _(
                    "This question has already been answered by people who registered, so it "
                    "cannot be deleted. You can still change its text."
                ),
                "error",
            )
        else:
            session.commit()
    return back  # type: ignore[return-value]


def _question_data(editor: QuestionForm) -> service.QuestionData:
    rows = []
    for entry in editor.options:
        row: Any = entry.form
        rows.append(
            service.OptionData(
                option_id=int(row.option_id.data) if (row.option_id.data or "").isdigit() else None,
                value=(row.value.data or "").strip(),
                label=(row.label.data or "").strip(),
                label_en=(row.label_en.data or "").strip(),
                share=(row.share.data or "").strip(),
                prefer_not=bool(row.prefer_not.data),
            )
        )
    question_id = editor.question_id.data or ""
    return service.QuestionData(
        question_id=int(question_id) if question_id.isdigit() else None,
        category=(editor.category.data or "").strip(),
        question=(editor.question.data or "").strip(),
        question_en=(editor.question_en.data or "").strip(),
        special_category=bool(editor.special_category.data),
        options=rows,
    )


def _attach_settings_errors(form: Any, errors: dict[str, str]) -> None:
    """Errors keyed ``field`` or ``options-<row>-<field>`` onto the form's fields."""
    for key, message in errors.items():
        parts = key.split("-")
        if parts[0] == "options" and len(parts) == 3 and parts[1].isdigit():
            field = form.options.entries[int(parts[1])].form[parts[2]]
        else:
            field = form[key]
        field.errors = [*field.errors, message]


def _sessions_page(
    item: Assembly, editor: SessionDateForm | None = None, status: int = 200
) -> tuple[str, int]:
    session = get_session()
    return (
        render_template(
            "registration/session_dates.html",
            assembly=item,
            dates=[(d, session_date_label(d)) for d in load_session_dates(session, item)],
            available=service.availability_counts(session, item),
            editor=editor,
            can_edit=_can_edit(),
            action_form=ConfirmForm(formdata=None),
        ),
        status,
    )


@settings_bp.get("/bijeenkomsten")
@staff_required()
def session_dates(slug: str) -> str | tuple[str, int]:
    item = require_assembly_access(assembly_by_slug(slug))
    editor = None
    if _can_edit():
        which = request.args.get("bijeenkomst", "")
        date = get_session().get(SessionDate, int(which)) if which.isdigit() else None
        if date is not None and date.assembly_id == item.id:
            local = local_time(date.starts_at)
            editor = SessionDateForm(formdata=None, obj=date, day=local.date(), time=local.time())
            editor.session_date_id.data = str(date.id)
        else:
            editor = SessionDateForm(formdata=None)
    return _sessions_page(item, editor)


@settings_bp.post("/bijeenkomsten")
@staff_required()
def session_dates_post(slug: str) -> Response | tuple[str, int]:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    back = redirect(url_for("registration_settings.session_dates", slug=item.slug), code=303)
    action = request.form.get("action", "")
    if action == "save":
        editor = SessionDateForm()
        if not editor.validate_on_submit():
            return _sessions_page(item, editor)
        date_id = editor.session_date_id.data or ""
        try:
            service.save_session_date(
                session,
                current_staff(),
                item,
                service.SessionDateData(
                    session_date_id=int(date_id) if date_id.isdigit() else None,
                    label=(editor.label.data or "").strip(),
                    starts_at=service.combine_local(editor.day.data, editor.time.data),  # type: ignore[arg-type]
                    location=(editor.location.data or "").strip(),
                ),
            )
        except service.SettingsInvalid:
            session.rollback()
            abort(404)
        session.commit()
        flash(_("The session has been saved."), "success")
    elif action == "delete" and ConfirmForm().validate_on_submit():
        date = session.get(SessionDate, request.form.get("session_date_id", type=int) or 0)
        if date is None or date.assembly_id != item.id:
            abort(404)
        service.delete_session_date(session, current_staff(), date)
        session.commit()
        flash(_("The session has been deleted."), "success")
    return back  # type: ignore[return-value]


@settings_bp.route("/instellingen", methods=["GET", "POST"])
@staff_required()
def settings(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug))
    can_edit = _can_edit()
    if request.method == "POST" and not can_edit:
        abort(403)
    closes = item.registration_closes_at
    # The form shows and takes Dutch wall-clock time; the database keeps UTC.
    current = SimpleNamespace(
        open_registration=item.open_registration,
        registration_closes_at=local_time(closes).replace(tzinfo=None) if closes else None,
        organiser_contact=item.organiser_contact,
        retention_months=item.retention_months,
    )
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        session = get_session()
        closes = form.registration_closes_at.data
        service.update_settings(
            session,
            current_staff(),
            item,
            service.SettingsData(
                open_registration=bool(form.open_registration.data),
                registration_closes_at=from_local(closes) if closes else None,
                organiser_contact=(form.organiser_contact.data or "").strip(),
                retention_months=form.retention_months.data or item.retention_months,
            ),
        )
        session.commit()
        flash(_("The settings have been saved."), "success")
        return redirect(url_for("registration_settings.settings", slug=item.slug), code=303)
    return render_template(
        "registration/settings.html",
        assembly=item,
        form=form,
        can_edit=can_edit,
        closes_local=local_time(item.registration_closes_at)
        if item.registration_closes_at
        else None,
    )
