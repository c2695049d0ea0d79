from __future__ import annotations

from collections import Counter

from sqlmodel import select

from assembly.db import get_session
from assembly.demo import pool as demo
from assembly.demo import recruitment as recruitment_demo
from assembly.demo import registration as registration_demo
from assembly.models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Invitation,
    Registration,
    RegistrationAnswer,
)


def test_demo_registrations_show_self_selection(app, world) -> None:
    with app.test_request_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == "beraad-a")).one()
        recruitment_demo.fill(session, "test", item, addresses=3000, letters=3000)
        registration_demo.add_demo_form(session, item, "test")
        count = demo.add_demo_registrations(session, item)
        session.commit()
        people = session.exec(select(Registration)).all()
        answers = session.exec(
            select(RegistrationAnswer.registration_id, CategoryQuestion.category, CategoryOption)
            .join(CategoryOption, RegistrationAnswer.option_id == CategoryOption.id)
            .join(CategoryQuestion, RegistrationAnswer.question_id == CategoryQuestion.id)
        ).all()
        municipality = dict(
            session.exec(
                select(Invitation.id, Address.municipality).join(
                    Address, Invitation.address_id == Address.id
                )
            ).all()
        )
    assert count == len(people)
    assert 250 < count < 400  # about 7% of 3,000 letters, plus staff and open
    channels = Counter(p.channel for p in people)
    assert channels["staff"] == demo.STAFF and channels["open"] == demo.OPEN
    assert sum(1 for p in people if p.withdrawn_at) == demo.WITHDRAWN
    households = Counter(p.household_key for p in people if p.invitation_id)
    assert any(n == 2 for n in households.values())
    assert all(p.email.endswith(("@example.nl", "@example.org")) for p in people if p.email)
    assert all(p.email or p.phone for p in people)
    assert all(p.phone.startswith("+316") and len(p.phone) == 12 for p in people if p.phone)

    per_category: dict[str, Counter[str]] = {}
    by_person: dict[int, dict[str, str]] = {}
    for registration_id, category, option in answers:
        per_category.setdefault(category, Counter())[option.value] += 1
        by_person.setdefault(registration_id, {})[category] = option.value
    assert all(len(given) == 5 for given in by_person.values())

    def share(category: str, value: str) -> float:
        return per_category[category][value] / count

    # Older, higher-educated and more concerned people answer more often.
    assert share("leeftijd", "65-79") > 0.22 and share("leeftijd", "16-24") < 0.12
    assert share("opleiding", "hoog") > 0.30 and share("opleiding", "laag") < 0.30
    assert share("zorgen", "zeer bezorgd") > 0.35
    assert per_category["zorgen"]["onbekend"] > 0
    for person in people:
        if person.invitation_id:
            region = demo.REGIONS[municipality[person.invitation_id]]
            assert by_person[person.id]["regio"] == region
