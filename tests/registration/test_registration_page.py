from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from sqlmodel import select

from assembly.db import get_session
from assembly.logs import redact
from assembly.models import (
    Assembly,
    Attempt,
    AuditEntry,
    OutboxMessage,
    RegistrationAnswer,
    RegistrationAvailability,
)
from assembly.timeutil import utcnow

from .conftest import SLUG, Setup, open_form, submit

FORM = f"/a/{SLUG}/aanmelden/formulier"


def _outbox(setup: Setup) -> list[OutboxMessage]:
    with setup.app.app_context():
        return list(get_session().exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def _audit(setup: Setup, prefix: str = "registration.") -> list[AuditEntry]:
    with setup.app.app_context():
        entries = get_session().exec(select(AuditEntry).order_by(AuditEntry.id))
        return [e for e in entries if e.action.startswith(prefix)]


def _set(setup: Setup, **values: object) -> None:
    with setup.app.app_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == SLUG)).one()
        for key, value in values.items():
            setattr(item, key, value)
        session.add(item)
        session.commit()


def test_happy_path_with_a_code(client, setup: Setup) -> None:
    start = client.get(f"/a/{SLUG}/aanmelden")
    assert start.status_code == 200
    assert 'for="code"' in start.text
    page = open_form(client, setup.codes[0].lower().replace("-", " "))
    # every question, in Dutch, as a group with a legend
    assert "<legend>Wat is uw geslacht?</legend>" in page
    assert "Zeg ik liever niet" in page
    assert "Bijeenkomst 1" in page and "Goes" in page and "10:00" in page
    assert 'class="hp"' in page and 'tabindex="-1"' in page

    response = submit(client, setup.valid(), page)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/a/{SLUG}/aanmelden/bedankt")
    thanks = client.get(response.headers["Location"]).text
    assert "/aanmelding/" in thanks

    [registration] = setup.registrations()
    assert registration.channel == "letter"
    assert registration.household_key == f"inv:{registration.invitation_id}"
    assert registration.name == "Anna de Vries"
    assert registration.email == "anna.devries@example.org"
    assert registration.phone == "+31612345678"
    assert registration.consent_privacy_at and registration.consent_special_at
    assert len(registration.reference) == 8
    with setup.app.app_context():
        session = get_session()
        answers = session.exec(select(RegistrationAnswer)).all()
        available = session.exec(select(RegistrationAvailability)).all()
    assert len(answers) == 5
    assert {a.session_date_id for a in available} == {setup.dates[0], setup.dates[2]}
    # once registered, going back to the form does not register anyone twice
    assert client.get(FORM).status_code == 303


def test_qr_link_accepts_the_code_and_removes_it_from_the_address(client, setup: Setup) -> None:
    response = client.get(f"/a/{SLUG}/aanmelden?code={setup.codes[1]}")
    assert response.status_code == 303
    assert response.headers["Location"] == FORM
    page = client.get(FORM).text
    assert submit(client, setup.valid(), page).status_code == 303
    assert setup.registrations()[0].channel == "letter"


def test_confirmation_mail_has_a_working_personal_link(client, setup: Setup) -> None:
    submit(client, setup.valid(), open_form(client, setup.codes[0]))
    [message] = _outbox(setup)
    assert message.to_address == "anna.devries@example.org"
    assert "Beraad A" in message.subject
    link = re.search(r"http://burgerberaad\.test(/a/beraad-a/aanmelding/[\w-]+)", message.body)
    assert link, message.body
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert "Anna de Vries" in page.text and "06 12345678" in page.text
    assert "Zeer bezorgd" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    # only the hash is stored, never the token
    token = link.group(1).rsplit("/", 1)[1]
    assert setup.registrations()[0].token_hash != token
    assert client.get(f"/a/{SLUG}/aanmelding/not-a-real-token-123").status_code == 404
    assert client.get(f"/a/beraad-b/aanmelding/{token}").status_code == 404


def test_no_confirmation_mail_without_an_e_mail_address(client, setup: Setup) -> None:
    response = submit(client, setup.valid(email=""), open_form(client, setup.codes[0]))
    assert response.status_code == 303
    assert _outbox(setup) == []
    # the thank-you page then is the only place to find the personal link
    assert "/aanmelding/" in client.get(response.headers["Location"]).text


