"""Deterministic generator of realistic Dutch (Zeeland) respondent pools for benchmarks.

A pool is what comes back after an invitation letter: the respondents are *not* a random
sample of the population. Older, higher-educated and more concerned people answer more
often; young people, people with a lower education and people with a migration background
less often. Quotas, on the other hand, are derived from the *population* shares, as
organisers do. That mismatch is what makes real selections hard (and what makes
selection probabilities unequal), so a benchmark on uniform random pools would flatter
any engine.

Some respondents share an address with other respondents (households of two, or up to
four with ``household_max``); the one-per-household rule then applies.

Real pools vary in ways a handful of instances does not show, so a ``Spec`` has knobs for
them: residence as the four regions or the 13 municipalities, age in 4–7 bands, quotas
with a relative tolerance or an absolute one of a few seats, the share and size of
households, and how skewed the response is. ``SWEEP`` crosses them over four pool sizes
(``sweep.py`` runs it).

Everything is drawn from one ``numpy.random.Generator`` seeded explicitly, so an instance
name and seed always give byte-identical files. The small population tables are embedded
here on purpose: the generator must not depend on files outside the repository.

Usage::

    python benchmarks/generate.py --instance pool-2000-k100 --out benchmarks/out/inst
    python benchmarks/generate.py --instance sweep-1200-k80-2 --out benchmarks/out/inst
    python benchmarks/generate.py --n 900 --k 60 --categories 6 --seed 7 --out /tmp/x
    python benchmarks/generate.py --n 900 --k 60 --residence gemeente --age-bands 7 \
        --absolute 1 --households 0.15 --household-max 4 --skew 1.5 --out /tmp/y
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

# --- population tables (approximate, early 2020s; see /work/shared/demo-data) ----------

#: Zeeland municipalities (approximate population) grouped into the four regions that
#: regional plans use. Residence quotas are usually set per region, not per municipality:
#: 13 municipalities with a panel of 50 would give quotas of 1–2 seats.
MUNICIPALITIES: tuple[tuple[str, str, int], ...] = (
    ("Middelburg", "Walcheren", 49_600),
    ("Vlissingen", "Walcheren", 45_000),
    ("Veere", "Walcheren", 22_000),
    ("Terneuzen", "Zeeuws-Vlaanderen", 55_000),
    ("Hulst", "Zeeuws-Vlaanderen", 27_600),
    ("Sluis", "Zeeuws-Vlaanderen", 23_700),
    ("Goes", "De Bevelanden", 39_000),
    ("Borsele", "De Bevelanden", 23_100),
    ("Kapelle", "De Bevelanden", 13_200),
    ("Reimerswaal", "De Bevelanden", 23_400),
    ("Noord-Beveland", "De Bevelanden", 7_600),
    ("Schouwen-Duiveland", "Schouwen-Duiveland en Tholen", 34_300),
    ("Tholen", "Schouwen-Duiveland en Tholen", 26_600),
)

#: First two digits of the postcodes used per municipality (approximate postcode areas).
POSTCODE_PREFIX: dict[str, tuple[int, int]] = {
    "Middelburg": (4330, 4339),
    "Vlissingen": (4380, 4389),
    "Veere": (4350, 4374),
    "Terneuzen": (4530, 4539),
    "Hulst": (4560, 4569),
    "Sluis": (4500, 4529),
    "Goes": (4460, 4469),
    "Borsele": (4410, 4459),
    "Kapelle": (4420, 4429),
    "Reimerswaal": (4400, 4409),
    "Noord-Beveland": (4480, 4494),
    "Schouwen-Duiveland": (4300, 4329),
    "Tholen": (4690, 4699),
}

GENDER = ("man", "vrouw", "anders")
GENDER_SHARE = (0.492, 0.498, 0.010)

AGE = ("16-24", "25-34", "35-49", "50-64", "65-79", "80+")
AGE_SHARE = (0.12, 0.13, 0.20, 0.26, 0.22, 0.07)
#: First year of each band of AGE, and the end of the last (people are spread evenly over
#: the years of their band when ages are banded differently).
AGE_EDGES = (16, 25, 35, 50, 65, 80, 95)
#: Other bandings organisers use, as the first year of each band.
AGE_BANDINGS: dict[int, tuple[int, ...]] = {
    4: (16, 35, 55, 75),
    5: (16, 30, 45, 60, 75),
    6: AGE_EDGES[:-1],
    7: (16, 25, 35, 45, 55, 65, 75),
}

EDUCATION = ("laag", "midden", "hoog")
EDUCATION_SHARE = (0.30, 0.40, 0.30)
#: Education depends on age (older cohorts had less access to higher education, the
#: youngest are still studying); rows are AGE, columns EDUCATION. The marginal is close to
#: EDUCATION_SHARE, which is what the quotas use.
EDUCATION_BY_AGE = (
    (0.30, 0.50, 0.20),
    (0.18, 0.42, 0.40),
    (0.22, 0.40, 0.38),
    (0.30, 0.40, 0.30),
    (0.40, 0.37, 0.23),
    (0.55, 0.30, 0.15),
)

CONCERN = ("zeer bezorgd", "bezorgd", "neutraal", "niet bezorgd")
CONCERN_SHARE = (0.25, 0.35, 0.25, 0.15)

MIGRATION = ("ja", "nee")
MIGRATION_SHARE = (0.18, 0.82)

# --- who answers the letter: relative response propensity per value ---------------------

RESPONSE_AGE = (0.55, 0.70, 0.90, 1.20, 1.60, 0.80)
RESPONSE_EDUCATION = (0.50, 0.90, 1.70)
RESPONSE_CONCERN = (1.40, 1.10, 0.80, 0.65)
RESPONSE_MIGRATION = (0.60, 1.00)
#: Rural Zeeuws-Vlaanderen answers a little less often.
RESPONSE_REGION = {"Zeeuws-Vlaanderen": 0.85}

FIRST_NAMES = (
    "Jan", "Piet", "Kees", "Henk", "Daan", "Sem", "Lucas", "Bram", "Thijs", "Ruben",
    "Anna", "Emma", "Sanne", "Lotte", "Fleur", "Maria", "Ingrid", "Fatima", "Noor", "Eva",
    "Mohamed", "Yusuf", "Sven", "Joost", "Marieke", "Kim", "Robin", "Sam", "Wim", "Els",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "de Jonge", "Koppejan", "Kodde", "Verhage", "Meulmeester",
    "de Witte", "Dekker", "Bakker", "Visser", "Smit", "Boone", "Minderhoud", "Schot",
    "van der Weele", "Lievense", "Wisse", "Huibregtse", "Ozturk", "El Amrani", "Bosman",
)  # fmt: skip
STREETS = (
    "Dorpsstraat", "Kerkstraat", "Molenweg", "Zeedijk", "Havenkade", "Noordweg",
    "Markt", "Stationsstraat", "Schuttershof", "Boulevard", "Singel", "Oostwal",
    "Lange Viele", "Polderweg", "Kanaalweg", "Vlasmarkt", "Beatrixlaan", "Julianastraat",
)  # fmt: skip

# --- categories ------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A quota category with its population (target) shares."""

    name: str
    values: tuple[str, ...]
    shares: tuple[float, ...]


