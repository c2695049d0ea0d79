"""An assembly with the demo questions, four session dates and ten letters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

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
from assembly.recruitment import addresses, codes, lottery

from ..conftest import World
from ..recruitment.helpers import HEADER, csv_bytes, upload

SLUG = "beraad-a"


@dataclass
class Setup:
    app: Flask
    world: World
    codes: list[str]  # printed form, in invitation order
    questions: dict[str, int]  # category -> question id
    options: dict[str, dict[str, int]]  # category -> value -> option id
    dates: list[int]
    adults: dict[str, int | None] = field(default_factory=dict)  # code -> adults at address

    def valid(self, **changes: Any) -> dict[str, Any]:
        """A complete, valid form: a 67-year-old woman from Walcheren."""
        data: dict[str, Any] = {
            "name": "Anna de Vries",
            "email": "anna.devries@example.org",
            "phone": "06 12345678",
            "availability": [str(self.dates[0]), str(self.dates[2])],
            "accessibility_needs": "Rolstoel",
            "dietary_needs": "",
            "consent_privacy": "y",
            "consent_special": "y",
            "website": "",
        }
        answers = {"geslacht": "vrouw", "leeftijd": "65-79", "opleiding": "middelbaar",
                   "regio": "Walcheren", "zorgen": "zeer bezorgd"}  # fmt: skip
        for category, value in answers.items():
            data[f"q_{self.questions[category]}"] = str(self.options[category][value])
        for key, value in changes.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    def registrations(self) -> list[Registration]:
        with self.app.app_context():
            return list(get_session().exec(select(Registration).order_by(Registration.id)))


@pytest.fixture
def setup(app: Flask, world: World) -> Setup:
    # Bot timing is tested on its own; elsewhere a form may be sent at once.
    app.config["REGISTRATION_MIN_FILL_SECONDS"] = 0
    rows = [
        f"R{i:04d},Kerkstraat,{i + 1},4331 AB,Middelburg,Middelburg,Centrum,{2 if i == 0 else ''}"
        for i in range(10)
    ]
    with app.app_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == SLUG)).one()
        addresses.import_addresses(session, None, item, upload(csv_bytes(rows, HEADER)))
        lottery.draw_batch(
            session, None, item, lottery.DrawRequest(letters=10, seed="test")
        )
        demo.add_demo_form(session, item, "test")
        session.commit()
        invitations = list(session.exec(select(Invitation).order_by(Invitation.id)))
        questions = {
            q.category: q.id
            for q in session.exec(
                select(CategoryQuestion).where(CategoryQuestion.assembly_id == item.id)
            )
        }
        options: dict[str, dict[str, int]] = {c: {} for c in questions}
        by_id = {v: k for k, v in questions.items()}
        for option in session.exec(
            select(CategoryOption).where(CategoryOption.question_id.in_(list(by_id)))  # type: ignore[attr-defined]
        ):
            options[by_id[option.question_id]][option.value] = option.id
        dates = [
            d.id
            for d in session.exec(
                select(SessionDate)
                .where(SessionDate.assembly_id == item.id)
                .order_by(SessionDate.starts_at)
            )
        ]
        adults = {
            codes.display(i.code): session.get(Address, i.address_id).adults for i in invitations
        }
    return Setup(
        app=app,
        world=world,
        codes=[codes.display(i.code) for i in invitations],
        questions=questions,  # type: ignore[arg-type]
        options=options,
        dates=dates,  # type: ignore[arg-type]
        adults=adults,
    )


TIMING = re.compile(r'name="started"[^>]*value="([^"]*)"')


def open_form(client: FlaskClient, code: str | None = None, slug: str = SLUG) -> str:
    """Enter the code (or choose open mode) and return the form page."""
    if code is None:
        client.get(f"/a/{slug}/aanmelden/zonder-code")
    else:
        response = client.post(f"/a/{slug}/aanmelden", data={"code": code})
        assert response.status_code == 303, response.text
    page = client.get(f"/a/{slug}/aanmelden/formulier")
    assert page.status_code == 200
    return page.text


def submit(client: FlaskClient, data: dict[str, Any], page: str, slug: str = SLUG) -> Any:
    match = TIMING.search(page)
    assert match, "the form carries a timing token"
    return client.post(f"/a/{slug}/aanmelden/formulier", data={"started": match.group(1), **data})
