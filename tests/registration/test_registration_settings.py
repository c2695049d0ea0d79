"""The organiser's settings: questions and answers, session dates, registration settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly, AuditEntry, CategoryOption, CategoryQuestion, SessionDate

from ..conftest import login
from .conftest import SLUG, Setup, open_form, submit

BASE = f"/beheer/a/{SLUG}/werving"


def _question(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "action": "save",
        "category": "woonsituatie",
        "question": "Hoe woont u?",
        "question_en": "How do you live?",
        "options-0-value": "huur",
        "options-0-label": "Ik huur",
        "options-0-label_en": "I rent",
        "options-0-share": "43",
        "options-1-value": "koop",
        "options-1-label": "Ik heb een koophuis",
        "options-1-share": "55%",
        "options-2-value": "onbekend",
        "options-2-label": "Zeg ik liever niet",
        "options-2-prefer_not": "y",
        "options-3-value": "",
    }
    data.update(fields)
    return data


def _stored(setup: Setup, category: str) -> tuple[CategoryQuestion, list[CategoryOption]]:
    with setup.app.app_context():
        session = get_session()
        question = session.exec(
            select(CategoryQuestion).where(CategoryQuestion.category == category)
        ).one()
        options = session.exec(
            select(CategoryOption)
            .where(CategoryOption.question_id == question.id)
            .order_by(CategoryOption.position)
        ).all()
        return question, list(options)


def test_add_a_question_and_see_it_on_the_form(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    page = client.get(f"{BASE}/vragen").text
    # shares in Dutch notation on the Dutch page
    assert "Wat is uw geslacht?" in page and "51,0%" in page and "51.0%" not in page
    editor = client.get(f"{BASE}/vragen?vraag=nieuw").text
    assert 'name="options-0-value"' in editor and 'for="options-0-value"' in editor

    response = client.post(f"{BASE}/vragen", data=_question())
    assert response.status_code == 303
    question, options = _stored(setup, "woonsituatie")
    assert question.position == 6 and question.question_en == "How do you live?"
    assert [(o.value, o.population_share, o.prefer_not) for o in options] == [
        ("huur", 0.43, False),
        ("koop", 0.55, False),
        ("onbekend", None, True),
    ]
    with setup.app.app_context():
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "registration.question_added"))
            .all()[-1]
        )
    assert json.loads(entry.payload)["values"] == ["huur", "koop", "onbekend"]

    public = setup.app.test_client()
    assert "<legend>Hoe woont u?</legend>" in open_form(public, setup.codes[0])

    # two values swapped, and a removed answer's value given to a new one, in one save
    huur, koop, _onbekend = options
    data = _question(question_id=question.id, **{
        "options-0-option_id": huur.id, "options-0-value": "koop",
        "options-1-option_id": koop.id, "options-1-value": "huur",
        "options-2-value": "onbekend", "options-2-label": "Weet ik niet",
    })  # fmt: skip
    assert client.post(f"{BASE}/vragen", data=data).status_code == 303
    _question_row, options = _stored(setup, "woonsituatie")
    assert [(o.id, o.value) for o in options[:2]] == [(huur.id, "koop"), (koop.id, "huur")]
    assert options[2].label == "Weet ik niet"


def test_row_level_errors_keep_what_was_typed(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    data = _question(**{"options-1-value": "HUUR ", "options-2-share": "veel"})
    response = client.post(f"{BASE}/vragen", data=data)
    assert response.status_code == 200
    page = response.text
    assert 'id="options-1-value-error"' in page and "Deze waarde komt twee keer voor" in page
    assert 'id="options-2-share-error"' in page
    assert 'value="Ik heb een koophuis"' in page and 'value="Hoe woont u?"' in page
    response = client.post(f"{BASE}/vragen", data=_question(category="Geslacht"))
    assert "Een andere vraag heeft al deze categorienaam" in response.text
    response = client.post(f"{BASE}/vragen", data=_question(**{"options-0-share": "90"}))
    assert "samen 145%, meer dan 100%" in response.text
    with setup.app.app_context():
        assert (
            get_session()
            .exec(select(CategoryQuestion).where(CategoryQuestion.category == "woonsituatie"))
            .first()
            is None
        )


def test_only_one_prefer_not_answer_per_question(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    data = _question(**{
        "options-3-value": "weet-niet", "options-3-label": "Weet ik niet",
        "options-3-prefer_not": "y",
    })  # fmt: skip
    response = client.post(f"{BASE}/vragen", data=data)
    assert response.status_code == 200
    page = response.text
    assert 'id="options-3-prefer_not-error"' in page
    assert "Maar één antwoord kan “Zeg ik liever niet” zijn." in page
    assert 'id="options-2-prefer_not-error"' not in page
    with setup.app.app_context():
        assert (
            get_session()
            .exec(select(CategoryQuestion).where(CategoryQuestion.category == "woonsituatie"))
            .first()
            is None
        )


def test_questions_with_answers_cannot_be_deleted(client, setup: Setup) -> None:
    public = setup.app.test_client()
    submit(public, setup.valid(), open_form(public, setup.codes[0]))
    login(client, setup.world.emails["organiser"])
    geslacht = setup.questions["geslacht"]
    response = client.post(
        f"{BASE}/vragen", data={"action": "delete", "question_id": geslacht}, follow_redirects=True
    )
    assert "kan de vraag niet weg" in response.text
    # nor can an answer someone chose, but the texts may change
    question, options = _stored(setup, "geslacht")
    data = {"action": "save", "question_id": question.id, "category": "geslacht",
            "question": "Wat is uw gender?"}  # fmt: skip
    for i, option in enumerate(options):
        if option.value != "vrouw":
            data |= {f"options-{i}-option_id": option.id, f"options-{i}-value": option.value,
                     f"options-{i}-label": option.label}  # fmt: skip
    response = client.post(f"{BASE}/vragen", data=data)
    assert response.status_code == 200 and "kunnen niet weg: Vrouw" in response.text
    data |= {"options-0-option_id": options[0].id, "options-0-value": "vrouw",
             "options-0-label": "Vrouw (v)"}  # fmt: skip
    assert client.post(f"{BASE}/vragen", data=data).status_code == 303
    question, options = _stored(setup, "geslacht")
    assert question.question == "Wat is uw gender?" and options[0].label == "Vrouw (v)"

    # a question nobody answered can go
    client.post(f"{BASE}/vragen", data=_question())
    added, _options = _stored(setup, "woonsituatie")
    client.post(f"{BASE}/vragen", data={"action": "delete", "question_id": added.id})
    with setup.app.app_context():
        assert get_session().get(CategoryQuestion, added.id) is None


def test_reorder_questions(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    client.post(f"{BASE}/vragen", data={"action": "up", "question_id": setup.questions["leeftijd"]})
    client.post(f"{BASE}/vragen", data={"action": "down", "question_id": setup.questions["zorgen"]})
    page = client.get(f"{BASE}/vragen").text
    order = [page.index(t) for t in ("Hoe oud bent u?", "Wat is uw geslacht?", "Hoe bezorgd")]
    assert order == sorted(order)


def test_session_dates(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    page = client.get(f"{BASE}/bijeenkomsten").text
    assert "Bijeenkomst 4" in page and "Terneuzen" in page
    data = {"action": "save", "label": "Bijeenkomst 5", "day": "2027-07-03", "time": "13:30",
            "location": "Vlissingen"}  # fmt: skip
    assert client.post(f"{BASE}/bijeenkomsten", data=data).status_code == 303
    with setup.app.app_context():
        added = (
            get_session()
            .exec(select(SessionDate).where(SessionDate.label == "Bijeenkomst 5"))
            .one()
        )
    # Dutch summer time: 13:30 in Vlissingen is 11:30 UTC
    assert added.starts_at.replace(tzinfo=UTC) == datetime(2027, 7, 3, 11, 30, tzinfo=UTC)
    editor = client.get(f"{BASE}/bijeenkomsten?bijeenkomst={added.id}").text
    assert 'value="13:30"' in editor and 'value="2027-07-03"' in editor

    response = client.post(f"{BASE}/bijeenkomsten", data={"action": "save", "day": ""})
    assert response.status_code == 200 and "Vul een datum in" in response.text
    client.post(f"{BASE}/bijeenkomsten", data={"action": "delete", "session_date_id": added.id})
    assert "Bijeenkomst 5" not in client.get(f"{BASE}/bijeenkomsten").text


def test_registration_settings(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    page = client.get(f"{BASE}/instellingen").text
    assert 'name="open_registration"' in page
    data = {"open_registration": "y", "registration_closes_at": "2027-01-15T23:59",
            "organiser_contact": "Gemeente, 14 0118", "retention_months": "6"}  # fmt: skip
    assert client.post(f"{BASE}/instellingen", data=data).status_code == 303
    with setup.app.app_context():
        item = get_session().exec(select(Assembly).where(Assembly.slug == SLUG)).one()
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "registration.settings"))
            .all()[-1]
        )
    assert item.open_registration and item.retention_months == 6
    # winter time: 23:59 in the Netherlands is 22:59 UTC
    closes = item.registration_closes_at.replace(tzinfo=UTC)
    assert closes == datetime(2027, 1, 15, 22, 59, tzinfo=UTC)
    assert json.loads(entry.payload)["retention_months"] == 6
    assert 'value="2027-01-15T23:59"' in client.get(f"{BASE}/instellingen").text
    response = client.post(f"{BASE}/instellingen", data={**data, "retention_months": "0"})
    assert response.status_code == 200


def test_observers_read_and_cannot_change(client, setup: Setup) -> None:
    login(client, setup.world.emails["observer"])
    page = client.get(f"{BASE}/vragen").text
    assert "Wat is uw geslacht?" in page
    assert "Vraag toevoegen" not in page and 'name="action"' not in page
    assert 'name="open_registration"' not in client.get(f"{BASE}/instellingen").text
    assert client.post(f"{BASE}/vragen", data=_question()).status_code == 403
    assert client.post(f"{BASE}/instellingen", data={"retention_months": "1"}).status_code == 403
    client.post("/uitloggen")
    login(client, setup.world.emails["other_organiser"])
    assert client.get(f"{BASE}/vragen").status_code == 404
    assert client.post(f"{BASE}/bijeenkomsten", data={"action": "delete"}).status_code == 404


def test_recruitment_overview_links_the_settings(client, setup: Setup) -> None:
    login(client, setup.world.emails["organiser"])
    page = client.get(f"{BASE}/").text
    for url in ("/vragen", "/bijeenkomsten", "/instellingen"):
        assert f'href="{BASE}{url}"' in page