def _regions() -> Category:
    totals: dict[str, int] = {}
    for _, region, population in MUNICIPALITIES:
        totals[region] = totals.get(region, 0) + population
    whole = sum(totals.values())
    return Category("regio", tuple(totals), tuple(p / whole for p in totals.values()))


def _municipalities() -> Category:
    whole = sum(p for _, _, p in MUNICIPALITIES)
    return Category(
        "gemeente",
        tuple(name for name, _, _ in MUNICIPALITIES),
        tuple(p / whole for _, _, p in MUNICIPALITIES),
    )


def _age_category(bands: int) -> Category:
    """Age in ``bands`` bands; shares from AGE_SHARE, spread evenly over each band's years."""
    starts = AGE_BANDINGS[bands]
    ends = (*starts[1:], AGE_EDGES[-1])
    shares = []
    for low, high in zip(starts, ends, strict=True):
        share = 0.0
        for j, fine in enumerate(AGE_SHARE):
            overlap = min(high, AGE_EDGES[j + 1]) - max(low, AGE_EDGES[j])
            share += fine * max(overlap, 0) / (AGE_EDGES[j + 1] - AGE_EDGES[j])
        shares.append(share)
    names = tuple(
        f"{low}-{high - 1}" if high < AGE_EDGES[-1] else f"{low}+"
        for low, high in zip(starts, ends, strict=True)
    )
    return Category("leeftijd", names, tuple(shares))


