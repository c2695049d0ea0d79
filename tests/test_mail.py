from __future__ import annotations

import smtplib
import socket
from typing import Any

import pytest
from sqlmodel import select

from assembly import mail
from assembly.db import get_session
from assembly.models import OutboxMessage

from .conftest import login


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _messages(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(get_session().exec(select(OutboxMessage)))


class FakeSMTP:
    sent: list[Any] = []

    def __init__(self, host: str, port: int, timeout: float = 0) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send_message(self, message: Any) -> None:
        FakeSMTP.sent.append(message)


def test_outbox_survives_a_failing_smtp_server(make_app, world, monkeypatch) -> None:
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port(), MAIL_TIMEOUT=2)
    client = app.test_client()
    response = client.post("/wachtwoord-vergeten", data={"email": world.emails["organiser"]})
    assert response.status_code == 303  # the person is not bothered by the mail server

    (message,) = _messages(app)
    assert message.status == "pending"
    assert message.attempts == 1
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()

    # The server is back: the next sweep delivers it.
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    with app.app_context():
        session = get_session()
        stored = session.get(OutboxMessage, message.id)
        stored.next_attempt_at = stored.created_at  # due now instead of after the back-off
        session.add(stored)
        session.commit()
        assert mail.sweep() == 1
    (sent,) = _messages(app)
    assert sent.status == "sent" and sent.sent_at is not None
    assert FakeSMTP.sent[0]["To"] == world.emails["organiser"]


def test_no_message_when_the_transaction_rolls_back(app) -> None:
    with app.app_context():
        session = get_session()
        mail.queue_mail(session, "a@example.org", "Onderwerp", "Tekst")
        session.rollback()
    assert _messages(app) == []


@pytest.mark.parametrize(("who", "status"), [("organiser", 200), ("observer", 403)])
def test_dev_outbox_is_for_organisers(client, world, who: str, status: int) -> None:
    login(client, world.emails[who])
    assert client.get("/dev/outbox").status_code == status


def test_dev_outbox_is_off_outside_demo(make_app, world) -> None:
    client = make_app(DEV_OUTBOX=False).test_client()
    login(client, world.emails["admin"])
    assert client.get("/dev/outbox").status_code == 404
