"""Filling the seats of members who declined or did not answer, keeping every quota.

From the reserve list first (the next reserve whose swap keeps every quota and who does
not live with a member); the seats no reserve fits go to the engine, which draws fairly
among everyone still available. Each replacement is audited with the references of who
left and who came in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from sortition import ReplacementResult

from .. import audit
from ..audit import Actor
from ..models import Assembly, DrawPerson, DrawReplacement, DrawRun, PanelMember, SeatOrigin
from ..pool.eligibility import is_in_pool
from . import engine
from .errors import (
    DrawError,
    NothingToReplace,
    NotSeeded,
    ReplacementImpossible,
    StateChanged,
)
from .results import result
from .runs import locked, seeded_run

# Where a replacement came from: the reserve list, or the engine's new fair draw.
Via = Literal["reserve", "engine"]


@dataclass(frozen=True)
class Replacement:
    out: str  # references
    into: str
    via: Via


@dataclass
class ReserveOutcome:
    done: list[Replacement]
    remaining: int


@dataclass(frozen=True)
class _Panel:
    run: DrawRun
    references: dict[int, str]  # registration id -> reference
    seated: list[str]
    open_seats: list[PanelMember]  # left, not yet replaced, in order
    used: set[str]  # everyone who ever held a seat
    eligible: set[str]  # references still eligible now

    @property
    def registration_of(self) -> dict[str, int]:
        return {reference: rid for rid, reference in self.references.items()}

    @property
    def withdrawn(self) -> list[str]:
        """Everyone in the lottery who is no longer in the pool (published with each round)."""
        return sorted(set(self.references.values()) - self.eligible)


def _panel_state(session: Session, assembly: Assembly) -> _Panel:
    """The panel now, with the run's row locked: replacements are decided one at a time
    (two organisers filling seats at once would otherwise give one seat to two people)."""
    run = seeded_run(session, assembly)
    if run is None:
        raise NotSeeded()
    run = locked(session, run)
    found = result(session, run)
    return _Panel(
        run=run,
        references={p.registration_id: p.reference for p, _r in found.people},
        seated=found.current_references,
        open_seats=[s.member for s in found.vacant],
        used={s.reference for s in found.seats + found.former},
        eligible={p.reference for p, r in found.people if is_in_pool(r)},
    )


def replace_with_reserves(session: Session, actor: Actor, assembly: Assembly) -> ReserveOutcome:
    """Fill the seats of people who declined or did not answer from the reserve list.

    For each open seat the next reserve is taken whose swap for the person who left keeps
    every quota (and who does not live with a member). Seats no reserve fits are left for
    :func:`plan_engine_replacement`.
    """
    state = _panel_state(session, assembly)
    if not state.open_seats:
        raise NothingToReplace()
    loaded = engine.load_run(state.run)
    reserves = [
        p.reference
        for p in session.exec(
            select(DrawPerson)
            .where(DrawPerson.run_id == state.run.id, col(DrawPerson.reserve_rank).is_not(None))
            .order_by(col(DrawPerson.reserve_rank))
        )
    ]
    panel = state.seated + [state.references[m.registration_id] for m in state.open_seats]
    used = set(state.used)
    withdrawn = state.withdrawn
    done: list[Replacement] = []
    remaining = 0
    for seat in state.open_seats:
        out = state.references[seat.registration_id]
        candidate = engine.next_reserve(
            loaded, panel=panel, out=out, reserves=reserves, excluded=used | set(withdrawn)
        )
        if candidate is None:
            remaining += 1
            continue
        evidence = {
            "via": "reserve",
            "panel": list(panel),
            "out": out,
            "in": candidate,
            "withdrawn": withdrawn,
        }
        panel = [candidate if p == out else p for p in panel]
        used.add(candidate)
        _record_round(session, state.run, evidence)
        done.append(_fill_seat(session, actor, assembly, state, seat, candidate, via="reserve"))
    return ReserveOutcome(done, remaining)


def _record_round(session: Session, run: DrawRun, evidence: dict[str, Any]) -> None:
    """Keep what anyone needs to check this round (published in vervangingen.json)."""
    assert run.id is not None
    position = session.exec(
        select(func.count()).select_from(DrawReplacement).where(DrawReplacement.run_id == run.id)
    ).one()
    session.add(
        DrawReplacement(
            run_id=run.id,
            position=position + 1,
            evidence=json.dumps(evidence, ensure_ascii=False, sort_keys=True),
        )
    )
    session.flush()


@dataclass(frozen=True)
class EnginePlan:
    run_id: int
    people_csv: bytes
    categories_csv: bytes
    panel_size: int
    panel: tuple[str, ...]
    dropped: tuple[str, ...]
    available: frozenset[str]
    withdrawn: tuple[str, ...]
    seed: str


def plan_engine_replacement(session: Session, assembly: Assembly) -> EnginePlan | None:
    """What the engine needs to fill the seats no reserve could fill (None: none open)."""
    state = _panel_state(session, assembly)
    if not state.open_seats:
        return None
    assert state.run.id is not None
    dropped = tuple(state.references[m.registration_id] for m in state.open_seats)
    seed = f"{state.run.seed} / vervanging {','.join(sorted(dropped))}"
    return EnginePlan(
        run_id=state.run.id,
        people_csv=state.run.people_csv.encode("utf-8"),
        categories_csv=state.run.categories_csv.encode("utf-8"),
        panel_size=state.run.panel_size,
        panel=tuple(state.seated) + dropped,
        dropped=dropped,
        available=frozenset(state.eligible - state.used),
        withdrawn=tuple(state.withdrawn),
        seed=seed,
    )


def run_engine_replacement(plan: EnginePlan) -> ReplacementResult:
    """The engine's fair replacement draw; call it with no transaction open.

    Raises :class:`ReplacementImpossible` when no replacement keeps every quota.
    """
    loaded = engine.load(plan.people_csv, plan.categories_csv, plan.panel_size)
    return engine.replace(
        loaded,
        available=set(plan.available),
        panel=plan.panel,
        dropped=plan.dropped,
        seed=plan.seed,
    )


def apply_engine_replacement(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    plan: EnginePlan,
    outcome: ReplacementResult,
) -> list[Replacement]:
    """Seat the engine's choice, provided the panel is still what the plan saw."""
    chosen = tuple(outcome.replacements)
    state = _panel_state(session, assembly)
    dropped = tuple(state.references[m.registration_id] for m in state.open_seats)
    if (
        state.run.id != plan.run_id
        or dropped != plan.dropped
        or tuple(state.seated) + dropped != plan.panel
        or len(chosen) != len(dropped)
        or any(c in state.used or c not in state.eligible for c in chosen)
    ):
        raise StateChanged()
    _record_round(
        session,
        state.run,
        {
            "via": "engine",
            "seed": plan.seed,
            "panel": list(plan.panel),
            "dropped": list(plan.dropped),
            "in": list(chosen),
            "released": list(outcome.released),
            "withdrawn": list(plan.withdrawn),
            "distribution": outcome.description,
        },
    )
    return [
        _fill_seat(session, actor, assembly, state, seat, candidate, via="engine", seed=plan.seed)
        for seat, candidate in zip(state.open_seats, chosen, strict=True)
    ]