#: Categories in the order they are added: 5 categories = the first five, 6 = all.
CATEGORIES: tuple[Category, ...] = (
    Category("geslacht", GENDER, GENDER_SHARE),
    Category("leeftijd", AGE, AGE_SHARE),
    Category("opleiding", EDUCATION, EDUCATION_SHARE),
    _regions(),
    Category("zorgen", CONCERN, CONCERN_SHARE),
    Category("migratieachtergrond", MIGRATION, MIGRATION_SHARE),
)


@dataclass(frozen=True)
class Spec:
    """One benchmark instance.

    ``household_share`` is the share of respondents who live with another respondent, in
    households of 2 to ``household_max`` respondents; ``tolerance`` the relative slack of
    the quotas around the population share, or ``absolute`` seats either side instead;
    ``residence`` is ``"regio"`` (4 regions) or ``"gemeente"`` (13 municipalities);
    ``age_bands`` 4 to 7; ``skew`` the power of the response propensities (0: everyone
    answers alike, 1: the tables above, 2: twice as skewed in log terms); ``peer``
    whether the peer runs on it by default. The defaults give the original instances,
    byte for byte.
    """

    name: str
    n: int
    k: int
    n_categories: int
    seed: int
    household_share: float = 0.08
    tolerance: float = 0.20
    peer: bool = True
    note: str = ""
    residence: str = "regio"
    age_bands: int = 6
    absolute: int | None = None
    household_max: int = 2
    skew: float = 1.0

    def categories(self) -> tuple[Category, ...]:
        """The first ``n_categories`` categories with this spec's age and residence."""
        chosen = list(CATEGORIES)
        chosen[1] = _age_category(self.age_bands)
        if self.residence == "gemeente":
            chosen[3] = _municipalities()
        elif self.residence != "regio":
            raise ValueError(f"residence must be 'regio' or 'gemeente', not {self.residence!r}")
        return tuple(chosen[: self.n_categories])

    def knobs(self) -> str:
        """The knobs in a few words, for tables."""
        tolerance = f"±{self.absolute}" if self.absolute is not None else f"{self.tolerance:.0%}"
        households = (
            f"hh {self.household_share:.0%}≤{self.household_max}"
            if self.household_share > 0
            else "no hh"
        )
        return (
            f"{self.residence} age{self.age_bands} tol {tolerance} {households} "
            f"skew {self.skew:g} c{self.n_categories}"
        )


#: The named instances: the sizes at which the peer was measured, the peer's own published
#: benchmark size, and the Nationaal Burgerberaad Klimaat size.
INSTANCES: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        # Small smoke-check size (--quick): 4 categories, answers in seconds.
        Spec("pool-300-k30", 300, 30, 4, seed=300_30, note="smoke check"),
        Spec("pool-500-k50", 500, 50, 5, seed=500_50, note="peer measured 28 s"),
        Spec("pool-750-k112", 750, 112, 5, seed=750_112, note="peer's published 119–261 s"),
        Spec("pool-1200-k80", 1200, 80, 6, seed=1200_80, note="peer measured 212 s"),
        Spec("pool-2000-k100", 2000, 100, 5, seed=2000_100, note="peer measured 607 s"),
        Spec(
            "klimaat-4000-k175",
            4000,
            175,
            6,
            seed=4000_175,
            peer=False,
            note="Nationaal Burgerberaad Klimaat size",
        ),
    )
}

QUICK_INSTANCES = ("pool-300-k30",)

