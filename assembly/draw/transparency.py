"""What the public may see of the draw: the page "how the panel was drawn" and the files
anyone can re-run the draw from. Nothing is public before the organiser publishes, and
nothing here names a person (everyone is a random reference)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Assembly, DrawRun, Invitation, InvitationBatch, PanelMember
from . import engine
from .ceremony import signatures
from .composition import CategoryRow, composition
from .results import current_panel, n_panels
from .runs import published_run

PUBLIC_FILES = {
    engine.PEOPLE_FILE: "text/csv",
    engine.CATEGORIES_FILE: "text/csv",
    engine.LOTTERY_FILE: "application/json",
    engine.REPORT_FILE: "application/json",
}


def letters_sent(session: Session, assembly: Assembly) -> int:
    query = (
        select(func.count())
        .select_from(Invitation)
        .join(InvitationBatch, col(Invitation.batch_id) == InvitationBatch.id)
        .where(InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).one()


def replacements_count(session: Session, run: DrawRun) -> int:
    query = select(func.count()).where(
        PanelMember.run_id == run.id, col(PanelMember.replaces_id).is_not(None)
    )
    return session.exec(query).one()


def engine_tolerance(run: DrawRun) -> float | None:
    """The engine's tolerance when it is coarse enough to mention (DRAW_TOLERANCE >= 1e-4)."""
    tolerance = float(json.loads(run.settings_json).get("tolerance") or 0)
    return tolerance if tolerance >= 1e-4 else None


def verify_command(seed: str) -> str:
    """The command that re-runs the draw from the published files."""
    return (
        f"python -m sortition verify --report {engine.REPORT_FILE} --seed {shlex.quote(seed)} "
        f"--people {engine.PEOPLE_FILE} --categories {engine.CATEGORIES_FILE}"
    )


@dataclass
class PublicDraw:
    """The public page's figures; ``run`` is None until a lottery is published."""

    run: DrawRun | None
    letters: int
    composition: list[CategoryRow] | None = None
    replacements: int = 0
    signatures: int = 0
    n_panels: int = 0
    command: str = ""
    tolerance: float | None = None


def public_draw(session: Session, assembly: Assembly, locale: str) -> PublicDraw:
    run = published_run(session, assembly)
    found = PublicDraw(run, letters_sent(session, assembly))
    if run is None:
        return found
    found.composition = composition(run, locale, current_panel(session, run) if run.seed else [])
    found.n_panels = n_panels(run)
    found.tolerance = engine_tolerance(run)
    if run.seed:
        found.replacements = replacements_count(session, run)
        found.signatures = len(signatures(session, run))
        found.command = verify_command(run.seed)
    return found


def public_file(session: Session, assembly: Assembly, name: str) -> bytes | None:
    """The anonymised inputs and the reports, once they are public."""
    run = published_run(session, assembly)
    if run is None:
        return None
    if name == engine.PEOPLE_FILE:
        return run.people_csv.encode("utf-8")
    if name == engine.CATEGORIES_FILE:
        return run.categories_csv.encode("utf-8")
    if name == engine.LOTTERY_FILE and run.report_json:
        return run.report_json.encode("utf-8")
    if name == engine.REPORT_FILE and run.final_report_json:
        return run.final_report_json.encode("utf-8")
    return None
