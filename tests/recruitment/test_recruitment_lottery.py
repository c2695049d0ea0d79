from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.models import Address, AuditEntry, Invitation, InvitationBatch
from assembly.recruitment import addresses, lottery
from assembly.recruitment.lottery import DrawRequest, largest_remainder

from ..conftest import login
from .helpers import address_rows, assembly, csv_bytes, upload

COUNTS = {"Goes": 60, "Veere": 30, "Tholen": 10}


def test_largest_remainder_is_proportional() -> None:
    population = {"A": 500.0, "B": 300.0, "C": 200.0}
    capacity = {"A": 1000, "B": 1000, "C": 1000}
    assert largest_remainder(10, population, capacity) == {"A": 5, "B": 3, "C": 2}
    # 3.5, 2.1 and 1.4: the one seat left goes to the largest remainder (A)
    assert largest_remainder(7, population, capacity) == {"A": 4, "B": 2, "C": 1}
    # ties go to the name that sorts first
    assert largest_remainder(1, {"B": 1.0, "A": 1.0}, {"A": 5, "B": 5}) == {"A": 1, "B": 0}


def test_largest_remainder_respects_capacity() -> None:
    allocation = largest_remainder(6, {"A": 100.0, "B": 100.0}, {"A": 1, "B": 10})
    assert allocation == {"A": 1, "B": 5}


def _setup(app, slug: str = "beraad-a", rows: list[str] | None = None) -> None:
    with app.app_context():
        session = get_session()
        data = csv_bytes(rows if rows is not None else address_rows(COUNTS))
        addresses.import_addresses(session, None, assembly(slug), upload(data))
        session.commit()


def _draw(app, slug: str = "beraad-a", **kwargs) -> InvitationBatch:
    with app.app_context():
        session = get_session()
        batch = lottery.draw_batch(session, None, assembly(slug), DrawRequest(**kwargs))
        session.commit()
        return batch


def _invited(app, batch_id: int, by: str = "municipality") -> list[tuple[str, str]]:
    with app.app_context():
        query = (
            select(Address.external_id, getattr(Address, by))
            .join(Invitation, Invitation.address_id == Address.id)
            .where(Invitation.batch_id == batch_id)
        )
        return sorted(get_session().execute(query).all())


def test_draw_is_stratified_in_proportion_to_population(app, world) -> None:
    _setup(app)
    batch = _draw(app, letters=20, seed="zeeland")
    invited = _invited(app, batch.id)
    assert Counter(m for _id, m in invited) == {"Goes": 12, "Veere": 6, "Tholen": 2}
    assert batch.letters == 20 and batch.seed == "zeeland" and batch.number == 1


def test_residents_16plus_is_the_population_when_given(app, world) -> None:
    rows = address_rows({"Goes": 10, "Veere": 10})
    rows = [r[:-1] + ("3" if ",Goes," in r else "1") for r in rows]  # Goes: 3 adults each
    _setup(app, rows=rows)
    batch = _draw(app, letters=8, seed="s")
    assert Counter(m for _id, m in _invited(app, batch.id)) == {"Goes": 6, "Veere": 2}


def test_extra_weight_oversamples_a_stratum(app, world) -> None:
    _setup(app)
    batch = _draw(app, letters=20, seed="w", weights={"Veere": 2.0})
    # populations 60, 60 (30 × 2) and 10: 9.23, 9.23, 1.54 → 9, 9, 2
    assert Counter(m for _id, m in _invited(app, batch.id)) == {"Goes": 9, "Veere": 9, "Tholen": 2}
    with pytest.raises(lottery.UnknownStratum):
        _draw(app, letters=1, weights={"Atlantis": 2.0})
    with pytest.raises(lottery.NothingToDraw):
        _draw(app, letters=1, weights={"Goes": 0, "Veere": 0, "Tholen": 0})


