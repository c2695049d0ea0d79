from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from ..access import (
    EDITORS,
    assembly_by_slug,
    current_staff,
    require_assembly_access,
    staff_required,
)
from ..access import visible_assemblies as _visible
from ..actions import act, on_form
from ..db import get_session
from ..labels import STAGE_LABELS
from ..models import STAGE_ORDER
from . import service
from .forms import AssemblyForm

bp = Blueprint("dashboard", __name__, url_prefix="/beheer")


def _data_from(form: AssemblyForm) -> service.AssemblyData:
    return service.AssemblyData(
        name=(form.name.data or "").strip(),
        slug=(form.slug.data or "").strip(),
        region=(form.region.data or "").strip(),
        commissioning_bodies=(form.commissioning_bodies.data or "").strip(),
        description=(form.description.data or "").strip(),
        panel_size=form.panel_size.data or 0,
        reserves=form.reserves.data or 0,
        stage=form.stage.data or STAGE_ORDER[0].value,
        plans={stage: field.data or "" for stage, field in form.plan_fields},
    )


@bp.get("/")
@staff_required()
def index() -> str:
    user = current_staff()
    assert user is not None
    return render_template(
        "dashboard/index.html",
        assemblies=_visible(get_session(), user),
        stage_labels=STAGE_LABELS,
        can_create=user.role in EDITORS,
    )


@bp.route("/nieuw", methods=["GET", "POST"])
@staff_required(*EDITORS)
def new_assembly() -> ResponseReturnValue:
    form = AssemblyForm()

    def page() -> str:
        return render_template("dashboard/assembly_form.html", form=form, assembly=None)

    if not form.is_submitted():
        return page()
    return act(
        form,
        lambda: service.create_assembly(get_session(), current_staff(), _data_from(form)),
        success=_l("The assembly has been created."),
        to=lambda created: url_for("dashboard.assembly", slug=created.slug),
        failed=url_for("dashboard.new_assembly"),
        on_invalid=page,
        on_error=on_form(form, page),
    )


@bp.get("/a/<slug>/")
@staff_required()
def assembly(slug: str) -> str:
    item = require_assembly_access(assembly_by_slug(slug))
    user = current_staff()
    return render_template(
        "dashboard/assembly.html",
        assembly=item,
        stage_labels=STAGE_LABELS,
        milestones={m.stage: m.period for m in service.milestones(get_session(), item)},
        stages=STAGE_ORDER,
        can_edit=user is not None and user.role in EDITORS,
    )


@bp.route("/a/<slug>/bewerken", methods=["GET", "POST"])
@staff_required()
def edit_assembly(slug: str) -> ResponseReturnValue:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    form = AssemblyForm(obj=item)
    if not form.is_submitted():
        for stage, period in ((m.stage, m.period) for m in service.milestones(session, item)):
            getattr(form, f"plan_{stage}").data = period

    def page() -> str:
        return render_template("dashboard/assembly_form.html", form=form, assembly=item)

    if not form.is_submitted():
        return page()
    return act(
        form,
        lambda: service.update_assembly(session, current_staff(), item, _data_from(form)),
        success=_l("The changes have been saved."),
        to=lambda _result: url_for("dashboard.assembly", slug=item.slug),
        failed=url_for("dashboard.edit_assembly", slug=slug),
        on_invalid=page,
        on_error=on_form(form, page),
    )