#: The sweep's sizes (pool, panel), and per size the same eight settings of the knobs
#: (residence, age bands, relative or absolute tolerance, household share and largest
#: household, response skew, categories): the original setting, then combinations
#: that real organisers use, tight ones and ones with many distinct types included.
SWEEP_SIZES: tuple[tuple[int, int], ...] = ((500, 50), (1200, 80), (2000, 100), (4000, 175))
_S = Spec("setting", 0, 0, 6, seed=0)
SWEEP_SETTINGS: tuple[Spec, ...] = (
    replace(_S, residence="regio", age_bands=6, tolerance=0.20, household_share=0.08),
    replace(_S, residence="gemeente", age_bands=6, tolerance=0.10, household_share=0.10,
            household_max=3),
    replace(_S, residence="gemeente", age_bands=7, tolerance=0.05, household_share=0.20,
            household_max=4, skew=1.5),
    replace(_S, residence="gemeente", age_bands=5, absolute=1, household_share=0.05),
    replace(_S, residence="regio", age_bands=4, tolerance=0.05, household_share=0.15,
            household_max=4, skew=2.0),
    replace(_S, residence="gemeente", age_bands=4, absolute=2, household_share=0.0, skew=0.5,
            n_categories=5),
    replace(_S, residence="regio", age_bands=7, tolerance=0.15, household_share=0.20,
            household_max=3, skew=1.5),
    replace(_S, residence="gemeente", age_bands=6, tolerance=0.25, household_share=0.12,
            household_max=4, skew=2.0),
)  # fmt: skip


def _sweep() -> dict[str, Spec]:
    specs = {}
    for n, k in SWEEP_SIZES:
        for index, setting in enumerate(SWEEP_SETTINGS):
            name = f"sweep-{n}-k{k}-{index}"
            specs[name] = replace(
                setting, name=name, n=n, k=k, seed=n * 1000 + k * 10 + index, peer=n <= 1200
            )
    return specs


#: The sweep: every size with every setting, named ``sweep-<n>-k<k>-<setting>``.
SWEEP: dict[str, Spec] = _sweep()


@dataclass(frozen=True)
class Generated:
    """A generated pool: rows for people.csv and categories.csv, and the seed used."""

    spec: Spec
    seed_used: int
    header: tuple[str, ...]
    people: tuple[tuple[str, ...], ...]
    quotas: tuple[tuple[str, str, int, int], ...]
    categories: tuple[Category, ...]


def quotas_for(
    categories: Sequence[Category], k: int, tolerance: float, absolute: int | None = None
) -> list[tuple[str, str, int, int]]:
    """Quotas from target shares: ``floor(s·k·(1−tol))`` to ``ceil(s·k·(1+tol))``, or
    with ``absolute`` seats either side: ``floor(s·k) − a`` to ``ceil(s·k) + a`` (at least 0).
    """
    rows = []
    for category in categories:
        for value, share in zip(category.values, category.shares, strict=True):
            target = share * k
            if absolute is not None:
                low = max(math.floor(round(target, 9)) - absolute, 0)
                high = math.ceil(round(target, 9)) + absolute
            else:
                # Rounding guards: 0.2 * 50 * 1.2 is 12.000000000000002 in floating point.
                low = math.floor(round(target * (1 - tolerance), 9))
                high = math.ceil(round(target * (1 + tolerance), 9))
            rows.append((category.name, value, low, max(high, low)))
    return rows


