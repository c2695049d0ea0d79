from __future__ import annotations

from collections import Counter

import pytest

from assembly.pool import composition as pool_composition
from assembly.pool import table as pool_table

from .conftest import BASE, MUNICIPALITIES, Pool


def test_counts_and_shares_against_the_population(organiser, pool: Pool) -> None:
    pool.register("Oud Een")
    pool.register("Oud Twee")
    pool.register("Jong Een", leeftijd="16-24", opleiding="onbekend")
    pool.withdraw(pool.register("Weg", leeftijd="16-24"))
    with pool.session() as (session, item):
        categories = {c.question.category: c for c in pool_composition.composition(session, item)}
    age = {v.option.value: v for v in categories["leeftijd"].values}
    assert categories["leeftijd"].total == 3  # the withdrawn person is not in the pool
    assert (age["65-79"].count, age["16-24"].count, age["80+"].count) == (2, 1, 0)
    assert age["65-79"].share == pytest.approx(2 / 3)
    assert age["65-79"].target == pytest.approx(0.22)
    assert age["65-79"].difference == pytest.approx(2 / 3 - 0.22)
    education = {v.option.value: v for v in categories["opleiding"].values}
    assert education["onbekend"].count == 1 and education["onbekend"].target is None

    page = organiser.get(f"{BASE}/aanmeldingen/samenstelling").text
    assert "66,7%" in page and "22,0%" in page and "+44,7" in page
    assert '<svg class="bar"' in page and 'aria-hidden="true"' in page


def test_response_rate_per_municipality(organiser, pool: Pool) -> None:
    letters = Counter(letter.municipality for letter in pool.letters)
    assert letters == {"Goes": 15, "Middelburg": 10, "Vlissingen": 5}
    goes = [i for i, letter in enumerate(pool.letters) if letter.municipality == "Goes"]
    vlissingen = [i for i, letter in enumerate(pool.letters) if letter.municipality == "Vlissingen"]
    pool.register("Huis Een", channel="letter", letter=goes[0])
    pool.register("Huis Een Partner", channel="letter", letter=goes[0])
    pool.register("Huis Twee", channel="letter", letter=goes[1])
    pool.withdraw(pool.register("Huis Drie", channel="letter", letter=vlissingen[0]))
    pool.register("Zonder Brief", channel="staff")
    with pool.session() as (session, item):
        (batch,) = pool_composition.response_rates(session, item)
        others = pool_composition.other_channels(session, item)
    strata = {s.name: s for s in batch.strata}
    assert set(strata) == set(MUNICIPALITIES)
    assert (strata["Goes"].letters, strata["Goes"].households, strata["Goes"].people) == (15, 2, 3)
    assert strata["Goes"].rate == pytest.approx(2 / 15)
    assert (strata["Vlissingen"].households, strata["Vlissingen"].people) == (1, 1)
    assert (strata["Middelburg"].households, strata["Middelburg"].rate) == (0, 0)
    assert (batch.total.letters, batch.total.households, batch.total.people) == (30, 3, 4)
    assert others == {"staff": 1}

    page = organiser.get(f"{BASE}/aanmeldingen/samenstelling").text
    assert "Respons op de brieven" in page and "13,3%" in page and "Door medewerker: 1" in page


def test_counts_have_a_thousands_separator(
    organiser, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool.register("Oud Een")
    composition, response_rates, counts = (
        pool_composition.composition,
        pool_composition.response_rates,
        pool_table.counts,
    )

    def many(session, item):  # type: ignore[no-untyped-def]
        categories = composition(session, item)
        for category in categories:
            category.total += 12000
            category.values[0].count += 12000
        return categories

    def many_letters(session, item):  # type: ignore[no-untyped-def]
        batches = response_rates(session, item)
        for batch in batches:
            for stratum in [*batch.strata, batch.total]:
                stratum.letters += 1500
                stratum.households += 1100
                stratum.people += 1300
        return batches

    monkeypatch.setattr(pool_composition, "composition", many)
    monkeypatch.setattr(pool_composition, "response_rates", many_letters)
    monkeypatch.setattr(pool_table, "counts", lambda s, i: {**counts(s, i), "pool": 12001})
    monkeypatch.setattr(pool_composition, "other_channels", lambda s, i: {"staff": 2500})
    page = organiser.get(f"{BASE}/aanmeldingen/samenstelling").text
    assert "(12.001 " in page
    assert '<td class="num">12.001</td>' in page  # a category's total
    assert '<td class="num">12.000</td>' in page  # a value nobody chose, plus 12,000
    assert '<td class="num">1.530</td>' in page  # all letters of the batch
    assert '<td class="num">1.100</td>' in page and '<td class="num">1.300</td>' in page
    assert "Door medewerker: 2.500" in page
    assert "12001" not in page and "1530" not in page and "2500" not in page
