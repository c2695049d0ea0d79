from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..access import (
    EDITORS,
    assembly_by_slug,
    current_staff,
    require_assembly_access,
    staff_required,
)
from ..access import visible_assemblies as _visible
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
def new_assembly() -> Response | str:
    form = AssemblyForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            assembly = service.create_assembly(session, current_staff(), _data_from(form))
        except service.SlugTaken:
            form.slug.errors.append(_("This web address is already in use."))
        else:
            session.commit()
            flash(_("The assembly has been created."), "success")
            return redirect(url_for("dashboard.assembly", slug=assembly.slug), code=303)
    return render_template("dashboard/assembly_form.html", form=form, assembly=None)


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
def edit_assembly(slug: str) -> Response | str:
    item = require_assembly_access(assembly_by_slug(slug), roles=EDITORS)
    session = get_session()
    form = AssemblyForm(obj=item)
    if not form.is_submitted():
        for stage, period in ((m.stage, m.period) for m in service.milestones(session, item)):
            getattr(form, f"plan_{stage}").data = period
    if form.validate_on_submit():
        try:
            service.update_assembly(session, current_staff(), item, _data_from(form))
        except service.SlugTaken:
            session.rollback()
            form.slug.errors.append(_("This web address is already in use."))
        else:
            session.commit()
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("dashboard.assembly", slug=item.slug), code=303)
    return render_template("dashboard/assembly_form.html", form=form, assembly=item)
