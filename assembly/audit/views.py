from __future__ import annotations

from flask import Blueprint, render_template
from sqlmodel import select

from ..access import require_assembly_access, staff_required
from ..db import get_session
from ..models import Assembly
from . import entries_for_assembly

bp = Blueprint("audit", __name__, url_prefix="/beheer")


@bp.get("/a/<slug>/audit")
@staff_required()
def log(slug: str) -> str:
    session = get_session()
    assembly = require_assembly_access(
        session.exec(select(Assembly).where(Assembly.slug == slug)).first()
    )
    return render_template(
        "audit/log.html",
        assembly=assembly,
        entries=entries_for_assembly(session, assembly.id),  # type: ignore[arg-type]
    )
