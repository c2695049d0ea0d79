"""The result: invitations, answers through the personal link, replacements, exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.draw import engine, errors, replacements, results, runs
from assembly.models import (
    AuditEntry,
    DrawRun,
    OutboxMessage,
    PanelMember,
    Registration,
    SeatStatus,
)
from assembly.timeutil import utcnow

from .conftest import draw
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"


@pytest.fixture
def drawn(app, pool):
    draw(app)
    return pool


def _result(app) -> results.Result:
    with app.app_context():
        session = get_session()
        return results.result(session, runs.seeded_run(session, assembly()))


def _quotas_hold(app) -> bool:
    with app.app_context():
        session = get_session()
        run = runs.seeded_run(session, assembly())
        loaded = engine.load_run(run)
        return engine.quotas_hold(loaded, results.current_panel(session, run))


def _invite(organiser, days: int = 14) -> None:
    respond_by = (date.today() + timedelta(days=days)).isoformat()
    assert (
        organiser.post(
            PAGE + "uitnodigingen", data={"respond_by": respond_by, "confirm": "y"}
        ).status_code
        == 303
    )


def _links(app) -> dict[str, str]:
    """Personal links from the outbox, by e-mail address."""
    with app.app_context():
        messages = get_session().exec(select(OutboxMessage)).all()
    found = {}
    for message in messages:
        match = re.search(r"http://burgerberaad\.test(/a/beraad-a/uitnodiging/\S+)", message.body)
        if match:
            found[message.to_address] = match.group(1)
    return found


def _withdraw_all_reserves(app) -> None:
    """Every reserve withdraws, so only the engine can fill a seat."""
    with app.app_context():
        session = get_session()
        reserves = [
            r.registration.id
            for r in results.result(session, runs.seeded_run(session, assembly())).reserves
        ]
        for registration in session.exec(select(Registration).where(Registration.id.in_(reserves))):
            registration.withdrawn_at = utcnow()
        session.commit()


def test_invitations_by_mail_and_by_letter(organiser, app, drawn) -> None:
    _invite(organiser)
    result = _result(app)
    with_email = [s for s in result.seats if s.registration.email]
    links = _links(app)
    assert set(links) == {s.registration.email for s in with_email}
    assert all(s.member.invited_at is not None for s in result.seats)
    assert {s.member.by_letter for s in result.seats} == {
        not s.registration.email for s in result.seats
    } or all(s.registration.email for s in result.seats)
    with app.app_context():
        body = get_session().exec(select(OutboxMessage)).first().body
    assert "Beste " in body and "geloot" in body  # residents read Dutch
    pdf = organiser.get(PAGE + "brieven.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    entry = _audit(app, "draw.invite")[0]
    assert entry["emails"] == len(with_email)
    assert entry["letters"] == len(result.seats) - len(with_email)
    # Nobody is invited twice.
    page = organiser.post(
        PAGE + "uitnodigingen",
        data={"respond_by": date.today().isoformat(), "confirm": "y"},
        follow_redirects=True,
    ).text
    assert len(_links(app)) == len(with_email)
    assert "al uitgenodigd" in page or "invited already" in page


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        entries = get_session().exec(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(e.payload) for e in entries]


def test_accept_and_decline_through_the_personal_link(client, organiser, app, drawn) -> None:
    _invite(organiser)
    links = list(_links(app).items())
    (first_email, first), (second_email, second) = links[:2]
    page = client.get(first).text
    assert "Testpersoon" in page and 'name="accept"' in page
    assert client.get(first).headers["Cache-Control"] == "no-store"
    assert client.post(first, data={"accept": "1"}).status_code == 303
    assert client.post(second, data={"decline": "1", "sure": "y"}).status_code == 303
    statuses = {s.registration.email: s.member.status for s in _result(app).seats}
    assert statuses[first_email] == "accepted"
    assert second_email not in statuses  # declined: no longer on the panel
    assert 'name="accept"' not in client.get(second).text
    # An accepted member can still step back later.
    client.post(first, data={"decline": "1", "sure": "y"})
    assert first_email not in {s.registration.email for s in _result(app).seats}
    for entry in _audit(app, "draw.declined") + _audit(app, "draw.accepted"):
        assert set(entry) == {"reference", "by"}
    assert client.get("/a/beraad-a/uitnodiging/not-a-token").status_code == 404
    assert client.get(first.replace("beraad-a", "beraad-b")).status_code == 404


def test_no_answer_only_after_the_deadline(organiser, app, drawn) -> None:
    _invite(organiser)
    seat = _result(app).seats[0]
    data = {"member_id": seat.member.id, "answer": "no_answer"}
    organiser.post(PAGE + "antwoord", data=data)
    assert _result(app).seats[0].member.status == "pending"
    with app.app_context():
        session = get_session()
        run = session.exec(select(DrawRun)).one()
        run.respond_by = utcnow() - timedelta(hours=1)
        session.commit()
    organiser.post(PAGE + "antwoord", data=data)
    assert seat.reference in {s.reference for s in _result(app).former}
    assert _audit(app, "draw.no_answer")[0]["by"] == "organiser"


def test_replacements_come_from_the_reserve_list_and_keep_every_quota(
    organiser, app, drawn
) -> None:
    _invite(organiser)
    before = _result(app)
    leaving = before.seats[:3]
    for seat in leaving:
        organiser.post(PAGE + "antwoord", data={"member_id": seat.member.id, "answer": "decline"})
    assert _result(app).open_seats == 3
    assert organiser.post(PAGE + "vervangen").status_code == 303
    after = _result(app)
    assert after.open_seats == 0 and len(after.seats) == 8
    assert _quotas_hold(app)
    reserves = [r.reference for r in before.reserves]
    replacements = _audit(app, "draw.replace")
    assert {r["out"] for r in replacements} == {s.reference for s in leaving}
    for entry in replacements:
        if entry["via"] == "reserve":
            assert entry["in"] in reserves
        else:
            assert "seed" in entry
    # Every replacement is visible: who took whose seat.
    page = organiser.get(PAGE).text
    for entry in replacements:
        assert entry["in"] in page and entry["out"] in page
    # The new members still need their invitation.
    new = [s for s in after.seats if s.replaces]
    assert new and all(s.member.invited_at is None for s in new)


def test_the_engine_replaces_when_no_reserve_fits(organiser, app, drawn) -> None:
    _withdraw_all_reserves(app)
    seat = _result(app).seats[0]
    organiser.post(PAGE + "antwoord", data={"member_id": seat.member.id, "answer": "decline"})
    organiser.post(PAGE + "vervangen")
    after = _result(app)
    assert after.open_seats == 0 and len(after.seats) == 8
    assert _quotas_hold(app)
    entry = _audit(app, "draw.replace")[0]
    assert entry["via"] == "engine" and entry["out"] == seat.reference
    assert entry["seed"].startswith("07 12 19 33 41 / vervanging")
    with app.app_context():
        member = (
            get_session().exec(select(PanelMember).where(PanelMember.origin == "replacement")).one()
        )
        assert member.replaces_id == seat.member.id


def test_export_lists_everyone_with_their_chance(organiser, app, drawn) -> None:
    response = organiser.get(PAGE + "export.csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 40
    roles = [r["role"] for r in rows]
    assert roles.count("member") == 8 and roles.count("reserve") == 4
    assert sum(float(r["probability"]) for r in rows) == pytest.approx(8, abs=1e-4)
    assert all(r["name"] for r in rows if r["role"] == "member")
    assert not any(r["name"] for r in rows if r["role"] == "pool")
    assert _audit(app, "draw.export")


def test_final_panel_for_the_privacy_purge(organiser, app, drawn) -> None:
    with app.app_context():
        session = get_session()
        assert results.final_panel(session, assembly()) is None
    for seat in _result(app).seats:
        organiser.post(PAGE + "antwoord", data={"member_id": seat.member.id, "answer": "accept"})
    with app.app_context():
        final_at, keep = results.final_panel(get_session(), assembly())
    result = _result(app)
    assert keep == {s.registration.id for s in result.seats} | {
        r.registration.id for r in result.reserves
    }


def test_a_member_who_withdraws_is_flagged_on_the_result(organiser, app, drawn) -> None:
    """Someone on the panel who withdraws through their personal link (or erases their data)
    keeps the seat until the organiser records the answer: the page must say so."""
    seats = _result(app).seats
    assert "trok de aanmelding in" not in organiser.get(PAGE).text
    with app.app_context():
        session = get_session()
        registration = session.get(Registration, seats[0].registration.id)
        registration.withdrawn_at = utcnow()
        session.add(registration)
        session.commit()
    page = organiser.get(PAGE).text
    assert page.count("trok de aanmelding in") == 1


@pytest.mark.parametrize("how", ["withdraw", "erase"])
def test_withdrawing_or_erasing_gives_up_the_seat(app, drawn, how: str) -> None:
    from assembly.registration import registrations as registration_service

    seat = _result(app).seats[0]
    with app.app_context():
        session = get_session()
        registration = session.get(Registration, seat.registration.id)
        getattr(registration_service, how)(session, registration, actor="test")
        session.commit()
        member = session.exec(
            select(PanelMember).where(PanelMember.registration_id == seat.registration.id)
        ).one()
        assert member.status == SeatStatus.DECLINED
        logged = session.exec(
            select(AuditEntry).where(AuditEntry.action == "draw.declined")
        ).all()
        assert [json.loads(e.payload)["by"] for e in logged] == ["withdrawal"]


def test_an_impossible_replacement_names_the_blocking_quota(
    organiser, app, drawn, monkeypatch
) -> None:
    diagnosis = {
        "feasible": False,
        "conflicts": [],
        "relaxations": [
            {"category": "leeftijd", "value": "16-24", "bound": "min", "old": 1, "new": 0}
        ],
    }

    def impossible(plan):
        raise errors.ReplacementImpossible(diagnosis)

    monkeypatch.setattr(replacements, "run_engine_replacement", impossible)
    _withdraw_all_reserves(app)
    seat = _result(app).seats[0]
    organiser.post(PAGE + "antwoord", data={"member_id": seat.member.id, "answer": "decline"})
    page = organiser.post(PAGE + "vervangen", follow_redirects=True).text
    assert "leeftijd 16-24 (minimum)" in page
    assert _result(app).open_seats == 1
