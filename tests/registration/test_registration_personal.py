"""The personal link: view, correct, withdraw, erase."""

from __future__ import annotations

import re

from sqlmodel import select

from assembly.db import get_session
from assembly.models import (
    AuditEntry,
    OutboxMessage,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
)

from .conftest import SLUG, Setup, open_form, submit


def _registered(client, setup: Setup, **changes: object) -> str:
    """Register and return the personal link's path."""
    submit(client, setup.valid(**changes), open_form(client, setup.codes[0]))
    with setup.app.app_context():
        body = get_session().exec(select(OutboxMessage)).one().body
    return re.search(rf"/a/{SLUG}/aanmelding/[\w-]+", body).group(0)


def test_correct_via_personal_link(client, setup: Setup) -> None:
    link = _registered(client, setup)
    page = client.get(link + "/wijzigen")
    assert page.status_code == 200
    assert 'value="Anna de Vries"' in page.text
    assert 'value="06 12345678"' in page.text  # shown as people write it

    leeftijd = f"q_{setup.questions['leeftijd']}"
    eighty = str(setup.options["leeftijd"]["80+"])
    data = setup.valid(name="Anna de Vries-Jansen", **{leeftijd: eighty})
    data["availability"] = [str(setup.dates[1])]
    response = client.post(link + "/wijzigen", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == link
    overview = client.get(link).text
    assert "Anna de Vries-Jansen" in overview and "80 jaar of ouder" in overview
    assert "Uw wijzigingen zijn opgeslagen" in overview
    [registration] = setup.registrations()
    with setup.app.app_context():
        session = get_session()
        dates = session.exec(select(RegistrationAvailability.session_date_id)).all()
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "registration.update")
        ).one()
    assert dates == [setup.dates[1]]
    assert registration.name == "Anna de Vries-Jansen"
    assert "Jansen" not in entry.payload and "answers" in entry.payload

    # errors keep what was typed, and nothing is saved
    response = client.post(link + "/wijzigen", data={**data, "email": "kapot@", "name": "Nieuw"})
    assert response.status_code == 200
    assert 'value="Nieuw"' in response.text and "geen geldig e-mailadres" in response.text
    assert setup.registrations()[0].name == "Anna de Vries-Jansen"


def test_withdraw_with_confirmation(client, setup: Setup) -> None:
    link = _registered(client, setup)
    page = client.get(link + "/afmelden")
    assert "Wilt u stoppen met meedoen?" in page.text
    assert setup.registrations()[0].withdrawn_at is None
    response = client.post(link + "/afmelden")
    assert response.status_code == 303
    assert setup.registrations()[0].withdrawn_at is not None
    overview = client.get(link).text
    assert "U hebt zich afgemeld" in overview
    assert "/wijzigen" not in overview
    assert client.get(link + "/wijzigen").status_code == 303


def test_erasure_leaves_no_personal_data(client, setup: Setup) -> None:
    link = _registered(client, setup)
    assert "Wilt u uw gegevens wissen?" in client.get(link + "/wissen").text
    response = client.post(link + "/wissen")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/a/{SLUG}/aanmelden/gewist"
    assert "Uw gegevens zijn gewist" in client.get(response.headers["Location"]).text

    [row] = setup.registrations()
    assert row.purged_at is not None and row.withdrawn_at is not None
    assert (row.name, row.email, row.phone, row.accessibility_needs, row.dietary_needs) == (
        "", "", "", "", ""
    )  # fmt: skip
    assert row.invitation_id is None
    assert not row.household_key.startswith("inv:")
    with setup.app.app_context():
        session = get_session()
        assert session.exec(select(RegistrationAnswer)).all() == []
        assert session.exec(select(RegistrationAvailability)).all() == []
        entries = session.exec(select(AuditEntry)).all()
    assert "registration.erase" in [e.action for e in entries]
    text = " ".join(e.payload for e in entries)
    assert "Anna" not in text and "anna.devries" not in text and "Rolstoel" not in text
    # the personal link is dead
    assert client.get(link).status_code == 404
    assert client.get(link + "/gegevens.json").status_code == 404
    # the code can be used again, since nothing links it to a registration any more
    other = setup.app.test_client()
    assert "<legend>" in open_form(other, setup.codes[0])


def test_confirmation_forms_need_the_csrf_token(make_app, setup: Setup) -> None:
    client = setup.app.test_client()
    link = _registered(client, setup)
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert strict.post(link + "/afmelden").status_code == 400
    assert strict.post(link + "/wissen").status_code == 400
    assert setup.registrations()[0].withdrawn_at is None


def test_unknown_assembly_and_token(client, setup: Setup) -> None:
    assert client.get("/a/bestaat-niet/aanmelden").status_code == 404
    assert client.get(f"/a/{SLUG}/aanmelding/{'x' * 43}/wijzigen").status_code == 404
    assert client.post(f"/a/{SLUG}/aanmelding/{'x' * 43}/wissen").status_code == 404


def test_registration_row_keeps_only_a_token_hash(client, setup: Setup) -> None:
    link = _registered(client, setup)
    token = link.rsplit("/", 1)[1]
    with setup.app.app_context():
        rows = get_session().exec(select(Registration)).all()
    assert all(token not in str(value) for r in rows for value in r.model_dump().values())
