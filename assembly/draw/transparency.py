"""What the public may see of the draw: the page "how the panel was drawn" and the files
anyone can re-run the draw from. Nothing is public before the organiser publishes, and
nothing here names a person (everyone is a random reference)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from sortition.verify import REPLACEMENTS_FORMAT

from ..models import (
    Assembly,
    DrawReplacement,
    DrawRun,
    Invitation,
    InvitationBatch,
    PanelMember,
)
from . import engine, program
from .ceremony import signatures
from .chances import Disclosure, ZeroChance, disclosure, zero_chance
from .composition import CategoryRow, composition
from .results import current_panel, n_panels
from .runs import published_run

REPLACEMENTS_FILE = "vervangingen.json"
PUBLIC_FILES = {
    engine.PEOPLE_FILE: "text/csv",
    engine.CATEGORIES_FILE: "text/csv",
    engine.LOTTERY_FILE: "application/json",
    engine.REPORT_FILE: "application/json",
    REPLACEMENTS_FILE: "application/json",
}
WHEEL_TYPE = "application/zip"
# The folder the page's commands make and work in.
CHECK_FOLDER = "loting-controle"


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


def verify_command(run: DrawRun) -> str:
    """The command that checks the draw from the published files (and nothing else).

    Before the seed it checks the lottery against the published fingerprints; after it,
    also the panel, the reserves and every replacement. ``--recompute`` computes the
    lottery again from the inputs.
    """
    parts = [
        "python -m sortition verify",
        f"--lottery {engine.LOTTERY_FILE} --lottery-sha256 {run.lottery_sha256}",
        f"--fingerprint {run.fingerprint}",
        f"--people {engine.PEOPLE_FILE} --categories {engine.CATEGORIES_FILE}",
    ]
    if run.seed is not None:
        parts.append(f"--report {engine.REPORT_FILE} --seed {shlex.quote(run.seed)}")
        parts.append(f"--replacements {REPLACEMENTS_FILE}")
    parts.append("--recompute")
    return " ".join(parts)


def install_commands(wheel_url: str) -> list[str]:
    """A fresh Python environment with the program this site runs (Linux and macOS)."""
    return [
        f"python3 -m venv {CHECK_FOLDER}",
        f". {CHECK_FOLDER}/bin/activate",
        f"pip install {shlex.quote(wheel_url)}",
    ]


def replacements_file(session: Session, run: DrawRun) -> bytes:
    """``vervangingen.json``: every round of replacements with what checking it needs."""
    rounds = session.exec(
        select(DrawReplacement)
        .where(DrawReplacement.run_id == run.id)
        .order_by(col(DrawReplacement.position))
    ).all()
    document = {
        "format": REPLACEMENTS_FORMAT,
        "format_version": 1,
        "report_sha256": engine.sha256_text(run.final_report_json or ""),
        "steps": [json.loads(item.evidence) for item in rounds],
    }
    return engine.report_text(document).encode("utf-8")


def audit_heads(run: DrawRun) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The audit log's head at publication (in loting.json) and at the draw (report.json)."""
    published = json.loads(run.report_json).get("audit_head") if run.report_json else None
    drawn = None
    if run.final_report_json:
        drawn = (json.loads(run.final_report_json).get("draw") or {}).get("audit_head")
    return published, drawn


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
    install: list[str] = field(default_factory=list)
    wheel: str = ""  # the program's file name
    version: str = ""
    heads: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
    zero: ZeroChance = field(default_factory=lambda: ZeroChance(0))
    disclosure: Disclosure | None = None


def public_draw(
    session: Session, assembly: Assembly, locale: str, wheel_url: str = ""
) -> PublicDraw:
    """What the public page shows; ``wheel_url``: the program's download address."""
    run = published_run(session, assembly)
    found = PublicDraw(run, letters_sent(session, assembly))
    if run is None:
        return found
    found.composition = composition(run, locale, current_panel(session, run) if run.seed else [])
    found.n_panels = n_panels(run)
    found.tolerance = engine_tolerance(run)
    found.command = verify_command(run)
    found.install = install_commands(wheel_url)
    found.wheel = program.wheel_name()
    found.version = program.version()
    found.heads = audit_heads(run)
    found.zero = zero_chance(run)
    found.disclosure = disclosure(run)
    if run.seed:
        found.replacements = replacements_count(session, run)
        found.signatures = len(signatures(session, run))
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
    if name == REPLACEMENTS_FILE and run.final_report_json:
        return replacements_file(session, run)
    if name == program.wheel_name():
        return program.wheel()
    return None
