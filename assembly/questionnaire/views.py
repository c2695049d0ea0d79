"""The organiser's pages for what registrants are asked: the questions with their answers,
and the session dates (in the recruitment part of the organisers' area)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from ..access import EDITORS, current_staff
from ..actions import act, current_assembly, requires, see_other, staff_blueprint
from ..db import get_session
from ..errors import ServiceError
from ..models import CategoryQuestion, SessionDate
from ..timeutil import local_time
from . import editor as questions_editor
from . import session_dates as dates
from .forms import ActionForm, QuestionForm, SessionDateForm
from .questions import load_questions
from .shares import format_share

bp = staff_blueprint("questionnaire", __name__, url_prefix="/werving")

# Empty answer rows in the editor: for a new question, and below an existing one's answers.
NEW_ROWS = 4
EXTRA_ROWS = 2


def _can_edit() -> bool:
    user = current_staff()
    return user is not None and user.role in EDITORS


# --- the questions -----------------------------------------------------------------------


def _questions_page(editor: QuestionForm | None = None) -> str:
    session = get_session()
    item = current_assembly()
    return render_template(
        "questionnaire/questions.html",
        assembly=item,
        questions=load_questions(session, item),
        answered=questions_editor.answered_questions(session, item),
        editor=editor,
        can_edit=_can_edit(),
        action_form=ActionForm(formdata=None),
    )


def _question_editor(which: str) -> QuestionForm | None:
    """The editor of question ``which`` ("nieuw" for a new one), filled in."""
    if which == "nieuw":
        editor = QuestionForm(formdata=None)
        for _row in range(NEW_ROWS):
            editor.options.append_entry()
        return editor
    session = get_session()
    item = current_assembly()
    question = session.get(CategoryQuestion, int(which)) if which.isdigit() else None
    if question is None or question.assembly_id != item.id:
        return None
    editor = QuestionForm(formdata=None, obj=question)
    editor.question_id.data = str(question.id)
    options = next(o for q, o in load_questions(session, item) if q.id == question.id)
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
    for _row in range(EXTRA_ROWS):
        editor.options.append_entry()
    return editor


@bp.get("/vragen")
def questions() -> str:
    which = request.args.get("vraag", "")
    return _questions_page(_question_editor(which) if which and _can_edit() else None)


def _dispatch(
    back: str, actions: Mapping[str, Callable[[], ResponseReturnValue]]
) -> ResponseReturnValue:
    """A POST from the page: its button's ``action`` says which form it was."""
    action = actions.get(request.form.get("action", ""))
    return action() if action is not None else see_other(back)


@bp.post("/vragen")
@requires(*EDITORS)
def questions_post() -> ResponseReturnValue:
    return _dispatch(
        url_for(".questions"),
        {
            "save": _save_question,
            "delete": _delete_question,
            "up": partial(_move_question, -1),
            "down": partial(_move_question, 1),
        },
    )


def _save_question() -> ResponseReturnValue:
    editor = QuestionForm()

    def refused(error: ServiceError) -> str:
        if isinstance(error, questions_editor.QuestionInvalid):
            _attach_errors(editor, error.errors)
        return _questions_page(editor)

    return act(
        editor,
        lambda: questions_editor.save_question(
            get_session(), current_staff(), current_assembly(), _question_data(editor)
        ),
        success=_l("The question has been saved."),
        to=url_for(".questions"),
        on_invalid=lambda: _questions_page(editor),
        on_error=refused,
    )


def _chosen_question() -> CategoryQuestion:
    """The question a button was pressed for (404 when it is not this assembly's)."""
    question = get_session().get(CategoryQuestion, request.form.get("question_id", type=int) or 0)
    if question is None or question.assembly_id != current_assembly().id:
        abort(404)
    return question


def _delete_question() -> ResponseReturnValue:
    question = _chosen_question()
    return act(
        ActionForm(),
        lambda: questions_editor.delete_question(get_session(), current_staff(), question),
        success=_l("The question has been deleted."),
        to=url_for(".questions"),
    )


