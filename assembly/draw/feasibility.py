"""The feasibility check: can a panel meet every quota, and if not, the smallest change
that makes it possible (applied with one click)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session

from .. import audit
from ..audit import Actor
from ..models import Assembly, CategoryOption
from . import engine
from .chances import Group, excluded_groups
from .errors import DrawError, NoCategories, QuotasChanged


@dataclass
class Feasibility:
    """What the check found: a ``problem`` that kept it from running, or the diagnosis."""

    problem: DrawError | None = None  # NoCategories, PoolTooSmall or BadInputs
    diagnosis: dict[str, Any] | None = None
    pool_size: int = 0
    households: int = 0
    # The quotas as checked, and their state (see :func:`quota_state`).
    lines: list[engine.QuotaLine] = field(default_factory=list)
    state: str = ""
    # Who can never be drawn with these quotas (feasible), or still could not be after the
    # suggested relaxation (infeasible), named by the values they share.
    left_out: list[Group] = field(default_factory=list)

    @property
    def nothing_to_draw_on(self) -> bool:
        return isinstance(self.problem, NoCategories)

    @property
    def relaxations(self) -> list[dict[str, Any]]:
        """The smallest change of the quotas that makes a panel possible (if any)."""
        return list((self.diagnosis or {}).get("relaxations") or [])


def check(session: Session, assembly: Assembly) -> Feasibility:
    """Check the quotas against everyone who can be drawn now.

    Ends the session's transaction before the engine works: no transaction stays open
    while the solver checks the quotas.
    """
    lines = engine.quota_lines(session, assembly)
    try:
        inputs = engine.build_inputs(session, assembly)
        loaded: engine.Loaded | None = engine.load(
            inputs.people_csv, inputs.categories_csv, assembly.panel_size
        )
        problem: DrawError | None = None
    except DrawError as error:
        loaded, problem = None, error
    session.rollback()
    found = Feasibility(problem=problem, lines=lines, state=quota_state(lines))
    if loaded is not None:
        found.diagnosis = engine.check(loaded)
        found.pool_size = loaded.pool_size
        found.households = loaded.households
        key = "forced_out_people" if found.diagnosis["feasible"] else "excluded_after_relaxation"
        ids = loaded.instance.pool.ids
        left_out = [ids[i] for i in found.diagnosis.get(key) or []]
        if left_out:
            people = {
                row[engine.ID_COLUMN]: row
                for row in csv.DictReader(io.StringIO(inputs.people_csv.decode("utf-8")))
            }
            found.left_out = excluded_groups(
                people,
                left_out,
                list(loaded.quotas.categories),
                {(line.category, engine.normalize(line.value)): line.label for line in lines},
            )
    return found


@dataclass(frozen=True)
class Relaxation:
    category: str
    value: str
    bound: str  # min | max
    old: int
    new: int


def quota_state(lines: Iterable[engine.QuotaLine]) -> str:
    """A short hash of every bound, to tell whether the quotas changed since a check."""
    text = "\n".join(f"{line.option_id}:{line.min}:{line.max}" for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def apply_relaxation(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    relaxations: list[Relaxation],
    state: str | None = None,
) -> None:
    """Apply the suggested changes, provided the quotas are still what the check saw.

    ``state`` is :func:`quota_state` at the time of the check; any change since then (also
    to quotas the suggestion does not touch) makes the suggestion stale.
    """
    current = engine.quota_lines(session, assembly)
    if state is not None and state != quota_state(current):
        raise QuotasChanged()
    lines = {
        (engine.normalize(line.category), engine.normalize(line.value)): line for line in current
    }
    if not relaxations:
        raise QuotasChanged()
    for relaxation in relaxations:
        key = (engine.normalize(relaxation.category), engine.normalize(relaxation.value))
        line = lines.get(key)
        if line is None or relaxation.bound not in ("min", "max"):
            raise QuotasChanged()
        bound = line.min if relaxation.bound == "min" else line.max
        if bound != relaxation.old or not 0 <= relaxation.new <= assembly.panel_size:
            raise QuotasChanged()
        option = session.get(CategoryOption, line.option_id)
        assert option is not None
        if relaxation.bound == "min":
            option.quota_min = relaxation.new
        else:
            option.quota_max = relaxation.new
        session.add(option)
    audit.record(
        session,
        actor,
        "draw.relax",
        assembly,
        {"changes": [asdict(r) for r in relaxations][:60]},
    )
