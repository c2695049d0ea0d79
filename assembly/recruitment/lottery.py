"""The invitation lottery: which addresses get a letter, drawn with a seed.

Letters are shared out over strata (municipalities or districts) in proportion to their
population, optionally weighted to send more letters where fewer people respond; within a
stratum the addresses come in the order of a hash of the seed and the registry's address
id, so the same seed and the same list always give the same letters.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert
from sqlmodel import Session, col, select

from .. import audit
from ..audit import Actor
from ..errors import ServiceError
from ..models import Address, Assembly, Invitation, InvitationBatch
from . import codes

BATCH_SIZE = 5000
STRATA_KINDS = ("municipality", "district")


class NoAddresses(ServiceError):
    message = _l("Import the address list first.")


class TooManyLetters(ServiceError):
    """More letters than addresses that have not been invited yet (``count``)."""

    message = _l("Only %(count)s addresses have not been invited yet.")


class NothingToDraw(ServiceError):
    """The weights leave no stratum to draw from."""

    message = _l("No letters could be drawn: every stratum has weight 0.")


class UnknownStratum(ServiceError):
    """A weight was given for a stratum that is not in the list (``name``)."""

    message = _l("There is no stratum called “%(name)s” in the list.")


def stratum_column(kind: str) -> Any:
    """The address column whose values are the strata of ``kind``."""
    return col(Address.district) if kind == "district" else col(Address.municipality)


def invitation_count(session: Session, assembly: Assembly) -> int:
    query = (
        select(func.count())
        .select_from(Invitation)
        .join(InvitationBatch, col(Invitation.batch_id) == col(InvitationBatch.id))
        .where(InvitationBatch.assembly_id == assembly.id)
    )
    return session.exec(query).one()


def strata(session: Session, assembly: Assembly, kind: str) -> list[tuple[str, int, int, int]]:
    """Per stratum: name, addresses, population (16+ where known), not yet invited."""
    column = stratum_column(kind)
    invited = select(Invitation.address_id)
    query = (
        select(
            column,
            func.count(),
            func.sum(func.coalesce(Address.adults, 1)),
            func.sum(case((col(Address.id).in_(invited), 0), else_=1)),
        )
        .where(Address.assembly_id == assembly.id)
        .group_by(column)
        .order_by(column)
    )
    return [(name, n, int(p or 0), int(r or 0)) for name, n, p, r in session.execute(query)]


# --- the draw ---------------------------------------------------------------------------


def largest_remainder(
    letters: int, population: dict[str, float], capacity: dict[str, int]
) -> dict[str, int]:
    """Split ``letters`` over strata in proportion to ``population`` (largest remainder).

    A stratum never gets more than its ``capacity``; what it cannot take is shared out
    again over the others in the same way. Ties go to the stratum that sorts first.
    """
    allocation = {name: 0 for name in population}
    open_strata = {n for n in population if capacity.get(n, 0) > 0 and population[n] > 0}
    left = letters
    while left > 0 and open_strata:
        total = sum(population[name] for name in open_strata)
        quotas = {name: left * population[name] / total for name in open_strata}
        share = {name: int(quotas[name]) for name in open_strata}
        rest = left - sum(share.values())
        by_remainder = sorted(open_strata, key=lambda n: (-(quotas[n] - share[n]), n))
        for name in by_remainder[:rest]:
            share[name] += 1
        full = set()
        for name in open_strata:
            room = capacity[name] - allocation[name]
            take = min(room, share[name])
            allocation[name] += take
            left -= take
            if allocation[name] >= capacity[name]:
                full.add(name)
        if not full:
            break
        open_strata -= full
    return allocation


def _order_key(seed: str, external_id: str) -> bytes:
    # The order depends only on the seed and the registry's id, not on database ids or the
    # order of the file, so the same seed and list always give the same letters.
    return hashlib.sha256(f"{seed}\x1f{external_id}".encode()).digest()


def _ranked(
    rows: Iterable[tuple[int, str, str]], seed: str, allocation: dict[str, int]
) -> list[int]:
    """The first ``allocation[stratum]`` addresses of each stratum by :func:`_order_key`."""
    candidates: dict[str, list[tuple[bytes, int]]] = {n: [] for n, k in allocation.items() if k}
    sha256 = hashlib.sha256
    prefix = f"{seed}\x1f"
    for address_id, external_id, stratum in rows:
        bucket = candidates.get(stratum)
        if bucket is not None:
            # _order_key, inlined: this loop runs once for every address in the list.
            bucket.append((sha256(f"{prefix}{external_id}".encode()).digest(), address_id))
    chosen: list[int] = []
    for name in sorted(candidates):
        best = heapq.nsmallest(allocation[name], candidates[name])
        chosen.extend(address_id for _key, address_id in best)
    return chosen


def new_seed() -> str:
    return secrets.token_hex(8)


@dataclass
class DrawRequest:
    letters: int
    strata_kind: str = "municipality"
    weights: dict[str, float] = field(default_factory=dict)
    seed: str = ""


def draw_batch(
    session: Session, actor: Actor, assembly: Assembly, request: DrawRequest
) -> InvitationBatch:
    """Draw a batch of letters among the addresses not invited before, stratified."""
    assert assembly.id is not None
    kind = request.strata_kind if request.strata_kind in STRATA_KINDS else "municipality"
    seed = request.seed.strip() or new_seed()
    rows = strata(session, assembly, kind)
    if not rows:
        raise NoAddresses()
    names = {name for name, *_ in rows}
    for name in request.weights:
        if name not in names:
            raise UnknownStratum(name=name)
    available = sum(remaining for *_, remaining in rows)
    if request.letters > available:
        raise TooManyLetters(count=available)
    population = {name: pop * request.weights.get(name, 1.0) for name, _n, pop, _r in rows}
    capacity = {name: remaining for name, *_, remaining in rows}
    allocation = largest_remainder(request.letters, population, capacity)

    invited = select(Invitation.address_id)
    query = (
        select(Address.id, Address.external_id, stratum_column(kind))
        .where(Address.assembly_id == assembly.id, col(Address.id).not_in(invited))
        .execution_options(yield_per=BATCH_SIZE)
    )
    # Plain rows through the session's connection: no ORM bookkeeping per address.
    chosen = _ranked(session.connection().execute(query), seed, allocation)
    if not chosen:
        raise NothingToDraw()

    number = (
        session.exec(
            select(func.max(InvitationBatch.number)).where(
                InvitationBatch.assembly_id == assembly.id
            )
        ).one()
        or 0
    ) + 1
    payload = {"allocation": {k: v for k, v in allocation.items() if v}, "weights": request.weights}
    batch = InvitationBatch(
        assembly_id=assembly.id,
        number=number,
        seed=seed,
        strata_kind=kind,
        letters=len(chosen),
        allocation=json.dumps(payload, sort_keys=True, ensure_ascii=False),
    )
    session.add(batch)
    session.flush()
    _insert_invitations(session, batch, chosen)
    audit.record(
        session,
        actor,
        "recruitment.draw",
        batch,
        {
            "batch": number,
            "seed": seed,
            "letters": len(chosen),
            "strata": kind,
            "weights": request.weights,
            "allocation": payload["allocation"],
        },
        assembly=assembly,
    )
    return batch


def _insert_invitations(session: Session, batch: InvitationBatch, address_ids: list[int]) -> None:
    used: set[str] = set()
    for start in range(0, len(address_ids), BATCH_SIZE):
        rows = []
        for address_id in address_ids[start : start + BATCH_SIZE]:
            code = codes.new_code()
            while code in used:  # about 2**-59 per pair; the unique index guards the rest
                code = codes.new_code()
            used.add(code)
            rows.append({"batch_id": batch.id, "address_id": address_id, "code": code})
        # Core rows through the session's connection: no ORM bookkeeping per letter.
        session.connection().execute(insert(Invitation), rows)


def batches(session: Session, assembly: Assembly) -> list[InvitationBatch]:
    query = (
        select(InvitationBatch)
        .where(InvitationBatch.assembly_id == assembly.id)
        .order_by(col(InvitationBatch.number))
    )
    return list(session.exec(query))


def allocation_of(batch: InvitationBatch) -> dict[str, Any]:
    allocation: dict[str, Any] = json.loads(batch.allocation or "{}")
    return allocation
