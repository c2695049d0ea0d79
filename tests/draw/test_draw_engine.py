"""The bridge to the engine: who is in the pool, what is published, how quotas are computed."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.draw import engine
from assembly.models import CategoryOption, Registration, RegistrationAnswer
from assembly.questionnaire.questions import load_questions
from assembly.timeutil import utcnow

from .helpers import assembly


@pytest.mark.parametrize(
    ("share", "tolerance", "panel", "expected"),
    [
        (0.5, 0.1, 10, (4, 6)),
        (0.2, 0.0, 150, (30, 30)),  # 150 × 0.2 is 30.000000000000004 in floating point
        (0.12, 0.03, 150, (13, 23)),  # 13.5 rounds down, 22.5 rounds up
        (0.005, 0.03, 150, (0, 6)),
        (None, 0.03, 150, (0, 150)),  # "prefer not to say": no target
    ],
)
def test_min_and_max_are_rounded_outward(share, tolerance, panel, expected) -> None:
    assert engine.computed_bounds(share, tolerance, panel) == expected


def _people(app) -> list[dict[str, str]]:
    """The published people file, each row with the registration's reference added."""
    with app.app_context():
        session = get_session()
        inputs = engine.build_inputs(session, assembly())
        reference_of = {r.id: r.reference for r in session.exec(select(Registration))}
    rows = list(csv.DictReader(io.StringIO(inputs.people_csv.decode())))
    for row in rows:
        row["reference"] = reference_of[inputs.registration_ids[row["id"]]]
    return rows


def test_only_consenting_active_registrants_are_in_the_pool(app, pool) -> None:
    with app.app_context():
        session = get_session()
        people = {r.reference: r for r in session.exec(select(Registration))}
        people[pool[10].reference].withdrawn_at = utcnow()
        people[pool[11].reference].purged_at = utcnow()
        people[pool[12].reference].consent_privacy_at = None
        session.commit()
    rows = _people(app)
    references = {row["reference"] for row in rows}
    assert len(rows) == len(pool) - 3
    assert not references & {pool[10].reference, pool[11].reference, pool[12].reference}


def test_published_people_file_is_anonymous(app, pool) -> None:
    rows = _people(app)
    assert list(rows[0])[:-1] == ["id", "household", "geslacht", "leeftijd", "regio"]
    # Households are anonymous numbers; people who live together share one.
    households = {row["reference"]: row["household"] for row in rows}
    assert households[pool[0].reference] == households[pool[1].reference]
    assert households[pool[2].reference] != households[pool[0].reference]
    # Nobody is named by their registration reference, which is in their e-mail.
    assert not {row["id"] for row in rows} & {row["reference"] for row in rows}
    text = str([{k: v for k, v in row.items() if k != "reference"} for row in rows])
    assert "test:" not in text and "Testpersoon" not in text and "@" not in text


def test_opinion_without_its_own_consent_counts_as_prefer_not(app, pool) -> None:
    with app.app_context():
        session = get_session()
        item = assembly()
        question = load_questions(session, item)[0][0]  # geslacht
        question.special_category = True
        session.add(question)
        registration = session.exec(
            select(Registration).where(Registration.reference == pool[5].reference)
        ).one()
        registration.consent_special_at = None
        # And someone who never answered it.
        answer = session.exec(
            select(RegistrationAnswer).where(
                RegistrationAnswer.question_id == question.id,
                RegistrationAnswer.registration_id != registration.id,
            )
        ).first()
        session.delete(answer)
        session.commit()
        missing = session.get(Registration, answer.registration_id).reference
    rows = {row["reference"]: row for row in _people(app)}
    assert rows[pool[5].reference]["geslacht"] == "onbekend"
    assert rows[missing]["geslacht"] == "onbekend"


def test_quota_file_uses_edited_bounds(app, pool) -> None:
    with app.app_context():
        session = get_session()
        option = session.exec(select(CategoryOption).where(CategoryOption.value == "65+")).one()
        option.quota_min = 1
        session.commit()
        inputs = engine.build_inputs(session, assembly())
    rows = list(csv.DictReader(io.StringIO(inputs.categories_csv.decode())))
    assert rows[0] == {"feature": "geslacht", "value": "vrouw", "min": "2", "max": "6"}
    old = next(r for r in rows if r["value"] == "65+")
    assert old["min"] == "1" and old["max"] == "4"
