from __future__ import annotations

from typing import Any

from sqlmodel import select

from assembly.db import get_session
from assembly.models import AuditEntry, CategoryOption
from assembly.registration import registrations

from .conftest import BASE, Pool

NAME, EMAIL, PHONE = "Kees Louwerse", "kees.louwerse@example.nl", "06 87654321"


def form(pool: Pool, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "availability": [str(pool.dates[1])],
        "accessibility_needs": "Rolstoel",
        "consent_privacy": "y",
        "consent_special": "y",
    }
    answers = {"geslacht": "man", "leeftijd": "80+", "opleiding": "laag", "regio": "Walcheren",
               "zorgen": "niet bezorgd"}  # fmt: skip
    for category, value in answers.items():
        data[f"q_{pool.questions[category]}"] = str(pool.options[category][value])
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def audit_text(pool: Pool) -> str:
    """The audit entries about people (not the set-up of the form, which names values)."""
    with pool.app.app_context():
        entries = get_session().exec(select(AuditEntry)).all()
        return "\n".join(
            f"{e.action} {e.object_id} {e.payload}"
            for e in entries
            if e.action.startswith(("registration.", "pool.", "privacy."))
            and "question" not in e.action
        )


def test_staff_register_someone_with_the_code_of_their_letter(organiser, pool: Pool) -> None:
    response = organiser.post(
        f"{BASE}/aanmeldingen/nieuw", data=form(pool, code=pool.letters[3].code.lower())
    )
    assert response.status_code == 303
    (person,) = pool.all()
    assert response.headers["Location"].endswith(f"/aanmeldingen/{person.reference}")
    assert (person.channel, person.invitation_id) == ("staff", pool.letters[3].id)
    assert person.household_key == f"inv:{pool.letters[3].id}"
    assert person.phone == "+31687654321" and person.consent_privacy_at is not None
    page = organiser.get(response.headers["Location"]).text
    assert NAME in page and f"Brief {pool.letters[3].id}" in page
    log = audit_text(pool)
    assert "registration.create" in log and '"channel": "staff"' in log
    for secret in (NAME, EMAIL, "87654321", pool.letters[3].code, "Rolstoel"):
        assert secret not in log


def test_staff_registration_is_validated_like_the_form(organiser, pool: Pool) -> None:
    page = organiser.post(
        f"{BASE}/aanmeldingen/nieuw",
        data=form(pool, name="", phone="12345", **{f"q_{pool.questions['leeftijd']}": None}),
    )
    assert page.status_code == 200
    assert 'value="kees.louwerse@example.nl"' in page.text  # what was typed is kept
    assert 'aria-invalid="true"' in page.text and "error-summary" in page.text
    assert "geldig telefoonnummer" in page.text
    assert pool.all() == []


def test_the_opinion_consent_error_speaks_about_the_person(organiser, pool: Pool) -> None:
    zorgen = f"q_{pool.questions['zorgen']}"
    page = organiser.post(f"{BASE}/aanmeldingen/nieuw", data=form(pool, consent_special=None))
    assert page.status_code == 200
    assert f'id="{zorgen}-error"' in page.text
    assert "telefonisch of op papier toestemming heeft gegeven" in page.text
    assert "Kies “Zeg ik liever niet”" in page.text
    assert "geef hieronder toestemming" not in page.text and "U hebt geen" not in page.text
    assert pool.all() == []

    ref = pool.register(NAME)
    page = organiser.post(f"{BASE}/aanmeldingen/{ref}", data=form(pool, consent_special=None))
    assert page.status_code == 200
    assert "telefonisch of op papier toestemming heeft gegeven" in page.text
    assert "geef hieronder toestemming" not in page.text


def test_an_unknown_code_is_refused(organiser, pool: Pool) -> None:
    page = organiser.post(f"{BASE}/aanmeldingen/nieuw", data=form(pool, code="2222-3333-4444"))
    assert page.status_code == 200
    assert "Geen brief van dit burgerberaad heeft deze code." in page.text
    assert pool.all() == []


def test_edit_is_audited_without_personal_data(organiser, pool: Pool) -> None:
    ref = pool.register(NAME, email=EMAIL)
    changed = form(pool, phone="06 11223344", dietary_needs="Halal")
    response = organiser.post(f"{BASE}/aanmeldingen/{ref}", data=changed)
    assert response.status_code == 303
    person = pool.registration(ref)
    assert (person.phone, person.dietary_needs) == ("+31611223344", "Halal")
    page = organiser.get(f"{BASE}/aanmeldingen/{ref}").text
    assert 'value="06 11223344"' in page
    log = audit_text(pool)
    assert "registration.update" in log and '"answers"' in log and '"phone"' in log
    for secret in (NAME, EMAIL, "11223344", "Halal", "80+", "niet bezorgd"):
        assert secret not in log


def test_withdraw_and_reactivate(organiser, pool: Pool) -> None:
    ref = pool.register(NAME)
    assert organiser.post(f"{BASE}/aanmeldingen/{ref}/intrekken").status_code == 303
    assert pool.registration(ref).withdrawn_at is not None
    page = organiser.get(f"{BASE}/aanmeldingen/{ref}").text
    assert "Afgemeld" in page and "Terug in de pool" in page
    assert organiser.post(f"{BASE}/aanmeldingen/{ref}/heractiveren").status_code == 303
    assert pool.registration(ref).withdrawn_at is None
    log = audit_text(pool)
    assert "registration.withdraw" in log and "registration.reactivate" in log
    assert NAME not in log


def test_a_purged_registration_cannot_change(organiser, pool: Pool) -> None:
    ref = pool.register(NAME)
    with pool.session() as (session, item):
        from assembly.pool import privacy

        privacy.purge_unselected(session, item, [], actor="test")
    page = organiser.get(f"{BASE}/aanmeldingen/{ref}").text
    assert "zijn gewist" in page and NAME not in page and 'name="name"' not in page
    response = organiser.post(f"{BASE}/aanmeldingen/{ref}/heractiveren", follow_redirects=True)
    assert "De persoonsgegevens van deze aanmelding zijn gewist." in response.text
    assert organiser.post(f"{BASE}/aanmeldingen/{ref}", data=form(pool)).status_code == 200
    assert pool.registration(ref).name == ""


def test_without_a_prefer_not_answer_the_consent_box_gets_the_staff_error(pool: Pool) -> None:
    with pool.session() as (session, item):
        for option in session.exec(
            select(CategoryOption).where(CategoryOption.question_id == pool.questions["zorgen"])
        ):
            option.prefer_not = False
            session.add(option)
        session.flush()
        data = pool.data(NAME, consent_special=False)
        staff = registrations.validate(session, item, data, staff=True)
        public = registrations.validate(session, item, data)
    assert staff["consent_special"] == (
        "Dit antwoord mag alleen worden bewaard als de persoon telefonisch of op papier "
        "toestemming heeft gegeven."
    )
    assert public["consent_special"].startswith("We mogen uw antwoord")
