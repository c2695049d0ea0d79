"""An assembly with the demo questions, four session dates, addresses and 30 letters."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from assembly.db import get_session
from assembly.demo import registration as demo
from assembly.models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Invitation,
    Registration,
    SessionDate,
)
from assembly.pool import table as pool_table
from assembly.recruitment import addresses, codes, lottery
from assembly.registration import registrations

from ..conftest import World, login
from ..recruitment.helpers import HEADER, csv_bytes

SLUG = "beraad-a"
BASE = f"/beheer/a/{SLUG}"
MUNICIPALITIES = {"Goes": 30, "Middelburg": 20, "Vlissingen": 10}
ANSWERS = {
    "geslacht": "vrouw",
    "leeftijd": "65-79",
    "opleiding": "middelbaar",
    "regio": "Walcheren",
    "zorgen": "zeer bezorgd",
}


@dataclass
class Letter:
    id: int
    code: str  # printed form
    municipality: str


@dataclass
class Pool:
    app: Flask
    world: World
    questions: dict[str, int]  # category -> question id
    options: dict[str, dict[str, int]]  # category -> value -> option id
    dates: list[int]
    letters: list[Letter]

    @contextmanager
    def session(self) -> Iterator[tuple[Session, Assembly]]:
        """The request's session and assembly A, committed at the end."""
        with self.app.test_request_context():
            session = get_session()
            item = session.exec(select(Assembly).where(Assembly.slug == SLUG)).one()
            yield session, item
            session.commit()

    def data(self, name: str = "Anna de Vries", **changes: Any) -> registrations.RegistrationData:
        values: dict[str, Any] = {
            "email": f"{name.lower().replace(' ', '.')}@example.org",
            "phone": "06 12345678",
            "availability": frozenset(self.dates[:2]),
            "consent_privacy": True,
            "consent_special": True,
        }
        answers = dict(ANSWERS)
        for key, value in changes.items():
            if key in answers:
                answers[key] = value
            else:
                values[key] = value
        values["answers"] = {
            self.questions[c]: self.options[c][v] for c, v in answers.items() if v is not None
        }
        return registrations.RegistrationData(name=name, **values)

    def register(
        self, name: str = "Anna de Vries", *, channel: str = "staff", letter: int | None = None,
        **changes: Any,
    ) -> str:  # fmt: skip
        """Register someone (with the letter at index ``letter``); returns the reference."""
        with self.session() as (session, item):
            invitation = None
            if letter is not None:
                invitation = session.get(Invitation, self.letters[letter].id)
            registration, _token = registrations.register(
                session, item, self.data(name, **changes), channel=channel,
                invitation=invitation, actor="test",
            )  # fmt: skip
            return registration.reference

    def withdraw(self, reference: str) -> None:
        with self.session() as (session, item):
            registration = pool_table.find(session, item, reference)
            assert registration is not None
            registrations.withdraw(session, registration, actor="test")

    def registration(self, reference: str) -> Registration:
        with self.app.app_context():
            found = (
                get_session()
                .exec(select(Registration).where(Registration.reference == reference))
                .one()
            )
            return found

    def all(self) -> list[Registration]:
        with self.app.app_context():
            return list(get_session().exec(select(Registration).order_by(Registration.id)))


def address_rows() -> list[str]:
    rows = []
    for m, (municipality, n) in enumerate(sorted(MUNICIPALITIES.items())):
        for i in range(n):
            rows.append(
                f"P{m}{i:04d},Kerkstraat,{i + 1},4331 AB,{municipality},{municipality},"
                f"{municipality} {'Noord' if i % 2 else 'Zuid'},2"
            )
    return rows


@pytest.fixture
def pool(app: Flask, world: World) -> Pool:
    with app.app_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == SLUG)).one()
        addresses.import_addresses(
            session, None, item, io.BytesIO(csv_bytes(address_rows(), HEADER))
        )
        lottery.draw_batch(
            session, None, item, lottery.DrawRequest(letters=30, seed="pool")
        )
        demo.add_demo_form(session, item, "test")
        session.commit()
        questions = {
            q.category: q.id
            for q in session.exec(
                select(CategoryQuestion).where(CategoryQuestion.assembly_id == item.id)
            )
        }
        by_id = {v: k for k, v in questions.items()}
        options: dict[str, dict[str, int]] = {c: {} for c in questions}
        for option in session.exec(
            select(CategoryOption).where(CategoryOption.question_id.in_(list(by_id)))  # type: ignore[attr-defined]
        ):
            options[by_id[option.question_id]][option.value] = option.id  # type: ignore[assignment]
        dates = [
            d.id
            for d in session.exec(
                select(SessionDate)
                .where(SessionDate.assembly_id == item.id)
                .order_by(SessionDate.starts_at)  # type: ignore[arg-type]
            )
        ]
        letters = [
            Letter(invitation.id, codes.display(invitation.code), municipality)  # type: ignore[arg-type]
            for invitation, municipality in session.exec(
                select(Invitation, Address.municipality)
                .join(Address, Invitation.address_id == Address.id)  # type: ignore[arg-type]
                .order_by(Invitation.id)  # type: ignore[arg-type]
            )
        ]
    return Pool(app, world, questions, options, dates, letters)  # type: ignore[arg-type]


@pytest.fixture
def organiser(client: FlaskClient, pool: Pool) -> FlaskClient:
    assert login(client, pool.world.emails["organiser"]).status_code == 302
    return client


@pytest.fixture
def observer(client: FlaskClient, pool: Pool) -> FlaskClient:
    assert login(client, pool.world.emails["observer"]).status_code == 302
    return client
