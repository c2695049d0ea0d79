from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select
from werkzeug.wrappers import Response

from ..access import public_assembly
from ..db import get_engine, get_session
from ..labels import STAGE_LABELS
from ..models import STAGE_ORDER, Assembly, Milestone, Stage
from ..published import cached
from ..registration.settings import is_closed

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    assemblies = get_session().exec(select(Assembly).order_by(Assembly.name)).all()
    return render_template("public/index.html", assemblies=assemblies, stage_labels=STAGE_LABELS)


@bp.get("/a/<slug>/")
@cached(depends_on=is_closed)
def assembly(slug: str) -> str:
    session = get_session()
    item = public_assembly(slug)
    plans = {
        m.stage: m.period
        for m in session.exec(select(Milestone).where(Milestone.assembly_id == item.id))
    }
    current = STAGE_ORDER.index(Stage(item.stage)) if item.stage in STAGE_ORDER else 0
    timeline = [
        {
            "stage": stage.value,
            "label": STAGE_LABELS[stage.value],
            "period": plans.get(stage.value, ""),
            "state": "done" if i < current else ("current" if i == current else "upcoming"),
        }
        for i, stage in enumerate(STAGE_ORDER)
    ]
    return render_template(
        "public/assembly.html",
        assembly=item,
        timeline=timeline,
        stage_labels=STAGE_LABELS,
        # During recruitment residents find the registration page from here (with the
        # letter's code, or without one when open registration is on).
        registration_open=item.stage == Stage.RECRUITMENT.value and not is_closed(item),
    )


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok"), 200
