"""Append-only audit log whose entries are chained by SHA-256.

Each entry stores the hash of the entry before it, so changing or deleting any past entry
breaks every hash after it; ``flask --app app verify-audit`` recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, text
from sqlmodel import Session, select

from ..models import Assembly, AuditEntry, User
from ..timeutil import as_utc, utcnow

GENESIS_HASH = "0" * 64
MAX_PAYLOAD_CHARS = 8000
# Any fixed number: the key of the PostgreSQL advisory lock that serialises writers.
_CHAIN_LOCK_KEY = 7_227_001

Actor = User | str | None
AuditObject = Any  # a model instance with an id, a (type, id) tuple, or None


def actor_label(actor: Actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, User):
        return f"staff:{actor.id} {actor.email}"
    return str(actor)


def _object_ref(obj: AuditObject) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        kind, ident = obj
        return str(kind), str(ident)
    return str(getattr(obj, "__tablename__", type(obj).__name__)), str(getattr(obj, "id", ""))


def _assembly_id(obj: AuditObject, assembly: Assembly | int | None) -> int | None:
    if isinstance(assembly, Assembly):
        return assembly.id
    if assembly is not None:
        return assembly
    if isinstance(obj, Assembly):
        return obj.id
    value = getattr(obj, "assembly_id", None)
    return value if isinstance(value, int) else None


def entry_hash(
    *,
    prev_hash: str,
    created_at: datetime,
    assembly_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: str,
) -> str:
    material = json.dumps(
        [
            prev_hash,
            as_utc(created_at).isoformat(timespec="microseconds"),
            assembly_id,
            actor,
            action,
            object_type,
            object_id,
            payload,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        prev_hash=entry.prev_hash,
        created_at=entry.created_at,
        assembly_id=entry.assembly_id,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        payload=entry.payload,
    )


def record(
    session: Session,
    actor: Actor,
    action: str,
    object: AuditObject = None,  # noqa: A002 - the audit vocabulary: actor, action, object
    payload: dict[str, Any] | None = None,
    *,
    assembly: Assembly | int | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the change itself)."""
    payload_text = json.dumps(payload or {}, sort_keys=True, ensure_ascii=False, default=str)
    if len(payload_text) > MAX_PAYLOAD_CHARS:
        raise ValueError("audit payload too large; store a reference instead")
    session.flush()  # the object's id must exist before we refer to it
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Two writers must not both chain onto the same last entry. SQLite needs nothing:
        # every transaction there already began with BEGIN IMMEDIATE.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    object_type, object_id = _object_ref(object)
    entry = AuditEntry(
        created_at=utcnow(),
        assembly_id=_assembly_id(object, assembly),
        actor=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=payload_text,
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    entry.hash = _hash_of(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> Verification:
    """Recompute the chain from the first entry; report the first entry that doesn't fit."""
    expected_prev = GENESIS_HASH
    count = 0
    query = select(AuditEntry).order_by(AuditEntry.id)  # type: ignore[arg-type]
    for entry in session.exec(query.execution_options(yield_per=500)):
        count += 1
        if entry.prev_hash != expected_prev:
            return Verification(count, entry.id, "previous hash does not match (entry removed?)")
        if _hash_of(entry) != entry.hash:
            return Verification(count, entry.id, "content does not match its hash (changed)")
        expected_prev = entry.hash
    return Verification(count)


def head(session: Session, assembly: Assembly | int) -> tuple[int, str]:
    """The head of one assembly's part of the log: how many entries, and the newest hash.

    Published with each draw file and recorded with each countersignature, so that a log
    cut short or rewritten afterwards no longer matches what was published.
    """
    assembly_id = assembly.id if isinstance(assembly, Assembly) else assembly
    count = session.exec(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.assembly_id == assembly_id)
    ).one()
    last = session.exec(
        select(AuditEntry.hash)
        .where(AuditEntry.assembly_id == assembly_id)
        .order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    return int(count), last or GENESIS_HASH


def entries_for_assembly(session: Session, assembly_id: int, limit: int = 500) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.assembly_id == assembly_id)
        .order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    return list(session.exec(query))


def init_app(app: Flask) -> None:
    """Register the audit log's page."""
    from . import views

    app.register_blueprint(views.bp)
