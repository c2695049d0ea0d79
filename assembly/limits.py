"""Rate limits that hold across worker processes: logins, registration codes, sign-ups.

A :class:`Limit` counts attempts per key (an address, an account) in a sliding window,
in the database. Counting and adding happen under a lock on the key's row in
``attempt_lock`` (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every transaction
already holds the write lock), so twenty requests at once on four workers are counted as
twenty, and no more than the limit get through.

Keys are stored as a keyed hash (HMAC with the secret key): the table never holds an IP
address or an e-mail address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from .models import Attempt, AttemptLock
from .settings import settings
from .timeutil import utcnow

# Counted attempts are deleted after this long (every window is much shorter).
RETENTION = timedelta(days=1)
# IPv6 users get a whole /64 from their provider: limit the network, not one address.
IPV6_PREFIX = 64


def network_of(ip: str) -> str:
    """The part of a client address that a limit counts: IPv4 whole, IPv6 per /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


@dataclass(frozen=True)
class Limit:
    """At most ``limit()`` attempts of ``kind`` per key in the last ``window()``."""

    kind: str
    limit: Callable[[], int]
    window: Callable[[], timedelta]

    def key(self, raw: str) -> str:
        secret = settings().secret_key.encode()
        material = f"{self.kind}\x1f{raw}".encode()
        return hmac.new(secret, material, hashlib.sha256).hexdigest()

    def lock(self, session: Session, raw: str) -> str:
        """Hold the key's lock until the transaction ends; returns the stored key."""
        key = self.key(raw)
        table = AttemptLock.__table__  # type: ignore[attr-defined]
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(
                postgresql.insert(table).values(kind=self.kind, key=key).on_conflict_do_nothing()
            )
            session.execute(
                select(table.c.kind)
                .where(table.c.kind == self.kind, table.c.key == key)
                .with_for_update()
            )
        elif dialect == "sqlite":
            session.execute(
                sqlite.insert(table).values(kind=self.kind, key=key).on_conflict_do_nothing()
            )
        else:  # pragma: no cover - other databases are not supported
            session.execute(insert(table).values(kind=self.kind, key=key))
        return key

    def count(self, session: Session, raw: str) -> int:
        """Attempts in the window (call :meth:`lock` first when a write follows)."""
        query = select(func.count()).where(
            col(Attempt.kind) == self.kind,
            col(Attempt.key) == self.key(raw),
            col(Attempt.created_at) > utcnow() - self.window(),
        )
        return int(session.execute(query).scalar_one())

    def reached(self, session: Session, raw: str) -> bool:
        """Whether the limit is reached for ``raw``; locks the key for this transaction."""
        self.lock(session, raw)
        return self.count(session, raw) >= self.limit()

    def add(self, session: Session, raw: str) -> None:
        """Count one attempt (under the key's lock)."""
        key = self.lock(session, raw)
        session.execute(delete(Attempt).where(col(Attempt.created_at) < utcnow() - RETENTION))
        session.add(Attempt(kind=self.kind, key=key))

    def clear(self, session: Session, raw: str) -> None:
        """Forget the attempts of ``raw`` (after a successful login, say)."""
        key = self.key(raw)
        session.execute(
            delete(Attempt).where(col(Attempt.kind) == self.kind, col(Attempt.key) == key)
        )


def purge(session: Session) -> None:
    """Delete expired attempts and the lock rows of keys without any."""
    session.execute(delete(Attempt).where(col(Attempt.created_at) < utcnow() - RETENTION))
    table = AttemptLock.__table__  # type: ignore[attr-defined]
    still_used = exists().where(col(Attempt.kind) == table.c.kind, col(Attempt.key) == table.c.key)
    session.execute(delete(table).where(~still_used))
