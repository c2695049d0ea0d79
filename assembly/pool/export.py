"""The pool as the sortition engine's people file: who may be drawn, with their answers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlmodel import Session

from .. import audit
from ..audit import Actor
from ..models import Assembly
from ..questionnaire.questions import load_questions
from .eligibility import eligible_pool


@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]
    skipped: int = 0  # eligible people without an answer to some question (and no fallback)


def export_people(session: Session, assembly: Assembly) -> Export:
    """The people file of the sortition engine: ``id``, one column per category, ``household``.

    Only people who consented and are in the pool (not withdrawn, not purged). A missing
    answer (for example a special-category question without its consent) becomes the
    question's "prefer not to say" value; without one the person is left out and counted.
    """
    qs = load_questions(session, assembly)
    header = ["id", *(q.category for q, _ in qs), "household"]
    values = {o.id: o.value for _q, options in qs for o in options}
    pool = eligible_pool(session, assembly)
    rows = [
        [person.reference, *(values[o] for o in person.option_ids), person.household_key]
        for person in pool.people
    ]
    return Export(header, rows, skipped=pool.incomplete)


def record_export(session: Session, actor: Actor, assembly: Assembly, export: Export) -> None:
    payload = {"rows": len(export.rows), "skipped": export.skipped}
    audit.record(session, actor, "pool.export", assembly, payload)


def export_csv(export: Export) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.header)
    writer.writerows(export.rows)
    return out.getvalue()
