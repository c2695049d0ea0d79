"""The organisers' (and observers') pages of the panel draw, at ``/beheer/a/<slug>/loting``."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import abort, flash, make_response, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from werkzeug.wrappers import Response

from ..access import EDITORS, current_staff, has_role
from ..actions import Message, act, current_assembly, requires, see_other, staff_blueprint
from ..audit import Actor
from ..db import get_session
from ..downloads import private_download
from ..errors import ServiceError
from ..flashing import flash_form_errors
from ..models import Assembly, DrawStatus, Role, SeatStatus, User
from ..pool.eligibility import eligible_pool, pool_counts
from ..questionnaire.questions import current_language
from ..questionnaire.session_dates import load_session_dates
from . import (
    answers,
    ceremony,
    chances,
    engine,
    feasibility,
    invitations,
    letters,
    quotas,
    replacements,
    results,
    runs,
)
from .composition import composition
from .errors import InvalidQuotas, NoSuchMember, SharesRejected
from .forms import (
    ActionForm,
    AnswerForm,
    InviteForm,
    PublishForm,
    QuotaForm,
    RelaxForm,
    SeedForm,
    SharesImportForm,
    quota_form,
)

bp = staff_blueprint("draw", __name__, "/loting")

WITNESSES = (Role.OBSERVER,)
# Seconds between reloads of the page while a lottery is being computed.
REFRESH_SECONDS = 3

STATUS_LABELS = {
    SeatStatus.PENDING: _l("waiting for an answer"),
    SeatStatus.ACCEPTED: _l("accepted"),
    SeatStatus.DECLINED: _l("declined"),
    SeatStatus.NO_ANSWER: _l("no answer"),
}
RESERVE_LABELS = {
    "waiting": _l("available"),
    "on_panel": _l("on the panel"),
    "left": _l("on the panel, then left"),
    "unavailable": _l("withdrew"),
}


def _overview() -> str:
    return url_for("draw.overview")


Service = Callable[[Session, Actor, Assembly], object]


def _submit(
    form: FlaskForm, service: Service, success: Message, to: str | None = None
) -> ResponseReturnValue:
    """Ask ``service`` to act on the assembly with the posted ``form``, then go ``to`` (the
    overview unless said otherwise)."""
    return act(
        form,
        lambda: service(get_session(), current_staff(), current_assembly()),
        success=success,
        to=to or _overview(),
    )


def _button(service: Service, success: Message) -> ResponseReturnValue:
    """A button on the overview (a form with only its CSRF token)."""
    return _submit(ActionForm(), service, success)


# --- the overview ---------------------------------------------------------------------------


@bp.get("/")
def overview() -> Response:
    item = current_assembly()
    session = get_session()
    user = current_staff()
    run = runs.latest_run(session, item)
    published = runs.published_run(session, item)
    shown = published or run
    found = results.result(session, published) if published and published.seed else None
    chart = None
    if shown is not None and shown.status == DrawStatus.DONE:
        chart = composition(shown, current_language(), found.current_references if found else ())
    signed = []
    if published is not None and published.seed:
        signed = ceremony.signatures(session, published)
    page = render_template(
        "draw/overview.html",
        assembly=item,
        run=run,
        published=published,
        result=found,
        composition=chart,
        signatures=signed,
        stale=run is not None and runs.is_stale(run),
        can_restart=run is not None and runs.can_restart(run),
        pool=eligible_pool(session, item),
        letters_to_print=sum(
            1 for s in (found.seats if found else []) if invitations.awaits_letter(s.member)
        ),
        deadline_passed=published is not None and answers.deadline_passed(published),
        can_edit=has_role(*EDITORS),
        can_sign=has_role(*WITNESSES)
        and user is not None
        and user.id not in {u.id for _s, u in signed},
        action_form=ActionForm(formdata=None),
        publish_form=PublishForm(formdata=None),
        seed_form=SeedForm(formdata=None),
        invite_form=InviteForm(formdata=None),
        answer_form=AnswerForm(formdata=None),
        n_panels=results.n_panels(shown) if shown else 0,
        zero=chances.zero_chance(shown) if chart is not None and shown else None,
        disclosure=chances.disclosure(shown) if chart is not None and shown else None,
        status_labels=STATUS_LABELS,
        reserve_labels=RESERVE_LABELS,
    )
    response = make_response(page)
    if runs.is_computing(run):
        # Reload without JavaScript while the lottery is being computed.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


# --- the lottery's computation --------------------------------------------------------------


@bp.post("/start")
@requires(*EDITORS)
def start() -> ResponseReturnValue:
    return _button(runs.start_draw, _("The lottery is being computed. You may close this page."))


@bp.post("/annuleren")
@requires(*EDITORS)
def cancel() -> ResponseReturnValue:
    return _button(runs.request_cancel, _("The lottery is being stopped."))


@bp.post("/herstarten")
@requires(*EDITORS)
def restart() -> ResponseReturnValue:
    return _button(runs.restart, _("The lottery has been started again."))


# --- quotas ---------------------------------------------------------------------------------


def _quota_page(form: QuotaForm, import_form: SharesImportForm) -> str:
    item = current_assembly()
    session = get_session()
    pool = eligible_pool(session, item)
    return render_template(
        "draw/quota.html",
        assembly=item,
        form=form,
        import_form=import_form,
        pool=pool,
        counts=pool_counts(pool),
        can_edit=has_role(*EDITORS),
        published=runs.published_run(session, item),
        locale=current_language(),
    )


@bp.get("/quota")
def quota() -> str:
    item = current_assembly()
    lines = engine.quota_lines(get_session(), item)
    form = quota_form(lines, item.panel_size, formdata=None)
    return _quota_page(form, SharesImportForm(formdata=None))


@bp.post("/quota")
@requires(*EDITORS)
def save_quota() -> ResponseReturnValue:
    item = current_assembly()
    session = get_session()
    form = quota_form(engine.quota_lines(session, item), item.panel_size)

    def invalid() -> Response | str:
        if not form.lines or not form.errors.keys() - {"csrf_token"}:
            flash_form_errors(form)
            return see_other(url_for("draw.quota"))
        flash(str(InvalidQuotas.message), "error")
        return _quota_page(form, SharesImportForm(formdata=None))

    def refused(error: ServiceError) -> str:
        if isinstance(error, InvalidQuotas):
            for line, _share, _tolerance, low, _high in form.rows():
                problem = error.problems.get(line.option_id)
                if problem is not None:
                    low.errors = [*low.errors, problem.text()]
        flash(error.text(), error.category)
        return _quota_page(form, SharesImportForm(formdata=None))

    def save() -> int:
        submitted = {
            line.option_id: quotas.QuotaInput(
                share=share.data, tolerance=tolerance.data, min=low.data, max=high.data
            )
            for line, share, tolerance, low, high in form.rows()
        }
        return quotas.save_quotas(session, current_staff(), item, submitted)

    return act(
        form,
        save,
        success=lambda changed: _("%(count)s quotas changed.", count=changed),
        to=url_for("draw.quota"),
        on_invalid=invalid,
        on_error=refused,
    )


@bp.post("/quota/import")
@requires(*EDITORS)
def import_shares() -> ResponseReturnValue:
    item = current_assembly()
    form = SharesImportForm()
    back = url_for("draw.quota")

    def invalid() -> Response | str:
        lines = engine.quota_lines(get_session(), item)
        if lines and form.errors.keys() - {"csrf_token"}:
            return _quota_page(quota_form(lines, item.panel_size, formdata=None), form)
        flash_form_errors(form)
        return see_other(back)

    def rejected(error: ServiceError) -> Response:
        flash(error.text(), error.category)
        if isinstance(error, SharesRejected):
            for row in error.rows():
                flash(row, "error")
        return see_other(back)

    return act(
        form,
        lambda: quotas.import_shares(get_session(), current_staff(), item, form.file.data.stream),
        success=lambda changed: _("%(count)s population shares changed.", count=changed),
        to=back,
        on_invalid=invalid,
        on_error=rejected,
    )


@bp.get("/controle")
def check() -> str:
    found = feasibility.check(get_session(), current_assembly())
    relax_form = RelaxForm(formdata=None)
    relax_form.changes.data = json.dumps(found.relaxations, ensure_ascii=False)
    relax_form.state.data = found.state
    return render_template(
        "draw/check.html",
        assembly=current_assembly(),
        found=found,
        lines=found.lines,
        relax_form=relax_form,
        relaxations=found.relaxations,
        can_edit=has_role(*EDITORS),
    )


@bp.post("/controle/toepassen")
@requires(*EDITORS)
def apply_relaxation() -> ResponseReturnValue:
    form = RelaxForm()
    return _submit(
        form,
        lambda session, actor, item: feasibility.apply_relaxation(
            session, actor, item, form.parsed, form.state.data or ""
        ),
        _("The suggested changes have been applied."),
        to=url_for("draw.check"),
    )


# --- the seed ceremony ------------------------------------------------------------------------


@bp.post("/publiceren")
@requires(*EDITORS)
def publish() -> ResponseReturnValue:
    form = PublishForm()
    return _submit(
        form,
        lambda session, actor, item: ceremony.publish(
            session,
            actor,
            item,
            form.seed_method.data or "",
            accept_zero_chance=bool(form.accept_zero_chance.data),
        ),
        _("The fingerprint and the lottery are now public."),
    )


@bp.post("/seed")
@requires(*EDITORS)
def seed() -> ResponseReturnValue:
    form = SeedForm()
    return _submit(
        form,
        # The form leaves out spaces at the beginning and the end, as its hint says.
        lambda session, actor, item: ceremony.enter_seed(
            session, actor, item, form.seed.data or ""
        ),
        lambda run: _("The panel has been drawn with seed “%(seed)s”.", seed=run.seed),
    )


def _countersign(session: Session, user: Actor, assembly: Assembly) -> object:
    assert isinstance(user, User)  # the staff blueprint let only staff in
    return ceremony.countersign(session, user, assembly)


@bp.post("/medeondertekenen")
@requires(*WITNESSES)
def countersign() -> ResponseReturnValue:
    return _button(_countersign, _("You have countersigned the result."))


@bp.get("/export.csv")
@requires(*EDITORS)
def export() -> Response:
    item = current_assembly()
    session = get_session()
    run = runs.seeded_run(session, item)
    data = results.export_csv(session, run)
    if run is not None:
        results.record_export(session, current_staff(), item, run)
    session.commit()
    return private_download(data, mimetype="text/csv", name=f"loting-{item.slug}.csv")


# --- invitations, answers and replacements ----------------------------------------------------


@bp.post("/uitnodigingen")
@requires(*EDITORS)
def invite() -> ResponseReturnValue:
    form = InviteForm()
    return _submit(
        form,
        lambda session, actor, item: invitations.send_invitations(
            session, actor, item, form.respond_by.data
        ),
        lambda sent: _(
            "%(emails)s invitations sent by e-mail; %(letters)s letters to print; "
            "%(others)s others in the lottery told the outcome by e-mail.",
            emails=sent.emails,
            letters=sent.letters,
            others=sent.others,
        ),
    )


@bp.get("/brieven.pdf")
@requires(*EDITORS)
def letters_pdf() -> Response:
    item = current_assembly()
    session = get_session()
    found = invitations.letters(session, item)
    run = runs.seeded_run(session, item)
    dates = load_session_dates(session, item)
    pdf = letters.render_pdf(item, run, found, dates)
    invitations.record_letters(session, current_staff(), item, len(found))
    session.commit()
    return private_download(
        pdf, mimetype="application/pdf", name=f"uitnodigingen-{item.slug}.pdf"
    )


def _answer_refused(error: ServiceError) -> Response:
    if isinstance(error, NoSuchMember):
        abort(404)  # not a seat of this panel: the form was not one of ours
    flash(error.text(), error.category)
    return see_other(_overview())


@bp.post("/antwoord")
@requires(*EDITORS)
def answer() -> ResponseReturnValue:
    form = AnswerForm()
    return act(
        form,
        lambda: answers.record_answer(
            get_session(),
            current_staff(),
            current_assembly(),
            form.member_id.data or 0,
            form.answer.data or "",
        ),
        success=_("The answer has been recorded."),
        to=_overview(),
        on_error=_answer_refused,
    )


def _filled(filled: replacements.Filled) -> None:
    """Why the engine could not fill every seat (if so), then who took which seat."""
    if filled.problem is not None:
        flash(filled.problem.text(), filled.problem.category)
    session = get_session()
    run = runs.seeded_run(session, current_assembly())
    names = results.names_by_reference(session, run) if run is not None else {}

    def who(reference: str) -> str:
        name = names.get(reference)
        return f"{name} ({reference})" if name else reference

    for replacement in filled.done:
        flash(
            _(
                "%(new)s takes the seat of %(old)s (%(how)s).",
                new=who(replacement.into),
                old=who(replacement.out),
                how=_("reserve list") if replacement.via == "reserve" else _("new fair draw"),
            ),
            "success",
        )


@bp.post("/vervangen")
@requires(*EDITORS)
def replace() -> ResponseReturnValue:
    return _button(replacements.fill_open_seats, _filled)
