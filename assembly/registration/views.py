"""The public registration pages: the code, the form, and the registrant's personal link."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, flash, render_template, request, url_for
from flask import session as browser_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session
from werkzeug.exceptions import NotFound

from .. import signals
from ..actions import act, current_assembly, public_blueprint, see_other
from ..db import get_session
from ..errors import ServiceError
from ..models import Assembly, Channel, Invitation, Registration
from ..questionnaire.questions import (
    chosen_option,
    load_questions,
    option_label,
    question_text,
)
from ..questionnaire.session_dates import load_session_dates, session_date_label
from . import codes, registrations
from .bots import HONEYPOT, TIMING, Sender, sender_of, timing_token
from .contact import display_phone
from .forms import CodeForm, ConfirmForm, PersonForm
from .household import HouseholdFull, has_room, household_members
from .settings import is_closed

bp = public_blueprint("registration", __name__)

# What the browser's (signed) session remembers between the code and the form.
STATE_KEY = "registration"
DONE_KEY = "registration_done"
REGISTRANT = "registrant"  # the audit actor for the person themselves


def _ip() -> str:
    return request.remote_addr or ""


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, assembly=current_assembly(), **context), status


def _closed_page() -> tuple[str, int]:
    return _page("registration/closed.html")


def _too_many() -> tuple[str, int]:
    return _page("registration/too_many.html", 429)


def _no_store(response: Response) -> Response:
    """Pages with personal data: not cached, not indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _private(page: tuple[str, int]) -> Response:
    body, status = page
    return _no_store(Response(body, status=status))


# --- the code ----------------------------------------------------------------------------


def _accept_code(typed: str, form: CodeForm) -> ResponseReturnValue:
    item = current_assembly()
    session = get_session()
    try:
        invitation = codes.check_code(session, item, typed, _ip())
    except codes.TooManyAttempts:
        session.rollback()
        return _too_many()
    except codes.UnknownCode as unknown:
        # Not through act(): a wrong code is refused *and* counted, so it is committed.
        session.commit()
        form.code.errors = [unknown.text()]
        return _page("registration/start.html", form=form)
    session.commit()
    browser_session[STATE_KEY] = {"assembly": item.id, "invitation": invitation.id}
    return see_other(url_for(".form"))


