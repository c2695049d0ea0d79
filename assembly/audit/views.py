from __future__ import annotations

from flask import Blueprint, render_template

from ..access import assembly_by_slug, require_assembly_access, staff_required
from ..db import get_session
from . import entries_for_assembly

bp = Blueprint("audit", __name__, url_prefix="/beheer")


@bp.get("/a/<slug>/audit")
@staff_required()
def log(slug: str) -> str:
    session = get_session()
    assembly = require_assembly_access(assembly_by_slug(slug))
    return render_template(
        "audit/log.html",
        assembly=assembly,
        entries=entries_for_assembly(session, assembly.id),  # type: ignore[arg-type]
    )
