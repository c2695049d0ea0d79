from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import blinker
import pytest
from sqlmodel import select

from assembly import signals
from assembly.db import get_session
from assembly.models import (
    Address,
    Assembly,
    AuditEntry,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
)
from assembly.pool import composition as pool_composition
from assembly.pool import privacy
from assembly.recruitment import codes

from . import fake_draw
from .conftest import BASE, Pool

PEOPLE = ("Anna Sinke", "Bram Koppejan", "Cor Steketee", "Dirk Quist")


@pytest.fixture
def draw_module(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The fake draw answers the privacy purge's question instead of the real one."""
    fake = blinker.Signal()

    def answer(assembly: Assembly, *, session: object) -> object:
        return fake_draw.final_panel(session, assembly)

    fake.connect(answer, weak=False)
    monkeypatch.setattr(signals, "final_panel_requested", fake)
    fake_draw.PANEL.clear()
    return fake_draw.PANEL


def fill(pool: Pool) -> dict[str, str]:
    refs = {}
    for i, name in enumerate(PEOPLE):
        refs[name] = pool.register(
            name, channel="letter", letter=i, leeftijd="16-24" if i else "80+",
            accessibility_needs="Rolstoel", dietary_needs="Halal",
        )  # fmt: skip
    pool.withdraw(refs["Dirk Quist"])
    return refs


def composition(pool: Pool) -> dict[str, dict[str, int]]:
    with pool.session() as (session, item):
        return {
            c.question.category: {v.option.value: v.count for v in c.values}
            for c in pool_composition.composition(session, item)
        }


def test_purge_unselected_leaves_no_personal_data_but_the_counts(pool: Pool) -> None:
    refs = fill(pool)
    before = composition(pool)
    kept = pool.registration(refs["Anna Sinke"])
    with pool.session() as (session, item):
        result = privacy.purge_unselected(session, item, [kept.id], actor="test")
    assert (result.purged, result.kept) == (3, 1)

    people = {p.reference: p for p in pool.all()}
    assert people[refs["Anna Sinke"]].name == "Anna Sinke"
    with pool.app.app_context():
        session = get_session()
        answers = {a.registration_id for a in session.exec(select(RegistrationAnswer))}
        available = {a.registration_id for a in session.exec(select(RegistrationAvailability))}
        rows = [dict(r._mapping) for r in session.execute(select(Registration.__table__))]
        log = [e for e in session.exec(select(AuditEntry)) if e.action.startswith("privacy.")]
    purged = [p for p in people.values() if p.reference != refs["Anna Sinke"]]
    for person in purged:
        assert person.purged_at is not None
        assert person.id not in answers and person.id not in available
        assert person.token_hash.startswith("purged-")
    # Scan every column of every purged row for anything that says who they were.
    for row in rows:
        if row["id"] == kept.id:
            continue
        text = " ".join(str(v) for v in row.values())
        for secret in ("Bram", "Koppejan", "Steketee", "Quist", "example.org", "+316", "Rolstoel",
                       "Halal"):  # fmt: skip
            assert secret not in text
    assert composition(pool) == before  # the withdrawn person was not counted before either
    assert before["leeftijd"]["16-24"] == 2 and before["leeftijd"]["80+"] == 1
    assert len(log) == 1 and log[0].payload == '{"kept": 1, "purged": 3}'


def test_a_second_purge_adds_to_the_counts(organiser, pool: Pool) -> None:
    first = pool.register("Eerste", leeftijd="25-34")
    with pool.session() as (session, item):
        privacy.purge_unselected(session, item, [], actor="test")
    pool.register("Tweede", leeftijd="25-34")
    with pool.session() as (session, item):
        assert privacy.purge_unselected(session, item, [], actor="test").purged == 1
    assert composition(pool)["leeftijd"]["25-34"] == 2
    assert pool.registration(first).name == ""
    page = organiser.get(f"{BASE}/aanmeldingen/samenstelling").text
    assert "(2 mensen)" in page
    table = organiser.get(f"{BASE}/aanmeldingen/?status=purged").text
    assert "Gevonden: 2." in table and "Gegevens gewist" in table


def test_address_purge_keeps_the_response_figures_and_the_codes(organiser, pool: Pool) -> None:
    pool.register("Met Brief", channel="letter", letter=0)
    with pool.session() as (session, item):
        before = [
            (s.name, s.letters, s.households)
            for s in pool_composition.response_rates(session, item)[0].strata
        ]
    response = organiser.post(
        f"{BASE}/privacy/adressen", data={"confirm": "y"}, follow_redirects=True
    )
    assert "Straat, huisnummer en postcode gewist bij 60 adressen." in response.text
    with pool.session() as (session, item):
        after = [
            (s.name, s.letters, s.households)
            for s in pool_composition.response_rates(session, item)[0].strata
        ]
        addresses = session.exec(select(Address)).all()
        assert codes.find_invitation(session, item, pool.letters[5].code) is not None
        assert item.addresses_purged_at is not None
    assert after == before
    assert {(a.street, a.house_number, a.postcode) for a in addresses} == {("", "", "")}
    assert all(a.external_id.startswith("purged-") for a in addresses)
    assert {a.municipality for a in addresses} == {"Goes", "Middelburg", "Vlissingen"}
    assert "zijn gewist op" in organiser.get(f"{BASE}/privacy").text


def test_address_purge_needs_letters_and_the_confirmation(client, world) -> None:
    from ..conftest import login

    login(client, world.emails["other_organiser"])
    response = client.post("/beheer/a/beraad-b/privacy/adressen", follow_redirects=True)
    assert "Vink het vakje aan om te bevestigen." in response.text
    response = client.post(
        "/beheer/a/beraad-b/privacy/adressen", data={"confirm": "y"}, follow_redirects=True
    )
    assert "De adreslijst is nog nodig" in response.text


def test_without_a_final_panel_people_cannot_be_purged(organiser, pool: Pool, draw_module) -> None:
    ref = pool.register("Anna Sinke")
    page = organiser.get(f"{BASE}/privacy").text
    assert "Dit kan nog niet: de groep staat nog niet vast." in page
    response = organiser.post(f"{BASE}/privacy/niet-gekozen", data={"confirm": "y"})
    assert response.status_code == 303
    assert pool.registration(ref).purged_at is None


def test_with_a_final_panel_the_others_are_purged(organiser, pool: Pool, draw_module) -> None:
    refs = fill(pool)
    kept = pool.registration(refs["Cor Steketee"])
    draw_module["beraad-a"] = (datetime(2025, 4, 12, tzinfo=UTC), [kept.id])
    page = organiser.get(f"{BASE}/privacy").text
    assert "De groep staat vast sinds 12 april 2025" in page and "loopt af op 12 april 2026" in page
    assert "2025-04-12" not in page and "2026-04-12" not in page
    response = organiser.post(f"{BASE}/privacy/niet-gekozen", data={"confirm": "y"})
    assert response.status_code == 303
    assert [p.name for p in pool.all() if p.name] == ["Cor Steketee"]


def test_retention_is_set_on_the_privacy_page(organiser, pool: Pool) -> None:
    response = organiser.post(f"{BASE}/privacy/bewaartermijn", data={"retention_months": "6"})
    assert response.status_code == 303
    assert "6 maanden" in organiser.get(f"{BASE}/privacy").text
    response = organiser.post(f"{BASE}/privacy/bewaartermijn", data={"retention_months": "0"})
    assert response.status_code == 200
    page = response.text
    assert 'id="retention_months-error"' in page
    assert 'aria-describedby="retention_months-hint retention_months-error"' in page
    assert 'value="0"' in page
    with pool.session() as (session, item):
        assert item.retention_months == 6
        log = [e for e in session.exec(select(AuditEntry)) if e.action == "privacy.retention"]
    assert len(log) == 1 and '"months": 6' in log[0].payload


def test_add_months() -> None:
    assert privacy.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert privacy.add_months(date(2024, 11, 15), 14) == date(2026, 1, 15)


def test_purge_expired_from_the_command_line(pool: Pool, tmp_path: Path) -> None:
    refs = fill(pool)
    keep = tmp_path / "selected.csv"
    keep.write_text(f"id,leeftijd\n{refs['Bram Koppejan']},16-24\n")
    runner = pool.app.test_cli_runner()
    args = ["purge-expired", "--assembly", "beraad-a", "--panel-final-on"]

    result = runner.invoke(args=[*args, "2025-04-12"])
    assert result.exit_code != 0 and "--keep" in result.output

    result = runner.invoke(args=[*args, "2025-04-12", "--keep", str(keep), "--today", "2026-04-11"])
    assert result.exit_code == 0, result.output
    assert "retention runs until 2026-04-12" in result.output
    assert all(p.purged_at is None for p in pool.all())

    result = runner.invoke(
        args=[*args, "2025-04-12", "--keep", str(keep), "--today", "2026-04-12", "--dry-run"]
    )
    assert "would remove 3" in result.output and all(p.purged_at is None for p in pool.all())

    result = runner.invoke(args=[*args, "2025-04-12", "--keep", str(keep), "--today", "2026-04-12"])
    assert result.exit_code == 0, result.output
    assert "removed the personal data of 3 people; kept 1" in result.output
    assert [p.name for p in pool.all() if p.name] == ["Bram Koppejan"]


def test_purge_expired_asks_the_panel_draw(pool: Pool, draw_module) -> None:
    refs = fill(pool)
    kept = pool.registration(refs["Anna Sinke"])
    runner = pool.app.test_cli_runner()
    result = runner.invoke(args=["purge-expired"])
    assert "beraad-a: no final panel known" in result.output
    draw_module["beraad-a"] = (datetime(2020, 1, 1, tzinfo=UTC), [kept.id])
    result = runner.invoke(args=["purge-expired"])
    assert "beraad-a: removed the personal data of 3 people" in result.output
    with pool.app.app_context():
        other = get_session().exec(select(Assembly).where(Assembly.slug == "beraad-b")).one()
        assert other.addresses_purged_at is None
