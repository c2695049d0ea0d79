"""Creating and changing assemblies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from .. import audit
from ..errors import ServiceError
from ..models import Assembly, Membership, Milestone, Role, Stage, User
from ..timeutil import utcnow

EDITABLE_FIELDS = (
    "name",
    "slug",
    "region",
    "commissioning_bodies",
    "description",
    "panel_size",
    "reserves",
    "stage",
)


class AssemblyError(ServiceError):
    pass


class SlugTaken(AssemblyError):
    message = _l("This web address is already in use.")
    field = "slug"


@dataclass
class AssemblyData:
    name: str
    slug: str
    region: str = ""
    commissioning_bodies: str = ""
    description: str = ""
    panel_size: int = 100
    reserves: int = 0
    stage: str = Stage.SETUP.value
    plans: dict[str, str] | None = None


def _check_slug(session: Session, slug: str, own_id: int | None) -> None:
    other = session.exec(select(Assembly).where(Assembly.slug == slug)).first()
    if other is not None and other.id != own_id:
        raise SlugTaken()


def _save_plans(session: Session, assembly: Assembly, plans: dict[str, str]) -> dict[str, Any]:
    existing = {m.stage: m for m in milestones(session, assembly)}
    changes: dict[str, Any] = {}
    for stage, period in plans.items():
        period = period.strip()
        milestone = existing.get(stage)
        if milestone is None and period:
            session.add(Milestone(assembly_id=assembly.id, stage=stage, period=period))  # type: ignore[arg-type]
            changes[f"plan.{stage}"] = period
        elif milestone is not None and milestone.period != period:
            milestone.period = period
            session.add(milestone)
            changes[f"plan.{stage}"] = period
    return changes


def milestones(session: Session, assembly: Assembly) -> list[Milestone]:
    return list(session.exec(select(Milestone).where(Milestone.assembly_id == assembly.id)))


def create_assembly(session: Session, actor: User | None, data: AssemblyData) -> Assembly:
    _check_slug(session, data.slug, None)
    assembly = Assembly(**{field: getattr(data, field) for field in EDITABLE_FIELDS})
    session.add(assembly)
    session.flush()
    if actor is not None and actor.role != Role.ADMIN:
        # The organiser who creates an assembly works on it.
        session.add(Membership(user_id=actor.id, assembly_id=assembly.id))  # type: ignore[arg-type]
    _save_plans(session, assembly, data.plans or {})
    audit.record(
        session,
        actor,
        "assembly.create",
        assembly,
        {field: getattr(assembly, field) for field in EDITABLE_FIELDS if field != "description"},
    )
    return assembly


def update_assembly(
    session: Session, actor: User | None, assembly: Assembly, data: AssemblyData
) -> Assembly:
    _check_slug(session, data.slug, assembly.id)
    changes: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        new = getattr(data, field)
        if getattr(assembly, field) != new:
            # Long texts would bloat the log; that they changed is what the log must show.
            changes[field] = "(changed)" if field == "description" else new
            setattr(assembly, field, new)
    changes.update(_save_plans(session, assembly, data.plans or {}))
    if changes:
        assembly.updated_at = utcnow()
        session.add(assembly)
        audit.record(session, actor, "assembly.update", assembly, changes)
    return assembly


def add_member(session: Session, actor: User | str | None, user: User, assembly: Assembly) -> None:
    session.add(Membership(user_id=user.id, assembly_id=assembly.id))  # type: ignore[arg-type]
    session.flush()
    audit.record(
        session, actor, "membership.add", assembly, {"user": user.email, "role": user.role}
    )