def test_district_strata(app, world) -> None:
    _setup(app)
    batch = _draw(app, letters=9, seed="d", strata_kind="district")
    assert batch.strata_kind == "district"
    assert Counter(d for _id, d in _invited(app, batch.id, "district")) == {
        "Wijk 0": 3,
        "Wijk 1": 3,
        "Wijk 2": 3,
    }


def test_same_seed_and_list_give_the_same_batch(app, world) -> None:
    rows = address_rows(COUNTS)
    _setup(app, "beraad-a", rows)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)  # another order in the file, other database ids
    _setup(app, "beraad-b", shuffled)
    first = _invited(app, _draw(app, "beraad-a", letters=25, seed="openbaar-2025").id)
    second = _invited(app, _draw(app, "beraad-b", letters=25, seed="openbaar-2025").id)
    assert first == second
    other = _invited(app, _draw(app, "beraad-b", letters=25, seed="another").id)
    assert other != first


def test_no_address_is_invited_twice(app, world) -> None:
    _setup(app)
    batches = [_draw(app, letters=40), _draw(app, letters=40), _draw(app, letters=20)]
    assert [b.number for b in batches] == [1, 2, 3]
    assert len({b.seed for b in batches}) == 3  # generated when not given
    invited = [i for b in batches for i in _invited(app, b.id)]
    assert len(invited) == len(set(invited)) == 100
    with pytest.raises(lottery.TooManyLetters):
        _draw(app, letters=1)


def test_draw_without_addresses(app, world) -> None:
    with pytest.raises(lottery.NoAddresses):
        _draw(app, letters=1)


def test_draw_is_audited_with_its_seed(app, world) -> None:
    _setup(app)
    _draw(app, letters=10, seed="notaris-42")
    with app.app_context():
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "recruitment.draw"))
            .one()
        )
        codes = [i.code for i in get_session().exec(select(Invitation))]
    payload = json.loads(entry.payload)
    assert payload["seed"] == "notaris-42" and payload["letters"] == 10
    assert payload["allocation"] == {"Goes": 6, "Veere": 3, "Tholen": 1}
    assert not any(code in entry.payload for code in codes)


def test_draw_through_the_web(client, app, world) -> None:
    _setup(app)
    login(client, world.emails["organiser"])
    response = client.post(
        "/beheer/a/beraad-a/werving/loting",
        data={
            "letters": "10",
            "strata_kind": "municipality",
            "seed": "abc",
            "weights": "Veere = 1,5",
        },
    )
    assert response.status_code == 303
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "Ronde 1 geloot: 10 brieven, seed abc." in page
    assert "CSV voor de drukker" in page

    response = client.post(
        "/beheer/a/beraad-a/werving/loting", data={"letters": "1000", "strata_kind": "municipality"}
    )
    assert response.status_code == 303
    assert "nog maar 90 adressen" in client.get("/beheer/a/beraad-a/werving/").text

    response = client.post(
        "/beheer/a/beraad-a/werving/loting", data={"letters": "1", "weights": "Veere twee"}
    )
    assert response.status_code == 303
    assert "naam = gewicht" in client.get("/beheer/a/beraad-a/werving/").text


def test_observer_reads_batches_but_has_no_forms_or_export(client, app, world) -> None:
    _setup(app)
    _draw(app, letters=5, seed="zichtbaar")
    login(client, world.emails["observer"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "zichtbaar" in page
    assert "brieven.csv" not in page and 'type="file"' not in page and "/loting" not in page


def test_ranking_follows_the_documented_order_key() -> None:
    rows = [(n, f"ZL{n:05d}", "Goes" if n % 3 else "Veere") for n in range(60)]
    chosen = lottery._ranked(rows, "openbaar", {"Goes": 5, "Veere": 2, "Tholen": 0})
    by_key = {
        stratum: sorted(
            (lottery._order_key("openbaar", external_id), n)
            for n, external_id, s in rows
            if s == stratum
        )
        for stratum in ("Goes", "Veere")
    }
    assert chosen == [n for _k, n in by_key["Goes"][:5]] + [n for _k, n in by_key["Veere"][:2]]
