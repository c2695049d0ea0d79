"""The draw's public pages: how the panel was drawn (``/a/<slug>/loting``) with the files to
check it, and the invited member's personal link (``/a/<slug>/uitnodiging/<token>``)."""

from __future__ import annotations

from flask import abort, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..actions import act, current_assembly, public_blueprint
from ..db import get_session
from ..models import DrawRun, PanelMember, Registration
from ..published import cached
from ..questionnaire.questions import current_language
from ..questionnaire.session_dates import load_session_dates
from ..settings import settings as configured
from ..timeutil import local_day, local_time
from . import answers, engine, invitations, program, transparency
from .forms import RespondForm

public_bp = public_blueprint("draw_public", __name__)


@public_bp.get("/loting", endpoint="transparency")
@cached
def transparency_page() -> str:
    item = current_assembly()
    # Built by hand from the configured address: the command is copied into a terminal.
    wheel_url = configured().base_url + url_for(".public_file", name=program.wheel_name())
    found = transparency.public_draw(get_session(), item, current_language(), wheel_url)
    return render_template(
        "draw/transparency.html",
        assembly=item,
        run=found.run,
        found=found,
        letters=found.letters,
        composition=found.composition,
        replacements=found.replacements,
        signatures=found.signatures,
        n_panels=found.n_panels,
        command=found.command,
        files=engine,
        replacements_file=transparency.REPLACEMENTS_FILE,
        tolerance=found.tolerance,
    )


@public_bp.get("/loting/<name>")
@cached
def public_file(name: str) -> Response:
    if name not in transparency.PUBLIC_FILES and name != program.wheel_name():
        abort(404)
    data = transparency.public_file(get_session(), current_assembly(), name)
    if data is None:
        abort(404)
    return Response(
        data,
        mimetype=transparency.PUBLIC_FILES.get(name, transparency.WHEEL_TYPE),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _invitation_page(
    member: PanelMember,
    registration: Registration,
    run: DrawRun,
    form: RespondForm,
    *,
    confirm_decline: bool = False,
) -> Response:
    item = current_assembly()
    response = make_response(
        render_template(
            "draw/invitation.html",
            assembly=item,
            member=member,
            registration=registration,
            run=run,
            form=form,
            confirm_decline=confirm_decline,
            deadline=local_day(run.respond_by) if run.respond_by else None,
            deadline_passed=answers.deadline_passed(run),
            dates=[
                (local_time(d.starts_at), d) for d in load_session_dates(get_session(), item)
            ],
        )
    )
    # The link is personal: keep it out of shared caches and other sites' referrers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@public_bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    session = get_session()
    found = invitations.member_by_token(session, current_assembly(), token)
    if found is None:
        abort(404)
    member, registration, run = found
    form = RespondForm()
    if request.method != "POST":
        return _invitation_page(member, registration, run, form)
    answer = "accept" if form.accept.data else "decline" if form.decline.data else ""
    if answer == "decline" and not form.sure.data:
        # Declining cannot be undone: first ask whether they are sure.
        return _invitation_page(member, registration, run, form, confirm_decline=True)
    return act(
        form,
        lambda: answers.respond(session, member, run, answer, registration.reference),
        success=(
            _("Thank you! You have accepted your seat on the panel.")
            + (
                " " + _("We have sent you a confirmation by e-mail.")
                if registration.email
                else ""
            )
            if answer == "accept"
            else _("Thank you for letting us know. Your seat goes to someone else.")
        ),
        to=url_for("draw_public.invitation", token=token),
        on_invalid=lambda: _invitation_page(member, registration, run, form),
    )