def _fill_seat(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    state: _Panel,
    seat: PanelMember,
    candidate: str,
    *,
    via: Via,
    seed: str | None = None,
) -> Replacement:
    """Give ``seat``'s place to ``candidate`` (a reserve, or the engine's choice); audited."""
    assert state.run.id is not None
    out = state.references[seat.registration_id]
    session.add(
        PanelMember(
            run_id=state.run.id,
            registration_id=state.registration_of[candidate],
            origin=SeatOrigin.RESERVE if via == "reserve" else SeatOrigin.REPLACEMENT,
            replaces_id=seat.id,
        )
    )
    payload: dict[str, Any] = {"out": out, "in": candidate, "via": via}
    if seed is not None:
        payload["seed"] = seed
    audit.record(session, actor, "draw.replace", seat, payload, assembly=assembly)
    return Replacement(out, candidate, via)


# --- the whole workflow ---------------------------------------------------------------------------


@dataclass
class Filled:
    """The seats filled, and why the engine could not fill the rest (if it could not)."""

    done: list[Replacement]
    problem: DrawError | None = None


def fill_open_seats(session: Session, actor: Actor, assembly: Assembly) -> Filled:
    """Fill every open seat: from the reserve list, then by the engine's fair draw.

    Commits as it goes: the reserves' replacements first; then the engine draws with no
    transaction open, and its replacements are committed on their own. When the engine
    cannot fill the seats left (:class:`ReplacementImpossible`, or :class:`StateChanged`
    when the panel changed meanwhile), that is the outcome's ``problem``, or raised when
    no seat was filled at all.

    Raises
    ------
    NotSeeded, NothingToReplace, ReplacementImpossible, StateChanged
    """
    outcome = replace_with_reserves(session, actor, assembly)
    session.commit()
    filled = Filled(list(outcome.done))
    if not outcome.remaining:
        return filled
    plan = plan_engine_replacement(session, assembly)
    # No transaction stays open while the engine draws replacements.
    session.rollback()
    if plan is None:
        return filled
    try:
        drawn = run_engine_replacement(plan)
        filled.done += apply_engine_replacement(session, actor, assembly, plan, drawn)
        session.commit()
    except (ReplacementImpossible, StateChanged) as error:
        session.rollback()
        if not filled.done:
            raise
        filled.problem = error
    return filled
