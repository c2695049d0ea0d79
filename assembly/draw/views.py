"""The panel draw: organisers' pages, the public transparency page and the invitation link."""

from __future__ import annotations

import codecs
import csv
import io
import json
import shlex
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import (
    EDITORS,
    assembly_by_slug,
    current_staff,
    public_assembly,
    require_assembly_access,
    staff_required,
)
from ..db import get_session
from ..downloads import private_download
from ..flashing import flash_form_errors
from ..models import Assembly, Role
from ..pool.eligibility import eligible_pool, pool_counts
from ..questionnaire.session_dates import load_session_dates
from ..timeutil import local_day, local_time
from . import engine, jobs, letters, service  # noqa: F401 - jobs registers the draw job
from .forms import (
    ActionForm,
    AnswerForm,
    InviteForm,
    PublishForm,
    RelaxForm,
    RespondForm,
    SeedForm,
    SharesImportForm,
    quota_form,
)

bp = Blueprint("draw", __name__, url_prefix="/beheer/a/<slug>/loting")
public_bp = Blueprint("draw_public", __name__, url_prefix="/a/<slug>")

WITNESSES = (Role.OBSERVER,)
# Seconds between reloads of the page while a lottery is being computed.
REFRESH_SECONDS = 3

QUOTA_ERRORS = {
    "min_above_max": _l("The minimum is above the maximum."),
    "max_above_panel": _l("The maximum is above the panel size."),
}
SHARE_REASONS = {
    "missing_column": _l("This required column is missing."),
    "columns": _l("The row has fewer columns than the header."),
    "unknown_value": _l("This category and value are not among the questions."),
    "share": _l("Not a share: write 0.12, 0,12, 12 or 12%."),
    "prefer_not": _l("“Prefer not to say” has no population share."),
    "encoding": _l("The file cannot be read: save it as CSV in UTF-8."),
}


STATUS_LABELS = {
    service.PENDING: _l("waiting for an answer"),
    service.ACCEPTED: _l("accepted"),
    service.DECLINED: _l("declined"),
    service.NO_ANSWER: _l("no answer"),
}
RESERVE_LABELS = {
    "waiting": _l("available"),
    "on_panel": _l("on the panel"),
    "left": _l("on the panel, then left"),
    "unavailable": _l("withdrew"),
}


def _locale() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "nl"


def _back(item: Assembly, endpoint: str = "draw.overview") -> Response:
    return redirect(url_for(endpoint, slug=item.slug), code=303)  # type: ignore[return-value]


# --- the overview ---------------------------------------------------------------------------