def _move_question(step: int) -> ResponseReturnValue:
    question = _chosen_question()
    return act(
        ActionForm(),
        lambda: questions_editor.move_question(get_session(), current_staff(), question, step),
        to=url_for(".questions"),
    )


def _question_data(editor: QuestionForm) -> questions_editor.QuestionData:
    rows = []
    for entry in editor.options:
        row: Any = entry.form
        rows.append(
            questions_editor.OptionData(
                option_id=int(row.option_id.data) if (row.option_id.data or "").isdigit() else None,
                value=(row.value.data or "").strip(),
                label=(row.label.data or "").strip(),
                label_en=(row.label_en.data or "").strip(),
                share=(row.share.data or "").strip(),
                prefer_not=bool(row.prefer_not.data),
            )
        )
    question_id = editor.question_id.data or ""
    return questions_editor.QuestionData(
        question_id=int(question_id) if question_id.isdigit() else None,
        category=(editor.category.data or "").strip(),
        question=(editor.question.data or "").strip(),
        question_en=(editor.question_en.data or "").strip(),
        special_category=bool(editor.special_category.data),
        options=rows,
    )


def _attach_errors(form: Any, errors: dict[str, str]) -> None:
    """Errors keyed ``field`` or ``options-<row>-<field>`` onto the form's fields."""
    for key, message in errors.items():
        parts = key.split("-")
        if parts[0] == "options" and len(parts) == 3 and parts[1].isdigit():
            field = form.options.entries[int(parts[1])].form[parts[2]]
        else:
            field = form[key]
        field.errors = [*field.errors, message]


# --- the session dates ----------------------------------------------------------------------


def _sessions_page(editor: SessionDateForm | None = None) -> str:
    session = get_session()
    item = current_assembly()
    return render_template(
        "questionnaire/session_dates.html",
        assembly=item,
        dates=[(d, dates.session_date_label(d)) for d in dates.load_session_dates(session, item)],
        available=dates.availability_counts(session, item),
        editor=editor,
        can_edit=_can_edit(),
        action_form=ActionForm(formdata=None),
    )


@bp.get("/bijeenkomsten")
def session_dates() -> str:
    editor = None
    if _can_edit():
        which = request.args.get("bijeenkomst", "")
        date = get_session().get(SessionDate, int(which)) if which.isdigit() else None
        if date is not None and date.assembly_id == current_assembly().id:
            local = local_time(date.starts_at)
            editor = SessionDateForm(formdata=None, obj=date, day=local.date(), time=local.time())
            editor.session_date_id.data = str(date.id)
        else:
            editor = SessionDateForm(formdata=None)
    return _sessions_page(editor)


@bp.post("/bijeenkomsten")
@requires(*EDITORS)
def session_dates_post() -> ResponseReturnValue:
    return _dispatch(
        url_for(".session_dates"), {"save": _save_session_date, "delete": _delete_session_date}
    )


def _save_session_date() -> ResponseReturnValue:
    editor = SessionDateForm()

    def not_found(error: ServiceError) -> ResponseReturnValue:
        abort(error.status)

    return act(
        editor,
        lambda: dates.save_session_date(
            get_session(), current_staff(), current_assembly(), _date_data(editor)
        ),
        success=_l("The session has been saved."),
        to=url_for(".session_dates"),
        on_invalid=lambda: _sessions_page(editor),
        on_error=not_found,
    )


def _delete_session_date() -> ResponseReturnValue:
    date = get_session().get(SessionDate, request.form.get("session_date_id", type=int) or 0)
    if date is None or date.assembly_id != current_assembly().id:
        abort(404)
    return act(
        ActionForm(),
        lambda: dates.delete_session_date(get_session(), current_staff(), date),
        success=_l("The session has been deleted."),
        to=url_for(".session_dates"),
    )


def _date_data(editor: SessionDateForm) -> dates.SessionDateData:
    date_id = editor.session_date_id.data or ""
    assert editor.day.data is not None and editor.time.data is not None  # validated
    return dates.SessionDateData(
        session_date_id=int(date_id) if date_id.isdigit() else None,
        label=(editor.label.data or "").strip(),
        starts_at=dates.combine_local(editor.day.data, editor.time.data),
        location=(editor.location.data or "").strip(),
    )