# (changes to a valid form, the field with the error, part of the Dutch message)
INVALID = [
    ({"name": "  "}, "name", "Vul uw naam in."),
    ({"email": "", "phone": ""}, "email", "Vul een e-mailadres of een telefoonnummer in"),
    ({"email": "anna@"}, "email", "Dit is geen geldig e-mailadres"),
    ({"phone": "12345"}, "phone", "Dit is geen geldig telefoonnummer"),
    ({"consent_privacy": None}, "consent_privacy", "U kunt zich alleen aanmelden als"),
    ({"q:leeftijd": None}, "q:leeftijd", "Kies een antwoord."),
    ({"availability": ["999999"]}, "availability", "Kies alleen uit de data"),
    ({"dietary_needs": "x" * 2001}, "dietary_needs", "maximaal 2000 tekens"),
]


def test_each_validation_error_keeps_what_was_typed(client, setup: Setup) -> None:
    page = open_form(client, setup.codes[0])
    leeftijd = f"q_{setup.questions['leeftijd']}"
    opleiding = setup.options["opleiding"]["middelbaar"]
    for changes, field, message in INVALID:
        changes = {k.replace("q:leeftijd", leeftijd): v for k, v in changes.items()}
        field = field.replace("q:leeftijd", leeftijd)
        data = setup.valid(**changes)
        response = submit(client, data, page)
        assert response.status_code == 200, field
        text = response.text
        assert message in text, field
        # the error summary links to the field, and the field says what is wrong
        assert 'class="error-summary"' in text
        assert re.search(rf'href="#{field}(-0)?"', text), field
        assert f'id="{field}-error"' in text, field
        assert re.search(rf'aria-describedby="[^"]*{field}-error', text), field
        # what was typed is still there
        for key in ("name", "email", "phone"):
            if data.get(key, "").strip():
                assert f'value="{data[key]}"' in text, (field, key)
        assert re.search(rf'checked[^>]*value="{opleiding}"|value="{opleiding}"[^>]*checked', text)
        assert "Rolstoel" in text
    assert setup.registrations() == []


def test_special_category_needs_its_own_consent(client, setup: Setup) -> None:
    zorgen = f"q_{setup.questions['zorgen']}"
    page = open_form(client, setup.codes[0])
    response = submit(client, setup.valid(consent_special=None), page)
    assert response.status_code == 200
    assert "Kies “Zeg ik liever niet”, of geef hieronder toestemming." in response.text
    assert "telefonisch of op papier" not in response.text
    assert f'id="{zorgen}-error"' in response.text
    assert setup.registrations() == []

    prefer_not = str(setup.options["zorgen"]["onbekend"])
    response = submit(client, setup.valid(consent_special=None, **{zorgen: prefer_not}), page)
    assert response.status_code == 303
    [registration] = setup.registrations()
    assert registration.consent_special_at is None


def test_wrong_code(client, setup: Setup) -> None:
    response = client.post(f"/a/{SLUG}/aanmelden", data={"code": "ABCD-EFGH-JKMN"})
    assert response.status_code == 200
    assert "Deze code kennen we niet" in response.text
    assert 'value="ABCD-EFGH-JKMN"' in response.text
    assert client.get(FORM).status_code == 303  # no code, no form
    # the code of another assembly is just as unknown here
    response = client.post("/a/beraad-b/aanmelden", data={"code": setup.codes[0]})
    assert "Deze code kennen we niet" in response.text


