"""Mail outbox: messages are rows written in the transaction of the change that causes
them, and the worker sends them over SMTP with retries. If the mail server is down, the
row simply waits; nothing is lost."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import Flask
from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from .. import jobs
from ..db import session_scope
from ..models import MailStatus, OutboxMessage
from ..settings import settings
from ..states import MAIL
from ..timeutil import utcnow

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = (
    MailStatus.PENDING,
    MailStatus.SENDING,
    MailStatus.SENT,
    MailStatus.FAILED,
)
# A worker that dies mid-send leaves its claim; after this the message is tried again.
CLAIM_SECONDS = 600
MAX_BACKOFF = timedelta(hours=6)


def queue_mail(
    session: Session,
    to: str,
    subject: str,
    body: str,
    *,
    html: str | None = None,
    assembly_id: int | None = None,
) -> OutboxMessage:
    """Put a message in the outbox; it is sent after (and only if) the transaction commits."""
    message = OutboxMessage(
        to_address=to, subject=subject, body=body, html_body=html, assembly_id=assembly_id
    )
    session.add(message)
    session.flush()
    after_commit(session, lambda: _enqueue_delivery(message.id))
    return message


def after_commit(session: Session, callback: Any) -> None:
    session.info.setdefault("after_commit", []).append(callback)


@event.listens_for(OrmSession, "after_commit")
def _run_after_commit(session: OrmSession) -> None:
    for callback in session.info.pop("after_commit", []):
        callback()


@event.listens_for(OrmSession, "after_rollback")
def _drop_after_commit(session: OrmSession) -> None:
    session.info.pop("after_commit", None)


def _enqueue_delivery(message_id: int | None) -> None:
    try:
        jobs.enqueue(deliver_job, message_id)
    except (OSError, ConnectionError) as exc:
        # The row is safe in the outbox; the periodic sweep will pick it up.
        log.warning("Could not queue delivery of message %s: %s", message_id, exc)


@jobs.job()
def deliver_job(message_id: int) -> None:
    deliver(message_id)


@jobs.periodic(minute="*")
def sweep_outbox_job() -> None:
    sweep()


def sweep() -> int:
    """Try every message that is due; returns how many were sent."""
    now = utcnow()
    with session_scope() as session:
        due = session.exec(
            select(OutboxMessage.id).where(
                col(OutboxMessage.status).in_((MailStatus.PENDING, MailStatus.SENDING)),
                col(OutboxMessage.next_attempt_at) <= now,
            )
        ).all()
    return sum(1 for message_id in due if message_id is not None and deliver(message_id))


def deliver(message_id: int) -> bool:
    """Send one message if it is due. The SMTP conversation runs outside any transaction."""
    config = settings()
    if not config.mail_server:
        log.info("No mail server configured; message %s stays in the outbox", message_id)
        return False
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message_id,
                col(OutboxMessage.status).in_((MailStatus.PENDING, MailStatus.SENDING)),
                col(OutboxMessage.next_attempt_at) <= now,
            )
            .values(status=SENDING, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        message = session.get(OutboxMessage, message_id)
        assert message is not None

    try:
        _send_smtp(message)
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(message_id, f"{type(exc).__name__}: {exc}")
        return False

    with session_scope() as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            .values(status=SENT, sent_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        )
    return True


def _record_failure(message_id: int, error: str) -> None:
    max_attempts = settings().mail_max_attempts
    with session_scope() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return
        message.attempts += 1
        message.last_error = error[:1000]
        delay = min(timedelta(minutes=2**message.attempts), MAX_BACKOFF)
        message.next_attempt_at = utcnow() + delay
        message.status = MAIL.move(
            message.status, FAILED if message.attempts >= max_attempts else PENDING
        )
        session.add(message)
    log.warning("Sending message %s failed: %s", message_id, error)


def _send_smtp(message: OutboxMessage) -> None:
    config = settings()
    email = EmailMessage()
    email["From"] = config.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=_domain(config.mail_from))
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")

    host, port, timeout = config.mail_server, config.mail_port, config.mail_timeout
    smtp_class = smtplib.SMTP_SSL if config.mail_use_ssl else smtplib.SMTP
    with smtp_class(host, port, timeout=timeout) as smtp:
        if config.mail_use_tls and not config.mail_use_ssl:
            smtp.starttls()
        if config.mail_username:
            smtp.login(config.mail_username, config.mail_password)
        smtp.send_message(email)


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(" >") or "localhost"


def init_app(app: Flask) -> None:
    """Register the outbox page."""
    from . import views

    app.register_blueprint(views.bp)
