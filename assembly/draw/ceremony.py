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
from .errors import (
    AlreadyPublished,
    AlreadySeeded,
    AlreadySigned,
    NotDone,
    NothingToSign,
    NotPublished,
)
from .runs import latest_run, published_run, seeded_run

MAX_SEED_METHOD = 2000
MAX_SEED = 200


def _refs_payload(name: str, references: list[str]) -> dict[str, Any]:
    # References are random and say nothing about a person; very long lists are replaced
    # by their hash so that the entry stays within the audit log's size limit.
    if len(references) * 12 > 3000:
        digest = hashlib.sha256("\n".join(references).encode()).hexdigest()
        return {f"{name}_count": len(references), f"{name}_sha256": digest}
    return {name: references}


def publish(session: Session, actor: Actor, assembly: Assembly, seed_method: str) -> DrawRun:
    """Step 1: publish the fingerprint, the lottery and how the seed will be chosen."""
    if published_run(session, assembly) is not None:
        raise AlreadyPublished()
    run = latest_run(session, assembly)
    if run is None or run.status != DrawStatus.DONE:
        raise NotDone()
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
        },
        assembly=assembly,
    )
    return run


def enter_seed(session: Session, actor: Actor, assembly: Assembly, seed: str) -> DrawRun:
    """Step 2: the seed turns the published lottery into the panel and the reserve list."""
    run = published_run(session, assembly)
    if run is None:
        raise NotPublished()
    if run.seed is not None:
        raise AlreadySeeded()
    assert run.report_json is not None and run.id is not None
    report = json.loads(run.report_json)
    drawn = engine.draw(report, seed)
    final = engine.final_report(report, engine.load_run(run), drawn)
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
    existing = session.exec(
        select(DrawSignature).where(
            DrawSignature.run_id == run.id, DrawSignature.user_id == user.id
        )
    ).first()
    if existing is not None:
        raise AlreadySigned()
    assert run.id is not None and user.id is not None
    signature = DrawSignature(
        run_id=run.id,
        user_id=user.id,
        report_sha256=engine.sha256_text(run.final_report_json),
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
