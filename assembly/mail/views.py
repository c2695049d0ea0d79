"""``/dev/outbox``: read the outbox in a demo or development installation."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlmodel import select

from ..access import EDITORS, staff_required
from ..db import get_session
from ..models import OutboxMessage
from ..settings import settings

bp = Blueprint("mail", __name__, url_prefix="/dev")


@bp.get("/outbox")
@staff_required(*EDITORS)
def outbox() -> str:
    if not settings().dev_outbox:
        abort(404)
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)  # type: ignore[union-attr]
    messages = get_session().exec(query).all()
    return render_template("mail/outbox.html", messages=messages)
