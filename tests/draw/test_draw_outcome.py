"""#11.9: residents are told the outcome: on their personal page (drawn, reserve, not drawn),
by e-mail when the members are invited (reserves and the others), and after accepting a
confirmation with the sessions' dates and places."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import select

from assembly.db import get_session
from assembly.draw import results, runs
from assembly.models import (
    OutboxMessage,
    Registration,
    RegistrationAvailability,
    SessionDate,
)
from assembly.timeutil import from_local
from assembly.tokens import token_digest

from .conftest import draw
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"


def _people(app) -> dict[str, Registration]:
    """A member, the first reserve and someone not drawn, each with a known personal link."""
    with app.app_context():
        session = get_session()
        found = results.result(session, runs.seeded_run(session, assembly()))
        drawn = {s.registration.id for s in found.seats}
        reserves = {r.registration.id for r in found.reserves}
        chosen = {
            "member": found.seats[0].registration,
            "reserve": found.reserves[0].registration,
            "not_drawn": next(
                r for _p, r in found.people if r.id not in drawn and r.id not in reserves
            ),
        }
        for kind, registration in chosen.items():
            registration.token_hash = token_digest(f"token-{kind}")
            session.add(registration)
        session.commit()
    return chosen


def _personal(client, kind: str) -> str:
    return client.get(f"/a/beraad-a/aanmelding/token-{kind}").text


def test_the_personal_page_shows_the_outcome(client, organiser, app, pool) -> None:
    assert "De loting" not in _personal_before(client, app)
    draw(app)
    _people(app)
    assert "U bent geloot voor het panel" in _personal(client, "member")
    assert "reservelijst (nummer 1)" in _personal(client, "reserve")
    assert "U bent niet geloot voor het panel" in _personal(client, "not_drawn")
    # Once invited, the member's page links to the invitation.
    _invite(organiser)
    page = _personal(client, "member")
    assert re.search(r'href="http://burgerberaad\.test/a/beraad-a/uitnodiging/[^"]+"', page)


def _personal_before(client, app) -> str:
    with app.app_context():
        session = get_session()
        registration = session.exec(select(Registration)).first()
        registration.token_hash = token_digest("token-before")
        session.commit()
    return client.get("/a/beraad-a/aanmelding/token-before").text


def _invite(organiser) -> None:
    respond_by = (date.today() + timedelta(days=14)).isoformat()
    response = organiser.post(
        PAGE + "uitnodigingen", data={"respond_by": respond_by, "confirm": "y"}
    )
    assert response.status_code == 303


def _mail(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(get_session().exec(select(OutboxMessage)))


def test_reserves_and_the_others_get_an_email(organiser, app, pool) -> None:
    draw(app)
    people = _people(app)
    _invite(organiser)
    by_address: dict[str, list[str]] = {}
    for message in _mail(app):
        by_address.setdefault(message.to_address, []).append(message.subject)
    reserve, other, member = people["reserve"], people["not_drawn"], people["member"]
    if reserve.email:
        assert by_address[reserve.email] == ["U bent reserve voor Beraad A"]
    if other.email:
        assert by_address[other.email] == ["De uitslag van de loting voor Beraad A"]
    if member.email:
        assert by_address[member.email] == ["U bent geloot voor Beraad A"]
    with app.app_context():
        session = get_session()
        found = results.result(session, runs.seeded_run(session, assembly()))
        others = [r for _p, r in found.people if r.email]
    # Everyone in the lottery with an address gets exactly one message.
    assert sorted(by_address) == sorted(r.email for r in others)
    assert all(len(subjects) == 1 for subjects in by_address.values())


def test_accepting_confirms_the_sessions_by_email(client, organiser, app, pool) -> None:
    draw(app)
    with app.app_context():
        session = get_session()
        item = assembly()
        first = SessionDate(
            assembly_id=item.id,
            starts_at=from_local(datetime(2027, 2, 6, 9, 30)),
            label="Eerste bijeenkomst",
            location="Stadhuis Middelburg",
        )
        second = SessionDate(
            assembly_id=item.id,
            starts_at=from_local(datetime(2027, 3, 6, 9, 30)),
            location="Goes, Zeelandhallen",
        )
        session.add_all([first, second])
        session.flush()
        seat = next(
            s for s in results.result(session, runs.seeded_run(session, item)).seats
            if s.registration.email
        )
        session.add(
            RegistrationAvailability(
                registration_id=seat.registration.id, session_date_id=first.id
            )
        )
        session.commit()
        email = seat.registration.email
    _invite(organiser)
    link = next(
        re.search(r"http://burgerberaad\.test(/a/beraad-a/uitnodiging/\S+)", m.body)[1]
        for m in _mail(app)
        if m.to_address == email
    )
    response = client.post(link, data={"accept": "1"}, follow_redirects=True)
    assert "bevestiging" in response.text
    confirmation = [m for m in _mail(app) if m.to_address == email and "Bevestiging" in m.subject]
    assert len(confirmation) == 1
    body = confirmation[0].body
    assert "Eerste bijeenkomst" in body and "Stadhuis Middelburg" in body
    assert "Goes, Zeelandhallen" in body and "niet te kunnen" in body
    assert "zaterdag 6 februari 2027" in body