@bp.route("/aanmelden", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    if is_closed(current_assembly()):
        return _closed_page()
    typed = request.args.get("code", "")
    if request.method == "GET" and typed:
        # The link behind the letter's QR code: accept the code, then move it out of the
        # address bar (and out of the browser's history) with a redirect.
        return _accept_code(typed, CodeForm(formdata=None, code=typed))
    form = CodeForm()
    if form.validate_on_submit():
        return _accept_code(form.code.data or "", form)
    return _page("registration/start.html", form=form)


@bp.get("/aanmelden/zonder-code")
def without_code() -> ResponseReturnValue:
    item = current_assembly()
    if is_closed(item):
        return _closed_page()
    if not item.open_registration:
        flash(
            _("For this citizens' assembly you can only register with the code from a letter."),
            "info",
        )
        return see_other(url_for(".start"))
    browser_session[STATE_KEY] = {"assembly": item.id, "open": True}
    return see_other(url_for(".form"))


@bp.post("/aanmelden/huisgenoot")
def join_household() -> ResponseReturnValue:
    """Someone else at the same address registers with the code that was already used."""
    if is_closed(current_assembly()):
        return _closed_page()

    def join() -> None:
        state = browser_session.get(STATE_KEY) or {}
        if state.get("assembly") == current_assembly().id:
            browser_session[STATE_KEY] = {**state, "household": True}

    return act(ConfirmForm(), join, to=url_for(".form"))


# --- the form ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mode:
    """How this person registers: with a letter's invitation, or openly without one."""

    invitation: Invitation | None

    @property
    def channel(self) -> Channel:
        return Channel.LETTER if self.invitation is not None else Channel.OPEN

    @property
    def open(self) -> bool:
        return self.invitation is None


def _mode(session: Session, item: Assembly) -> _Mode | None:
    state = browser_session.get(STATE_KEY) or {}
    if state.get("assembly") != item.id:
        return None
    if state.get("invitation"):
        invitation = session.get(Invitation, state["invitation"])
        return _Mode(invitation) if invitation is not None else None
    if state.get("open") and item.open_registration:
        return _Mode(None)
    return None


def _form_page(
    page: PersonForm,
    *,
    action: str,
    mode: _Mode | None = None,
    correcting: Registration | None = None,
    token: str = "",
) -> tuple[str, int]:
    special = [q for q, _o in page.questions if q.special_category]
    return _page(
        "registration/form.html",
        form=page.form,
        questions=page.questions,
        last_special_id=special[-1].id if special else None,
        special_questions=special,
        session_dates=page.dates,
        mode=mode,
        action=action,
        correcting=correcting,
        token=token,
        honeypot=HONEYPOT,
    )


@bp.route("/aanmelden/formulier", methods=["GET", "POST"])
def form() -> ResponseReturnValue:
    item = current_assembly()
    if is_closed(item):
        return _closed_page()
    session = get_session()
    mode = _mode(session, item)
    if mode is None:
        flash(_("Fill in the code from your letter first."), "info")
        return see_other(url_for(".start"))
    state = browser_session.get(STATE_KEY) or {}
    if (
        mode.invitation is not None
        and not state.get("household")
        and household_members(session, mode.invitation) > 0
    ):
        return _used_page(session, mode.invitation)

    page = PersonForm.build(session, item)
    action = url_for(".form")

    def show() -> tuple[str, int]:
        return _form_page(page, action=action, mode=mode)

    if request.method == "GET":
        page.form[TIMING].data = timing_token(item)
        return show()
    if codes.too_many_failures(session, _ip()) or (
        mode.open and codes.too_many_open(session, _ip())
    ):
        return _too_many()
    sender = sender_of(item, honeypot=page.form[HONEYPOT].data, token=page.form[TIMING].data or "")
    if sender == Sender.BOT:
        # Not saved. The page says nothing about why, and the attempt counts towards the
        # limit (so it is committed), so a bot that keeps trying is soon stopped.
        codes.record_attempt(session, _ip(), success=False)
        session.commit()
        return render_template("registration/not_processed.html", assembly=item)
    if sender == Sender.EXPIRED:
        page.form[TIMING].data = timing_token(item)
        flash(
            _("This page was open for a long time. Check your answers and send them again."),
            "info",
        )
        return show()

    def register() -> tuple[Registration, str]:
        registered = registrations.register(
            session,
            item,
            page.data(),
            channel=mode.channel,
            invitation=mode.invitation,
            actor=REGISTRANT,
        )
        if mode.open:
            codes.record_attempt(session, _ip(), success=True)
        return registered

    def refused(error: ServiceError) -> ResponseReturnValue:
        if isinstance(error, HouseholdFull) and mode.invitation is not None:
            return _used_page(session, mode.invitation)
        page.refused(error)
        return show()

    return act(
        page.form,
        register,
        to=_registered,
        failed=action,
        on_invalid=show,
        on_error=refused,
    )


def _registered(result: tuple[Registration, str]) -> str:
    """After the commit: remember the personal link for the thank-you page only."""
    registration, token = result
    browser_session.pop(STATE_KEY, None)
    browser_session[DONE_KEY] = {
        "assembly": current_assembly().id,
        "token": token,
        "email": bool(registration.email),
    }
    return url_for(".thanks")


def _used_page(session: Session, invitation: Invitation) -> tuple[str, int]:
    return _page(
        "registration/used.html",
        has_room=has_room(session, invitation),
        members=household_members(session, invitation),
        form=ConfirmForm(formdata=None),
    )


@bp.get("/aanmelden/bedankt")
def thanks() -> Response:
    item = current_assembly()
    done = browser_session.pop(DONE_KEY, None)
    if not done or done.get("assembly") != item.id:
        done = None
    link = registrations.personal_link(item, done["token"]) if done else ""
    return _private(_page("registration/thanks.html", done=done, link=link))


@bp.get("/aanmelden/gewist")
def erased() -> ResponseReturnValue:
    return _page("registration/erased.html")


# --- the personal link ----------------------------------------------------------------------


def _registration(token: str) -> Registration:
    registration = registrations.find_by_token(get_session(), current_assembly(), token)
    if registration is None:
        raise NotFound()
    return registration


@bp.get("/aanmelding/<token>")
def personal(token: str) -> Response:
    session = get_session()
    item = current_assembly()
    registration = _registration(token)
    chosen = registrations.answers_of(session, registration)
    answers = []
    for question, options in load_questions(session, item):
        option = chosen_option(question, options, chosen)
        answers.append((question_text(question), option_label(option) if option else "–"))
    available = registrations.availability_of(session, registration)
    dates = [session_date_label(d) for d in load_session_dates(session, item) if d.id in available]
    return _private(
        _page(
            "registration/personal.html",
            registration=registration,
            token=token,
            closed=is_closed(item),
            answers=answers,
            dates=dates,
            phone=display_phone(registration.phone),
            # The draw says what became of them (drawn, reserve, not drawn), once it can.
            outcome=signals.first_answer(
                signals.registration_outcome_requested.send(registration, session=session)
            ),
        )
    )


@bp.route("/aanmelding/<token>/wijzigen", methods=["GET", "POST"])
def correct(token: str) -> ResponseReturnValue:
    registration = _registration(token)
    back = url_for(".personal", token=token)
    if registration.withdrawn_at is not None or is_closed(current_assembly()):
        flash(_("Your registration can no longer be changed here. Contact the organiser."), "info")
        return see_other(back)
    session = get_session()
    page = PersonForm.build(session, current_assembly())
    action = url_for(".correct", token=token)

    def show() -> Response:
        return _private(_form_page(page, action=action, correcting=registration, token=token))

    def refused(error: ServiceError) -> Response:
        page.refused(error)
        return show()

    if request.method == "GET":
        page.fill(registrations.data_of(session, registration))
        return show()
    if page.form[HONEYPOT].data:
        return show()
    return act(
        page.form,
        lambda: registrations.update_registration(
            session, registration, page.data(), actor=REGISTRANT
        ),
        success=_l("Your changes have been saved."),
        to=back,
        on_invalid=show,
        on_error=refused,
    )


@dataclass(frozen=True)
class _Leaving:
    """A way out of the pool from the personal link: its confirmation page, the service
    that does it, and what is said afterwards."""

    template: str
    leave: Callable[..., None]
    done: Any  # a lazy message
    # Erasing ends the personal link too: then a page says so instead.
    ends_link: bool = False

    def target(self, token: str) -> str:
        return url_for(".erased") if self.ends_link else url_for(".personal", token=token)


WITHDRAWING = _Leaving(
    "registration/withdraw.html",
    registrations.withdraw,
    _l("You have withdrawn. You will not be drawn for the panel."),
)
ERASING = _Leaving(
    "registration/erase.html", registrations.erase, _l("Your details have been erased."), True
)


def _confirm(token: str, leaving: _Leaving) -> ResponseReturnValue:
    """The page that asks to confirm leaving, and its button's action."""
    registration = _registration(token)
    form = ConfirmForm()

    def show() -> Response:
        page = _page(leaving.template, registration=registration, token=token, form=form)
        return _private(page)

    if request.method == "GET":
        return show()
    return act(
        form,
        lambda: leaving.leave(get_session(), registration, actor=REGISTRANT),
        success=leaving.done,
        to=leaving.target(token),
        on_invalid=show,
    )


@bp.route("/aanmelding/<token>/afmelden", methods=["GET", "POST"])
def withdraw(token: str) -> ResponseReturnValue:
    return _confirm(token, WITHDRAWING)


@bp.route("/aanmelding/<token>/wissen", methods=["GET", "POST"])
def erase(token: str) -> ResponseReturnValue:
    return _confirm(token, ERASING)


@bp.get("/aanmelding/<token>/gegevens.json")
def export(token: str) -> Response:
    registration = _registration(token)
    data = registrations.personal_data(get_session(), registration)
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    name = f"aanmelding-{registration.reference}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)