def test_code_attempts_are_rate_limited_per_ip(client, setup: Setup) -> None:
    for i in range(10):
        response = client.post(f"/a/{SLUG}/aanmelden", data={"code": f"ABCD-EFGH-JK{i:02d}"})
        assert response.status_code == 200
    # the eleventh attempt is refused, even with a right code
    response = client.post(f"/a/{SLUG}/aanmelden", data={"code": setup.codes[0]})
    assert response.status_code == 429
    assert "Probeer het later opnieuw" in response.text
    assert client.get(f"/a/{SLUG}/aanmelden?code={setup.codes[0]}").status_code == 429
    # another address is not affected, and the table holds no IP addresses
    other = setup.app.test_client()
    response = other.post(
        f"/a/{SLUG}/aanmelden",
        data={"code": setup.codes[0]},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 303
    with setup.app.app_context():
        attempts = get_session().exec(select(Attempt)).all()
        assert len(attempts) == 10
        assert all("127.0.0.1" not in a.key and "10.1.2.3" not in a.key for a in attempts)
        # after the window the limit is lifted
        for attempt in attempts:
            attempt.created_at = utcnow() - timedelta(minutes=16)
            get_session().add(attempt)
        get_session().commit()
    assert client.post(f"/a/{SLUG}/aanmelden", data={"code": setup.codes[0]}).status_code == 303


def test_used_code_lets_another_household_member_register(client, setup: Setup) -> None:
    # the address with two adults
    code = next(c for c, adults in setup.adults.items() if adults == 2)
    submit(client, setup.valid(), open_form(client, code))

    second = setup.app.test_client()
    second.post(f"/a/{SLUG}/aanmelden", data={"code": code})
    page = second.get(FORM).text
    assert "Met deze code heeft zich al iemand aangemeld" in page
    assert "/aanmelden/huisgenoot" in page
    assert second.post(f"/a/{SLUG}/aanmelden/huisgenoot").status_code == 303
    page = second.get(FORM).text
    assert "<legend>Wat is uw geslacht?</legend>" in page
    response = submit(second, setup.valid(name="Piet de Vries", email="piet@example.org"), page)
    assert response.status_code == 303
    first, other = setup.registrations()
    assert first.household_key == other.household_key == f"inv:{first.invitation_id}"

    # two adults live there: a third person cannot register with this code
    third = setup.app.test_client()
    third.post(f"/a/{SLUG}/aanmelden", data={"code": code})
    page = third.get(FORM).text
    assert "Met deze code heeft zich al iemand aangemeld" in page
    assert "/aanmelden/huisgenoot" not in page
    assert "Team Burgerberaad" in page  # the organiser's contact


def test_household_limit_defaults_to_five(client, setup: Setup) -> None:
    code = next(c for c, adults in setup.adults.items() if adults is None)
    for n in range(6):
        member = setup.app.test_client()
        member.post(f"/a/{SLUG}/aanmelden", data={"code": code})
        if n:
            member.post(f"/a/{SLUG}/aanmelden/huisgenoot")
        page = member.get(FORM).text
        if n < 5:
            assert submit(member, setup.valid(name=f"Lid {n}"), page).status_code == 303
        else:
            assert "/aanmelden/huisgenoot" not in page
    assert len(setup.registrations()) == 5


def test_open_mode_on_and_off(client, setup: Setup) -> None:
    start = client.get(f"/a/{SLUG}/aanmelden").text
    assert "zonder-code" not in start
    response = client.get(f"/a/{SLUG}/aanmelden/zonder-code")
    assert response.status_code == 303
    assert client.get(FORM).status_code == 303

    _set(setup, open_registration=True)
    assert "Aanmelden zonder code" in client.get(f"/a/{SLUG}/aanmelden").text
    page = open_form(client, None)
    assert "U meldt zich aan zonder code" in page
    assert submit(client, setup.valid(), page).status_code == 303
    [registration] = setup.registrations()
    assert registration.channel == "open"
    assert registration.invitation_id is None
    assert registration.household_key.startswith("own:")

    # registrations without a code are limited per address too
    setup.app.config["OPEN_REGISTRATIONS_PER_IP"] = 1
    page = open_form(client, None)
    assert submit(client, setup.valid(), page).status_code == 429
    setup.app.config["OPEN_REGISTRATIONS_PER_IP"] = 20

    # switched off while someone has the form open: the form is no longer accepted
    page = open_form(client, None)
    _set(setup, open_registration=False)
    assert submit(client, setup.valid(), page).status_code == 303
    assert len(setup.registrations()) == 1


def test_closed_registration(client, setup: Setup) -> None:
    page = open_form(client, setup.codes[0])
    _set(setup, registration_closes_at=utcnow() - timedelta(minutes=1))
    for response in (
        client.get(f"/a/{SLUG}/aanmelden"),
        client.get(f"/a/{SLUG}/aanmelden?code={setup.codes[1]}"),
        submit(client, setup.valid(), page),
    ):
        assert response.status_code == 200
        assert "Aanmelden is gesloten" in response.text
    assert setup.registrations() == []
    _set(setup, registration_closes_at=utcnow() + timedelta(days=1))
    assert "Aanmelden is gesloten" not in client.get(f"/a/{SLUG}/aanmelden").text


def test_honeypot_submission_is_not_saved(client, setup: Setup) -> None:
    page = open_form(client, setup.codes[0])
    response = submit(client, setup.valid(website="http://spam.example"), page)
    assert response.status_code == 200
    assert "Uw aanmelding kon niet worden verwerkt" in response.text
    assert setup.registrations() == []
    assert _outbox(setup) == []


def test_too_fast_or_forged_submissions_are_not_saved(client, setup: Setup) -> None:
    setup.app.config["REGISTRATION_MIN_FILL_SECONDS"] = 3
    page = open_form(client, setup.codes[0])
    response = submit(client, setup.valid(), page)
    assert "Uw aanmelding kon niet worden verwerkt" in response.text
    response = client.post(FORM, data={**setup.valid(), "started": "forged"})
    assert "Uw aanmelding kon niet worden verwerkt" in response.text
    response = client.post(FORM, data=setup.valid())  # no token at all
    assert "Uw aanmelding kon niet worden verwerkt" in response.text
    assert setup.registrations() == []
    # a person who takes their time is fine
    setup.app.config["REGISTRATION_MIN_FILL_SECONDS"] = 0
    assert submit(client, setup.valid(), page).status_code == 303


def test_english_question_texts(client, setup: Setup) -> None:
    client.post("/taal", data={"lang": "en", "next": "/"})
    page = open_form(client, setup.codes[0])
    assert "<legend>What is your gender?</legend>" in page
    assert "I&#39;d rather not say" in page or "I'd rather not say" in page
    assert "Saturday" in page
    response = submit(client, setup.valid(name=""), page)
    assert "Fill in your name." in response.text
    submit(client, setup.valid(), page)
    assert "Your registration for Beraad A" in _outbox(setup)[0].subject


def test_audit_has_no_personal_data(client, setup: Setup) -> None:
    submit(client, setup.valid(), open_form(client, setup.codes[0]))
    entries = _audit(setup)
    assert [e.action for e in entries if e.action == "registration.create"]
    text = " ".join(e.payload + e.actor for e in entries)
    for secret in ("Anna", "anna.devries", "612345678", setup.codes[0], setup.codes[0][:4]):
        assert secret not in text


def test_log_filter_redacts_codes_and_tokens(client, setup: Setup, caplog) -> None:
    assert redact('"GET /a/x/aanmelden?code=K7QM-R2XT-9VDA HTTP/1.1" 303') == (
        '"GET /a/x/aanmelden?code=[redacted] HTTP/1.1" 303'
    )
    assert redact("GET /a/x/aanmelden?lang=nl&code=k7qm%20r2xt+9vda&x=1") == (
        "GET /a/x/aanmelden?lang=nl&code=[redacted]&x=1"
    )
    assert redact("GET /a/x/aanmelding/abcDEF123_-xyz/wijzigen") == (
        "GET /a/x/aanmelding/[redacted]/wijzigen"
    )
    # the panel draw's invitation links carry a token too
    assert redact("GET /a/x/uitnodiging/abcDEF123_-xyz") == "GET /a/x/uitnodiging/[redacted]"
    caplog.set_level(logging.INFO, logger="werkzeug")
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    # the way werkzeug's development server and gunicorn write their request lines
    line = f"GET /a/x/aanmelden?code={setup.codes[0]} HTTP/1.1"
    logging.getLogger("werkzeug").info('%s - - "%s" %s', "127.0.0.1", line, 303)
    logging.getLogger("gunicorn.access").info(
        "%(r)s", {"r": f"GET /a/x/aanmelding/{'t' * 43} HTTP/1.1"}
    )
    assert setup.codes[0] not in caplog.text
    assert "t" * 43 not in caplog.text
    assert caplog.text.count("[redacted]") == 2


def test_personal_data_export_is_json(client, setup: Setup) -> None:
    submit(client, setup.valid(), open_form(client, setup.codes[0]))
    link = re.search(r"/a/beraad-a/aanmelding/[\w-]+", _outbox(setup)[0].body).group(0)
    response = client.get(link + "/gegevens.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["name"] == "Anna de Vries"
    assert data["email"] == "anna.devries@example.org"
    assert data["address_from_invitation"]["street"] == "Kerkstraat"
    assert {a["category"]: a["value"] for a in data["answers"]}["leeftijd"] == "65-79"
    assert [d["session"] for d in data["available_on"]] == ["Bijeenkomst 1", "Bijeenkomst 3"]
    assert data["consent_special_at"]


def test_the_public_page_links_to_registration_while_recruiting(client, setup: Setup) -> None:
    link = f'href="/a/{SLUG}/aanmelden"'
    assert link not in client.get(f"/a/{SLUG}/").text  # still being set up
    _set(setup, stage="recruitment")
    page = client.get(f"/a/{SLUG}/").text
    assert link in page and ">Aanmelden</a>" in page
    _set(setup, registration_closes_at=utcnow() - timedelta(minutes=1))
    assert link not in client.get(f"/a/{SLUG}/").text
