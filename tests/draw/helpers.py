"""A small pool for the draw tests, made directly with the models."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from sqlmodel import select

from assembly.db import get_session
from assembly.models import (
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Registration,
    RegistrationAnswer,
)
from assembly.timeutil import utcnow

# category -> [(value, population share or None for "prefer not to say")]
CATEGORIES: dict[str, list[tuple[str, float | None]]] = {
    "geslacht": [("vrouw", 0.5), ("man", 0.5), ("onbekend", None)],
    "leeftijd": [("16-34", 0.3), ("35-64", 0.45), ("65+", 0.25)],
    "regio": [("Walcheren", 0.5), ("Zeeuws-Vlaanderen", 0.5)],
}


@dataclass
class Person:
    reference: str
    name: str
    email: str
    household_key: str


def assembly(slug: str = "beraad-a") -> Assembly:
    found = get_session().exec(select(Assembly).where(Assembly.slug == slug)).first()
    assert found is not None
    return found


def make_pool(
    app,
    slug: str = "beraad-a",
    *,
    people: int = 40,
    panel: int = 8,
    reserves: int = 4,
    seed: int = 1,
    tolerance: float = 0.15,
    shared_households: int = 4,
    without_email: int = 3,
) -> list[Person]:
    """Questions, options with shares, and ``people`` consenting registrants.

    The first ``shared_households`` pairs live together; the first ``without_email``
    people have no e-mail address.
    """
    rng = random.Random(seed)
    made: list[Person] = []
    with app.app_context():
        session = get_session()
        item = assembly(slug)
        item.panel_size = panel
        item.reserves = reserves
        item.organiser_contact = "0118 123 456"
        session.add(item)
        options: dict[str, list[CategoryOption]] = {}
        questions: dict[str, CategoryQuestion] = {}
        for position, (category, values) in enumerate(CATEGORIES.items()):
            question = CategoryQuestion(
                assembly_id=item.id, position=position, category=category, question=f"{category}?"
            )
            session.add(question)
            session.flush()
            questions[category] = question
            options[category] = []
            for index, (value, share) in enumerate(values):
                option = CategoryOption(
                    question_id=question.id,
                    position=index,
                    value=value,
                    label=value.capitalize(),
                    prefer_not=share is None,
                    population_share=share,
                    tolerance=tolerance,
                )
                session.add(option)
                options[category].append(option)
        session.flush()
        prefix = slug[0].upper() + slug[-1].upper()
        for i in range(people):
            household = f"test:{slug}:{i // 2 if i < 2 * shared_households else i}"
            person = Person(
                reference=f"{prefix}{i:05d}X",
                name=f"Testpersoon Uniek{i:03d}",
                email="" if i < without_email else f"deelnemer{i:03d}@voorbeeld.nl",
                household_key=household,
            )
            registration = Registration(
                assembly_id=item.id,
                reference=person.reference,
                household_key=household,
                channel="open",
                name=person.name,
                email=person.email,
                phone=f"06{i:08d}",
                consent_privacy_at=utcnow(),
                consent_special_at=utcnow(),
                token_hash=secrets.token_hex(32),
            )
            session.add(registration)
            session.flush()
            for category, values in CATEGORIES.items():
                weights = [0.1 if share is None else share for _v, share in values]
                choice = rng.choices(options[category], weights)[0]
                session.add(
                    RegistrationAnswer(
                        registration_id=registration.id,
                        question_id=questions[category].id,
                        option_id=choice.id,
                    )
                )
            made.append(person)
        session.commit()
    return made
