"""Who may be drawn: the one rule, used by the draw, the pool's export and its counts.

Everyone who consented and is still in the pool (not withdrawn, not purged) may be drawn.
An answer to a special-category question (an opinion) only counts with its own consent;
without it, and without an answer at all, or with an answer whose option no longer
exists, the person counts as "prefer not to say" where the question has that option, and
is left out (counted as incomplete) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from ..models import Assembly, Registration, RegistrationAnswer
from ..questionnaire.questions import load_questions


def in_pool(assembly: Assembly) -> list[ColumnElement[bool]]:
    """The registrations of ``assembly`` that may be drawn, as query conditions."""
    return [
        col(Registration.assembly_id) == assembly.id,
        col(Registration.consent_privacy_at).is_not(None),
        col(Registration.withdrawn_at).is_(None),
        col(Registration.purged_at).is_(None),
    ]


def is_in_pool(registration: Registration) -> bool:
    """The same rule as :func:`in_pool`, for one loaded registration."""
    return (
        registration.consent_privacy_at is not None
        and registration.withdrawn_at is None
        and registration.purged_at is None
    )



@dataclass(frozen=True)
class Person:
    """An eligible registrant as the engine sees them: no name, no contact details."""

    registration_id: int
    reference: str
    household_key: str
    option_ids: tuple[int, ...]  # one per question, in question order


@dataclass(frozen=True)
class Pool:
    people: tuple[Person, ...]
    # Registrants left out because a question has no answer and no "prefer not" option.
    incomplete: int


def eligible_pool(session: Session, assembly: Assembly) -> Pool:
    """Everyone who may be drawn (see the module's docstring), sorted by reference."""
    qs = load_questions(session, assembly)
    registrations = session.exec(
        select(Registration).where(*in_pool(assembly)).order_by(col(Registration.reference))
    ).all()
    answers: dict[int | None, dict[int, int]] = {}
    if registrations:
        query = (
            select(RegistrationAnswer)
            .join(Registration, col(RegistrationAnswer.registration_id) == Registration.id)
            .where(Registration.assembly_id == assembly.id)
        )
        for answer in session.exec(query):
            answers.setdefault(answer.registration_id, {})[answer.question_id] = answer.option_id
    fallback = {q.id: next((o.id for o in options if o.prefer_not), None) for q, options in qs}
    valid = {q.id: {o.id for o in options} for q, options in qs}
    people = []
    incomplete = 0
    for registration in registrations:
        given = answers.get(registration.id, {})
        chosen: list[int] = []
        for question, _options in qs:
            option_id = given.get(question.id) if question.id is not None else None
            if question.special_category and registration.consent_special_at is None:
                option_id = None
            if option_id not in valid[question.id]:
                option_id = fallback[question.id]
            if option_id is None:
                break
            chosen.append(option_id)
        if len(chosen) != len(qs):
            incomplete += 1
            continue
        assert registration.id is not None
        people.append(
            Person(
                registration.id,
                registration.reference,
                registration.household_key,
                tuple(chosen),
            )
        )
    return Pool(tuple(people), incomplete)


def pool_counts(pool: Pool) -> dict[int, int]:
    counts: dict[int, int] = {}
    for person in pool.people:
        for option_id in person.option_ids:
            counts[option_id] = counts.get(option_id, 0) + 1
    return counts