@bp.get("/")
@staff_required()
def overview(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug))
    session = get_session()
    user = current_staff()
    run = service.latest_run(session, item)
    published = service.published_run(session, item)
    shown = published or run
    found = service.result(session, published) if published and published.seed else None
    chart = None
    if shown is not None and shown.status == service.DONE:
        chart = service.composition(shown, _locale(), found.current_references if found else ())
    invite_form = InviteForm(formdata=None)
    signed = []
    if published is not None and published.seed:
        signed = service.signatures(session, published)
    page = render_template(
        "draw/overview.html",
        assembly=item,
        run=run,
        published=published,
        result=found,
        composition=chart,
        signatures=signed,
        stale=run is not None and service.is_stale(run),
        can_restart=run is not None and service.can_restart(run),
        pool=eligible_pool(session, item),
        letters_to_print=sum(
            1
            for s in (found.seats if found else [])
            if s.member.by_letter and s.member.status == "pending"
        ),
        deadline_passed=published is not None and service.deadline_passed(published),
        can_edit=user is not None and user.role in EDITORS,
        can_sign=user is not None
        and user.role in WITNESSES
        and not any(u.id == user.id for _s, u in signed),
        action_form=ActionForm(formdata=None),
        publish_form=PublishForm(formdata=None),
        seed_form=SeedForm(formdata=None),
        invite_form=invite_form,
        answer_form=AnswerForm(formdata=None),
        n_panels=service.n_panels(shown) if shown else 0,
        status_labels=STATUS_LABELS,
        reserve_labels=RESERVE_LABELS,
    )
    response = make_response(page)
    if run is not None and run.status in service.ACTIVE and not service.is_stale(run):
        # Reload without JavaScript while the lottery is being computed.
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.post("/start")
@staff_required()
def start(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        service.start_draw(session, current_staff(), item)
    except service.DrawInProgress:
        session.rollback()
        flash(_("A lottery is already being computed for this assembly."), "error")
    except service.DrawPublished:
        session.rollback()
        flash(_("The lottery has been published; it cannot be computed again."), "error")
    except engine.NoCategories:
        session.rollback()
        flash(_("There are no category questions to draw on yet."), "error")
    except engine.PoolTooSmall as exc:
        session.rollback()
        flash(
            _(
                "Only %(pool)s people can be drawn, fewer than the %(panel)s seats.",
                pool=exc.args[0],
                panel=exc.args[1],
            ),
            "error",
        )
    except engine.BadInputs as exc:
        session.rollback()
        flash(_("The quotas cannot be used: %(message)s", message=str(exc.args[0])), "error")
    else:
        session.commit()
        flash(_("The lottery is being computed. You may close this page."), "success")
    return _back(item)


@bp.post("/annuleren")
@staff_required()
def cancel(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        service.request_cancel(session, current_staff(), item)
    except service.NoRun:
        session.rollback()
        flash(_("No lottery is being computed."), "error")
    else:
        session.commit()
        flash(_("The lottery is being stopped."), "success")
    return _back(item)


@bp.post("/herstarten")
@staff_required()
def restart(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        service.restart(session, current_staff(), item)
    except (service.NoRun, service.NotRestartable):
        session.rollback()
        flash(_("This lottery is still running or has finished; it cannot be restarted."), "error")
    else:
        session.commit()
        flash(_("The lottery has been started again."), "success")
    return _back(item)


# --- quotas ---------------------------------------------------------------------------------


def _quota_page(item: Assembly, form: Any, import_form: SharesImportForm) -> str:
    session = get_session()
    user = current_staff()
    pool = eligible_pool(session, item)
    return render_template(
        "draw/quota.html",
        assembly=item,
        form=form,
        import_form=import_form,
        pool=pool,
        counts=pool_counts(pool),
        can_edit=user is not None and user.role in EDITORS,
        published=service.published_run(session, item),
        locale=_locale(),
    )


@bp.get("/quota")
@staff_required()
def quota(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    lines = engine.quota_lines(get_session(), item)
    form = quota_form(lines, item.panel_size, formdata=None)
    return _quota_page(item, form, SharesImportForm(formdata=None))


@bp.post("/quota")
@staff_required()
def save_quota(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    lines = engine.quota_lines(session, item)
    form = quota_form(lines, item.panel_size)
    if not form.validate_on_submit():
        if not lines or not form.errors.keys() - {"csrf_token"}:
            flash_form_errors(form)
            return redirect(url_for("draw.quota", slug=item.slug), code=303)  # type: ignore[return-value]
        flash(_("Some values are not right; see the marked fields."), "error")
        return _quota_page(item, form, SharesImportForm(formdata=None))
    submitted = {
        line.option_id: service.QuotaInput(
            share=share.data, tolerance=tolerance.data, min=low.data, max=high.data
        )
        for line, share, tolerance, low, high in form.rows()
    }
    try:
        changed = service.save_quotas(session, current_staff(), item, submitted)
    except service.InvalidQuotas as exc:
        session.rollback()
        for line, _share, _tolerance, low, _high in form.rows():
            reason = exc.args[0].get(line.option_id)
            if reason:
                low.errors = [*low.errors, str(QUOTA_ERRORS[reason])]
        flash(_("Some values are not right; see the marked fields."), "error")
        return _quota_page(item, form, SharesImportForm(formdata=None))
    session.commit()
    flash(_("%(count)s quotas changed.", count=changed), "success")
    return redirect(url_for("draw.quota", slug=item.slug), code=303)  # type: ignore[return-value]


@bp.post("/quota/import")
@staff_required()
def import_shares(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = SharesImportForm()
    back = redirect(url_for("draw.quota", slug=item.slug), code=303)
    if not form.validate_on_submit():
        lines = engine.quota_lines(get_session(), item)
        if lines and form.errors.keys() - {"csrf_token"}:
            return _quota_page(item, quota_form(lines, item.panel_size, formdata=None), form)
        flash_form_errors(form)
        return back  # type: ignore[return-value]
    session = get_session()
    try:
        changed = service.import_shares(session, current_staff(), item, form.file.data.stream)
    except service.SharesRejected as exc:
        session.rollback()
        flash(_("Nothing was imported; correct these rows and try again:"), "error")
        for error in exc.args[0][:20]:
            flash(
                _(
                    "Row %(row)s, column “%(column)s”: %(reason)s",
                    row=error.row,
                    column=error.column,
                    reason=SHARE_REASONS.get(error.reason, error.reason),
                ),
                "error",
            )
        return back  # type: ignore[return-value]
    session.commit()
    flash(_("%(count)s population shares changed.", count=changed), "success")
    return back  # type: ignore[return-value]


@bp.get("/controle")
@staff_required()
def check(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    session = get_session()
    user = current_staff()
    prepared = service.feasibility_inputs(session, item)
    lines = engine.quota_lines(session, item)
    # No transaction stays open while the solver checks the quotas.
    session.rollback()
    found = prepared if isinstance(prepared, service.Feasibility) else service.diagnose(prepared)
    relax_form = RelaxForm(formdata=None)
    relaxations = (found.diagnosis or {}).get("relaxations") or []
    relax_form.changes.data = json.dumps(relaxations, ensure_ascii=False)
    relax_form.state.data = service.quota_state(lines)
    return render_template(
        "draw/check.html",
        assembly=item,
        found=found,
        lines=lines,
        relax_form=relax_form,
        relaxations=relaxations,
        can_edit=user is not None and user.role in EDITORS,
    )


@bp.post("/controle/toepassen")
@staff_required()
def apply_relaxation(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = RelaxForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("draw.check", slug=item.slug), code=303)  # type: ignore[return-value]
    session = get_session()
    try:
        service.apply_relaxation(session, current_staff(), item, form.parsed, form.state.data or "")
    except service.QuotasChanged:
        session.rollback()
        flash(_("The quotas changed since the check. Check again."), "error")
    else:
        session.commit()
        flash(_("The suggested changes have been applied."), "success")
    return redirect(url_for("draw.check", slug=item.slug), code=303)  # type: ignore[return-value]


# --- the seed ceremony ------------------------------------------------------------------------


@bp.post("/publiceren")
@staff_required()
def publish(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = PublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        service.publish(session, current_staff(), item, form.seed_method.data or "")
    except service.AlreadyPublished:
        session.rollback()
        flash(_("The lottery has already been published."), "error")
    except service.NotDone:
        session.rollback()
        flash(_("Compute the lottery first."), "error")
    else:
        session.commit()
        flash(_("The fingerprint and the lottery are now public."), "success")
    return _back(item)


@bp.post("/seed")
@staff_required()
def seed(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = SeedForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        run = service.enter_seed(session, current_staff(), item, (form.seed.data or "").strip())
    except service.NotPublished:
        session.rollback()
        flash(_("Publish the lottery and how the seed will be chosen first."), "error")
    except service.AlreadySeeded:
        session.rollback()
        flash(_("The seed has already been entered."), "error")
    else:
        session.commit()
        flash(_("The panel has been drawn with seed “%(seed)s”.", seed=run.seed), "success")
    return _back(item)


@bp.post("/medeondertekenen")
@staff_required()
def countersign(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=WITNESSES)
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    user = current_staff()
    assert user is not None
    try:
        service.countersign(session, user, item)
    except service.NotSeeded:
        session.rollback()
        flash(_("There is no drawn panel to sign yet."), "error")
    except service.AlreadySigned:
        session.rollback()
        flash(_("You have already signed this result."), "error")
    else:
        session.commit()
        flash(_("You have countersigned the result."), "success")
    return _back(item)


@bp.get("/export.csv")
@staff_required()
def export(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    run = service.seeded_run(session, item)
    out = io.StringIO()
    writer = csv.writer(out)
    if run is None:
        writer.writerow(service.EXPORT_HEADER)
    else:
        writer.writerows(service.export_rows(session, run))
        service.record_export(session, current_staff(), item, run)
    session.commit()
    data = codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    return private_download(data, mimetype="text/csv", name=f"loting-{item.slug}.csv")


# --- invitations and replacements ------------------------------------------------------------


@bp.post("/uitnodigingen")
@staff_required()
def invite(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = InviteForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        sent = service.send_invitations(session, current_staff(), item, form.respond_by.data)
    except service.NotSeeded:
        session.rollback()
        flash(_("Draw the panel first."), "error")
    except service.NothingToInvite:
        session.rollback()
        flash(_("Everyone on the panel has been invited already."), "info")
    else:
        session.commit()
        flash(
            _(
                "%(emails)s invitations sent by e-mail; %(letters)s letters to print.",
                emails=sent.emails,
                letters=sent.letters,
            ),
            "success",
        )
    return _back(item)


@bp.get("/brieven.pdf")
@staff_required()
def letters_pdf(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    found = service.letters(session, item)
    run = service.seeded_run(session, item)
    dates = load_session_dates(session, item)
    pdf = letters.render_pdf(item, run, found, dates)
    service.record_letters(session, current_staff(), item, len(found))
    session.commit()
    return private_download(
        pdf, mimetype="application/pdf", name=f"uitnodigingen-{item.slug}.pdf"
    )


@bp.post("/antwoord")
@staff_required()
def answer(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    try:
        service.record_answer(
            session, current_staff(), item, form.member_id.data or 0, form.answer.data or ""
        )
    except service.NoSuchMember:
        session.rollback()
        abort(404)
    except service.AnswerNotAllowed:
        session.rollback()
        flash(_("This answer is not possible for this seat any more."), "error")
    except service.DeadlineNotPassed:
        session.rollback()
        flash(_("“No answer” can only be recorded after the deadline."), "error")
    else:
        session.commit()
        flash(_("The answer has been recorded."), "success")
    return _back(item)


def _replacement_impossible(seats: int, error: service.ReplacementImpossible) -> str:
    """The message for seats no replacement can fill, naming the quotas that block it."""
    diagnosis = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    blocking = [
        f"{r['category']} {r['value']} ("
        + (_("minimum") if r["bound"] == "min" else _("maximum"))
        + ")"
        for r in diagnosis.get("relaxations") or []
    ]
    if not blocking:
        return _(
            "No replacement keeps every quota for %(count)s seats. Relax the quotas with "
            "the feasibility check, or leave the seats open.",
            count=seats,
        )
    return _(
        "No replacement keeps every quota for %(count)s seats: too few people who can "
        "still be drawn fit %(quotas)s next to the members who stay. Change that quota "
        "in the quota editor, or leave the seats open.",
        count=seats,
        quotas=", ".join(blocking),
    )


@bp.post("/vervangen")
@staff_required()
def replace(slug: str) -> Response:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    form = ActionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(item)
    session = get_session()
    actor = current_staff()
    try:
        outcome = service.replace_with_reserves(session, actor, item)
    except service.NotSeeded:
        session.rollback()
        flash(_("Draw the panel first."), "error")
        return _back(item)
    except service.NothingToReplace:
        session.rollback()
        flash(_("There are no open seats to fill."), "info")
        return _back(item)
    session.commit()
    done = list(outcome.done)
    if outcome.remaining:
        plan = service.plan_engine_replacement(session, item)
        # No transaction stays open while the engine draws replacements.
        session.rollback()
        if plan is not None:
            try:
                chosen = service.run_engine_replacement(plan)
                done += service.apply_engine_replacement(session, actor, item, plan, chosen)
            except service.ReplacementImpossible as error:
                session.rollback()
                flash(_replacement_impossible(len(plan.dropped), error), "error")
            except service.StateChanged:
                session.rollback()
                flash(_("The panel changed meanwhile; try again."), "error")
            else:
                session.commit()
    for replacement in done:
        flash(
            _(
                "%(new)s takes the seat of %(old)s (%(how)s).",
                new=replacement.into,
                old=replacement.out,
                how=_("reserve list") if replacement.via == "reserve" else _("new fair draw"),
            ),
            "success",
        )
    return _back(item)


# --- public pages ---------------------------------------------------------------------------


def engine_tolerance(run: Any) -> float | None:
    """The engine's tolerance when it is coarse enough to mention (DRAW_TOLERANCE >= 1e-4)."""
    tolerance = float(json.loads(run.settings_json).get("tolerance") or 0)
    return tolerance if tolerance >= 1e-4 else None


def verify_command(seed: str) -> str:
    return (
        f"python -m sortition verify --report {engine.REPORT_FILE} --seed {shlex.quote(seed)} "
        f"--people {engine.PEOPLE_FILE} --categories {engine.CATEGORIES_FILE}"
    )


@public_bp.get("/loting")
def transparency(slug: str) -> str:
    item = public_assembly(slug)
    session = get_session()
    run = service.published_run(session, item)
    chart = None
    replacements = 0
    if run is not None:
        panel = service.current_panel(session, run) if run.seed else []
        chart = service.composition(run, _locale(), panel)
        replacements = service.replacements_count(session, run) if run.seed else 0
    return render_template(
        "draw/transparency.html",
        assembly=item,
        run=run,
        letters=service.letters_sent(session, item),
        composition=chart,
        replacements=replacements,
        signatures=len(service.signatures(session, run)) if run is not None and run.seed else 0,
        n_panels=service.n_panels(run) if run is not None else 0,
        command=verify_command(run.seed) if run is not None and run.seed else "",
        files=engine,
        tolerance=engine_tolerance(run) if run is not None else None,
    )


@public_bp.get("/loting/<name>")
def public_file(slug: str, name: str) -> Response:
    item = public_assembly(slug)
    if name not in service.PUBLIC_FILES:
        abort(404)
    data = service.public_file(get_session(), item, name)
    if data is None:
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=service.PUBLIC_FILES[name],
        as_attachment=True,
        download_name=name,
    )
    return response


@public_bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def invitation(slug: str, token: str) -> Response | str:
    item = public_assembly(slug)
    session = get_session()
    found = service.member_by_token(session, item, token)
    if found is None:
        abort(404)
    member, registration, run = found
    form = RespondForm()
    if form.validate_on_submit():
        answer = "accept" if form.accept.data else "decline" if form.decline.data else ""
        reference = registration.reference
        try:
            service.respond(session, member, run, answer, reference)
        except service.AnswerNotAllowed:
            session.rollback()
            flash(_("This answer is not possible any more."), "error")
        except service.DeadlinePassed:
            session.rollback()
            flash(_("The deadline has passed. Please contact the organisers."), "error")
        else:
            session.commit()
            if answer == "accept":
                flash(_("Thank you! You have accepted your seat on the panel."), "success")
            else:
                flash(
                    _("Thank you for letting us know. Your seat goes to someone else."), "success"
                )
        return redirect(url_for("draw_public.invitation", slug=item.slug, token=token), code=303)  # type: ignore[return-value]
    response = make_response(
        render_template(
            "draw/invitation.html",
            assembly=item,
            member=member,
            registration=registration,
            run=run,
            form=form,
            deadline=local_day(run.respond_by) if run.respond_by else None,
            deadline_passed=service.deadline_passed(run),
            dates=[
                (local_time(d.starts_at), d) for d in load_session_dates(session, item)
            ],
        )
    )
    # The link is personal: keep it out of shared caches and other sites' referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response  # type: ignore[return-value]