def _sample_population(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """Draw ``size`` residents of Zeeland (value indices per category)."""
    towns = np.array([p for _, _, p in MUNICIPALITIES], dtype=float)
    age = rng.choice(len(AGE), size=size, p=AGE_SHARE)
    cumulative = np.cumsum(np.array(EDUCATION_BY_AGE), axis=1)
    education = (rng.random(size)[:, None] > cumulative[age]).sum(axis=1)
    return {
        "gemeente": rng.choice(len(MUNICIPALITIES), size=size, p=towns / towns.sum()),
        "geslacht": rng.choice(len(GENDER), size=size, p=GENDER_SHARE),
        "leeftijd": age,
        "opleiding": np.minimum(education, len(EDUCATION) - 1),
        "zorgen": rng.choice(len(CONCERN), size=size, p=CONCERN_SHARE),
        "migratieachtergrond": rng.choice(len(MIGRATION), size=size, p=MIGRATION_SHARE),
    }


def _propensity(population: dict[str, np.ndarray]) -> np.ndarray:
    region_of_town = np.array([RESPONSE_REGION.get(region, 1.0) for _, region, _ in MUNICIPALITIES])
    return (
        np.asarray(RESPONSE_AGE)[population["leeftijd"]]
        * np.asarray(RESPONSE_EDUCATION)[population["opleiding"]]
        * np.asarray(RESPONSE_CONCERN)[population["zorgen"]]
        * np.asarray(RESPONSE_MIGRATION)[population["migratieachtergrond"]]
        * region_of_town[population["gemeente"]]
    )


def _respondents(rng: np.random.Generator, n: int, skew: float = 1.0) -> dict[str, np.ndarray]:
    """``n`` respondents: residents accepted with probability ∝ their response propensity
    (to the power ``skew``)."""
    ceiling = (
        max(RESPONSE_AGE)
        * max(RESPONSE_EDUCATION)
        * max(RESPONSE_CONCERN)
        * max(RESPONSE_MIGRATION)
    )
    parts: list[dict[str, np.ndarray]] = []
    accepted = 0
    while accepted < n:
        batch = _sample_population(rng, max(4 * n, 1000))
        propensity = _propensity(batch) / ceiling
        if skew != 1.0:
            propensity = propensity**skew
        keep = rng.random(len(batch["leeftijd"])) < propensity
        parts.append({key: values[keep] for key, values in batch.items()})
        accepted += int(keep.sum())
    return {key: np.concatenate([p[key] for p in parts])[:n] for key in parts[0]}


def _households(
    rng: np.random.Generator,
    people: dict[str, np.ndarray],
    share: float,
    largest: int = 2,
    extra: np.random.Generator | None = None,
) -> np.ndarray:
    """Household number per person; ``share`` of them live with other respondents.

    Housemates live in the same municipality, so households are formed within a town;
    taking people of neighbouring age bands together mimics couples of similar age. With
    ``largest`` above 2 the household sizes (2 to ``largest``) come from ``extra``, so
    that the main stream, and with it the original instances, stays as it was.
    """
    n = len(people["leeftijd"])
    household = np.arange(n)
    n_pairs = int(round(share * n / 2))
    if n_pairs == 0:
        return household
    chosen = rng.choice(n, size=2 * n_pairs, replace=False)
    # Sort by town, then by a noisy age so that neighbours in the order are likely partners.
    noisy_age = people["leeftijd"][chosen] + rng.normal(0.0, 0.7, size=len(chosen))
    order = chosen[np.lexsort((noisy_age, people["gemeente"][chosen]))]
    town = people["gemeente"]
    position = 0
    while position < len(order):
        size = 2 if largest <= 2 or extra is None else int(extra.integers(2, largest + 1))
        run = 1
        while (
            run < size
            and position + run < len(order)
            and town[order[position + run]] == town[order[position]]
        ):
            run += 1
        # A person left without a housemate in their town stays single: the share is then
        # a bit below the target, which is fine for a benchmark.
        if run >= 2:
            household[order[position + 1 : position + run]] = household[order[position]]
        position += run
    return household


def _age_years(extra: np.random.Generator, band: np.ndarray) -> np.ndarray:
    """An age in years per person, spread evenly over the years of their AGE band."""
    low = np.asarray(AGE_EDGES[:-1])[band]
    high = np.asarray(AGE_EDGES[1:])[band]
    return low + np.floor(extra.random(len(band)) * (high - low)).astype(np.int64)


def _addresses(
    rng: np.random.Generator, town: np.ndarray, household: np.ndarray
) -> tuple[list[str], list[str]]:
    """A distinct (adres, postcode) per household, shared by its members."""
    used: set[tuple[str, str]] = set()
    by_household: dict[int, tuple[str, str]] = {}
    street_ids = rng.integers(0, len(STREETS), size=len(town))
    numbers = rng.integers(1, 240, size=len(town))
    digits = rng.random(len(town))
    letters = rng.integers(0, 26, size=(len(town), 2))
    for person in range(len(town)):
        h = int(household[person])
        if h in by_household:
            continue
        low, high = POSTCODE_PREFIX[MUNICIPALITIES[int(town[person])][0]]
        number = int(numbers[person])
        while True:
            code = int(low + digits[person] * (high - low + 1))
            postcode = f"{code} {chr(65 + letters[person, 0])}{chr(65 + letters[person, 1])}"
            address = f"{STREETS[street_ids[person]]} {number}"
            if (address, postcode) not in used:
                break
            number += 1  # a collision: the next house along the street
        used.add((address, postcode))
        by_household[h] = (address, postcode)
    addresses = [by_household[int(h)][0] for h in household]
    postcodes = [by_household[int(h)][1] for h in household]
    return addresses, postcodes


def feasible(
    features: np.ndarray,
    households: np.ndarray,
    quotas: Sequence[tuple[str, str, int, int]],
    categories: Sequence[Category],
    k: int,
) -> bool:
    """Whether some panel of ``k`` meets every quota and the household rule (a small MILP)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix, csr_matrix, vstack

    n = features.shape[0]
    rows, lower, upper = [], [], []
    quota_of = {(c, v): (lo, hi) for c, v, lo, hi in quotas}
    for c, category in enumerate(categories):
        for j, value in enumerate(category.values):
            rows.append((features[:, c] == j).astype(float))
            lo, hi = quota_of[(category.name, value)]
            lower.append(lo)
            upper.append(hi)
    rows.append(np.ones(n))
    lower.append(k)
    upper.append(k)
    blocks = [csr_matrix(np.array(rows))]
    # At most one person per household: one row per household with several members.
    _, inverse, counts = np.unique(households, return_inverse=True, return_counts=True)
    shared = np.flatnonzero(counts[inverse] > 1)
    if len(shared):
        _, row_of = np.unique(inverse[shared], return_inverse=True)
        blocks.append(
            coo_matrix(
                (np.ones(len(shared)), (row_of, shared)), shape=(row_of.max() + 1, n)
            ).tocsr()
        )
        lower.extend([0] * (row_of.max() + 1))
        upper.extend([1] * (row_of.max() + 1))
    result = milp(
        c=np.zeros(n),
        constraints=LinearConstraint(vstack(blocks).tocsr(), lower, upper),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"time_limit": 60},
    )
    return bool(result.success)


def generate(spec: Spec, *, max_attempts: int = 20) -> Generated:
    """Generate ``spec``'s pool; retries with the next seed until the quotas are feasible."""
    categories = spec.categories()
    quotas = quotas_for(categories, spec.k, spec.tolerance, spec.absolute)
    for attempt in range(max_attempts):
        seed = spec.seed + attempt
        rng = np.random.Generator(np.random.PCG64(seed))
        # Draws that the original instances did not make come from a second stream.
        extra = np.random.Generator(np.random.PCG64([seed, 1]))
        people = _respondents(rng, spec.n, spec.skew)
        town = people["gemeente"]
        region_index = {name: j for j, name in enumerate(_regions().values)}
        people["regio"] = np.array(
            [region_index[MUNICIPALITIES[int(t)][1]] for t in town], dtype=np.int64
        )
        if spec.age_bands != 6:
            starts = np.asarray(AGE_BANDINGS[spec.age_bands])
            years = _age_years(extra, people["leeftijd"])
            people["leeftijd"] = np.searchsorted(starts, years, side="right") - 1
        household = _households(
            rng, people, spec.household_share, spec.household_max, extra
        )
        features = np.column_stack([people[c.name] for c in categories])
        if feasible(features, household, quotas, categories, spec.k):
            break
    else:
        raise RuntimeError(f"{spec.name}: no feasible pool in {max_attempts} attempts")
    addresses, postcodes = _addresses(rng, town, household)
    first = rng.integers(0, len(FIRST_NAMES), size=spec.n)
    last = rng.integers(0, len(LAST_NAMES), size=spec.n)
    header = ("id", "naam", "adres", "postcode", "woonplaats", *(c.name for c in categories))
    width = len(str(spec.n))
    rows = []
    for i in range(spec.n):
        rows.append(
            (
                f"p{i + 1:0{width}d}",
                f"{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}",
                addresses[i],
                postcodes[i],
                MUNICIPALITIES[int(town[i])][0],
                *(c.values[int(features[i, j])] for j, c in enumerate(categories)),
            )
        )
    return Generated(spec, seed, header, tuple(rows), tuple(quotas), tuple(categories))


def write(generated: Generated, directory: Path) -> tuple[Path, Path]:
    """Write ``people.csv`` and ``categories.csv`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    people_path = directory / "people.csv"
    categories_path = directory / "categories.csv"
    with people_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(generated.header)
        writer.writerows(generated.people)
    with categories_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("feature", "value", "min", "max"))
        writer.writerows(generated.quotas)
    return people_path, categories_path


def describe(generated: Generated) -> str:
    """Pool composition vs. population shares, one line per value (a sanity check)."""
    spec = generated.spec
    lines = [f"{spec.name}: n={spec.n} k={spec.k} seed={generated.seed_used}"]
    column = {name: j for j, name in enumerate(generated.header)}
    addresses = [(row[2], row[3]) for row in generated.people]
    shared = len(addresses) - len(set(addresses))
    lines.append(f"  people sharing an address with another respondent: {2 * shared}")
    for category in generated.categories:
        values = [row[column[category.name]] for row in generated.people]
        for value, share in zip(category.values, category.shares, strict=True):
            pool_share = values.count(value) / len(values)
            lines.append(
                f"  {category.name:>20} {value:<30} pool {pool_share:6.1%}  population {share:6.1%}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instance", choices=sorted({**INSTANCES, **SWEEP}), metavar="NAME",
        help="a named instance: " + ", ".join(INSTANCES) + ", or sweep-<n>-k<k>-<0..7>",
    )
    parser.add_argument("--n", type=int, help="pool size (custom instance)")
    parser.add_argument("--k", type=int, help="panel size (custom instance)")
    parser.add_argument("--categories", type=int, default=5, help="number of categories (1–6)")
    parser.add_argument("--seed", type=int, help="seed (overrides the instance's)")
    parser.add_argument(
        "--households", type=float, default=0.08, help="share in 2-person households"
    )
    parser.add_argument("--tolerance", type=float, default=0.20, help="relative quota tolerance")
    parser.add_argument("--absolute", type=int, help="absolute quota tolerance in seats")
    parser.add_argument("--household-max", type=int, default=2, help="largest household")
    parser.add_argument("--residence", choices=("regio", "gemeente"), default="regio")
    parser.add_argument("--age-bands", type=int, choices=sorted(AGE_BANDINGS), default=6)
    parser.add_argument("--skew", type=float, default=1.0, help="power of the response bias")
    parser.add_argument("--out", type=Path, required=True, help="directory for the CSV files")
    parser.add_argument("--describe", action="store_true", help="print pool vs. population shares")
    args = parser.parse_args(argv)
    if args.instance:
        spec = {**INSTANCES, **SWEEP}[args.instance]
        if args.seed is not None:
            spec = replace(spec, seed=args.seed)
    elif args.n and args.k:
        spec = Spec(
            f"custom-{args.n}-k{args.k}",
            args.n,
            args.k,
            args.categories,
            seed=args.seed if args.seed is not None else 0,
            household_share=args.households,
            tolerance=args.tolerance,
            absolute=args.absolute,
            household_max=args.household_max,
            residence=args.residence,
            age_bands=args.age_bands,
            skew=args.skew,
        )
    else:
        parser.error("give --instance or both --n and --k")
    generated = generate(spec)
    people_path, categories_path = write(generated, args.out)
    print(f"wrote {people_path} and {categories_path} (seed {generated.seed_used})")
    if args.describe:
        print(describe(generated))


if __name__ == "__main__":
    main()
