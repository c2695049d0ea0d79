"""The public seed ceremony: publish the lottery, enter the seed, countersign the result.

First the fingerprint, the lottery and how the seed will be chosen are published; then
the seed, chosen in public, turns the lottery into the panel and the ordered reserve list;
an observer may sign that they witnessed it. Audit entries hold fingerprints, the seed
and the random references, never names.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from .. import audit
from ..audit import Actor
from ..models import (
    Assembly,
    DrawPerson,
    DrawRun,
    DrawSignature,
    DrawStatus,
    PanelMember,
    SeatOrigin,
    User,
)
from ..timeutil import utcnow
from . import engine
from .chances import zero_chance
from .errors import (
    AlreadyPublished,
    AlreadySeeded,
    AlreadySigned,
    NotDone,
    NothingToSign,
    NotPublished,
    ZeroChanceNotAccepted,
)
from .runs import latest_run, lock_assembly, locked, published_run, seeded_run

MAX_SEED_METHOD = 2000
MAX_SEED = 200


def _refs_payload(name: str, references: list[str]) -> dict[str, Any]:
    # References are random and say nothing about a person; very long lists are replaced
    # by their hash so that the entry stays within the audit log's size limit.
    if len(references) * 12 > 3000:
        digest = hashlib.sha256("\n".join(references).encode()).hexdigest()
        return {f"{name}_count": len(references), f"{name}_sha256": digest}
    return {name: references}


def audit_head(session: Session, assembly: Assembly) -> dict[str, Any]:
    """The audit log's head as the published files give it."""
    count, digest = audit.head(session, assembly)
    return {"entries": count, "sha256": digest}


def publish(
    session: Session,
    actor: Actor,
    assembly: Assembly,
    seed_method: str,
    *,
    accept_zero_chance: bool = False,
) -> DrawRun:
    """Step 1: publish the fingerprint, the lottery and how the seed will be chosen.

    The published lottery (``loting.json``) carries the head of the assembly's audit log
    at this moment, so the log cannot later be cut short or rewritten unnoticed. A lottery
    in which someone who can be drawn has no chance at all is published only when the
    organiser says so explicitly (``accept_zero_chance``); the public page then says so.
    """
    lock_assembly(session, assembly)
    if published_run(session, assembly) is not None:
        raise AlreadyPublished()
    run = latest_run(session, assembly)
    if run is None or run.status != DrawStatus.DONE or run.report_json is None:
        raise NotDone()
    excluded = zero_chance(run)
    if excluded.count and not accept_zero_chance:
        raise ZeroChanceNotAccepted(count=excluded.count)
    lottery = json.loads(run.report_json)
    lottery["audit_head"] = audit_head(session, assembly)
    run.report_json = engine.report_text(lottery)
    run.lottery_sha256 = engine.sha256_text(run.report_json)
    run.published_at = utcnow()
    run.seed_method = seed_method.strip()[:MAX_SEED_METHOD]
    session.add(run)
    audit.record(
        session,
        actor,
        "draw.publish",
        run,
        {
            "fingerprint": run.fingerprint,
            "lottery_sha256": run.lottery_sha256,
            "seed_method": run.seed_method[:1000],
            "audit_head": lottery["audit_head"],
            "zero_chance": excluded.count,
        },
        assembly=assembly,
    )
    return run


def enter_seed(session: Session, actor: Actor, assembly: Assembly, seed: str) -> DrawRun:
    """Step 2: the seed turns the published lottery into the panel and the reserve list."""
    run = published_run(session, assembly)
    if run is None:
        raise NotPublished()
    run = locked(session, run)
    if run.seed is not None:
        raise AlreadySeeded()
    assert run.report_json is not None and run.id is not None
    report = json.loads(run.report_json)
    drawn = engine.draw(report, seed)
    final = engine.final_report(report, engine.load_run(run), drawn)
    final["draw"]["audit_head"] = audit_head(session, assembly)
    run.seed = seed
    run.seeded_at = utcnow()
    run.final_report_json = engine.report_text(final)
    session.add(run)
    people = {
        p.reference: p for p in session.exec(select(DrawPerson).where(DrawPerson.run_id == run.id))
    }
    for reference in drawn.selected:
        person = people[reference]
        person.selected = True
        session.add(person)
        session.add(
            PanelMember(
                run_id=run.id, registration_id=person.registration_id, origin=SeatOrigin.DRAW
            )
        )
    for rank, reference in enumerate(drawn.reserves, start=1):
        person = people[reference]
        person.reserve_rank = rank
        session.add(person)
    audit.record(
        session,
        actor,
        "draw.seed",
        run,
        {
            "seed": seed,
            "fingerprint": run.fingerprint,
            "lottery_sha256": run.lottery_sha256,
            "report_sha256": engine.sha256_text(run.final_report_json),
            **_refs_payload("selected", list(drawn.selected)),
            **_refs_payload("reserves", list(drawn.reserves)),
        },
        assembly=assembly,
    )
    return run


def countersign(session: Session, user: User, assembly: Assembly) -> DrawSignature:
    """An observer signs for the result they witnessed (their account and the time)."""
    run = seeded_run(session, assembly)
    if run is None or run.final_report_json is None:
        raise NothingToSign()
    run = locked(session, run)  # one signature per observer, also when they click twice
    existing = session.exec(
        select(DrawSignature).where(
            DrawSignature.run_id == run.id, DrawSignature.user_id == user.id
        )
    ).first()
    if existing is not None:
        raise AlreadySigned()
    assert run.id is not None and user.id is not None and run.final_report_json is not None
    count, digest = audit.head(session, assembly)
    signature = DrawSignature(
        run_id=run.id,
        user_id=user.id,
        report_sha256=engine.sha256_text(run.final_report_json),
        audit_count=count,
        audit_hash=digest,
    )
    session.add(signature)
    session.flush()
    audit.record(
        session,
        user,
        "draw.countersign",
        signature,
        {
            "fingerprint": run.fingerprint,
            "seed": run.seed,
            "report_sha256": signature.report_sha256,
            "audit_head": {"entries": count, "sha256": digest},
        },
        assembly=assembly,
    )
    return signature


def signatures(session: Session, run: DrawRun) -> list[tuple[DrawSignature, User]]:
    query = (
        select(DrawSignature, User)
        .join(User, col(DrawSignature.user_id) == User.id)
        .where(DrawSignature.run_id == run.id)
        .order_by(col(DrawSignature.signed_at))
    )
    return list(session.exec(query).all())
