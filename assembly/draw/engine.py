"""The one place where the web application meets the sortition engine.

It turns the database into the engine's inputs (the eligible registrants, their
households and the quotas from the editor), writes those inputs as the exact files that
are published (``mensen.csv``, ``quota.csv``), and calls ``sortition`` to check, solve,
draw and replace. The published files are parsed back with the engine's own loaders, so
the web application and ``python -m sortition verify`` can never read them differently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

import sortition
from sortition.draw import DrawResult, draw_from_description
from sortition.io import PeopleTable, load_people, load_quotas
from sortition.replace import next_reserve as next_reserve_of
from sortition.replace import replace_among
from sortition.report import build_report, canonical_json, fingerprint, quota_table, summary

from ..models import Assembly, DrawRun
from ..pool.eligibility import eligible_pool
from ..questionnaire.questions import load_questions
from .errors import BadInputs, NoCategories, PoolTooSmall, ReplacementImpossible

PEOPLE_FILE = "mensen.csv"
CATEGORIES_FILE = "quota.csv"
REPORT_FILE = "report.json"
LOTTERY_FILE = "loting.json"
ID_COLUMN = "id"
HOUSEHOLD_COLUMN = "household"
ALGORITHM = "leximin"
# Fixed, as in the command line: the lottery depends only on the published inputs.
SOLVER_RNG_SEED = 0
DEFAULT_TOLERANCE = 0.03
ENGINE_TOLERANCE = 1e-6

Progress = sortition.ProgressCallback
# How the engine compares category values (case, accents and spaces do not count).
normalize = sortition.normalize


class Infeasible(Exception):
    """No panel meets every quota; ``diagnosis`` is :func:`diagnosis_to_dict`'s."""

    def __init__(self, diagnosis: dict[str, Any]) -> None:
        super().__init__(diagnosis)
        self.diagnosis = diagnosis


class SolveFailed(Exception):
    """The solver gave up or rejected the instance; ``str()`` says why."""


# --- quotas ---------------------------------------------------------------------------------


def computed_bounds(share: float | None, tolerance: float, panel_size: int) -> tuple[int, int]:
    """Min and max from a population share ± a tolerance, rounded outward.

    Without a share (for "prefer not to say") there is no target: 0 to the panel size.
    """
    if share is None:
        return 0, panel_size
    # A tiny margin so that 150 × 0.2 = 30.000000000000004 still rounds to 30.
    low = math.floor(panel_size * (share - tolerance) + 1e-9)
    high = math.ceil(panel_size * (share + tolerance) - 1e-9)
    return max(0, low), min(panel_size, max(high, 0))


@dataclass(frozen=True)
class QuotaLine:
    """One category value with its target share, tolerance and effective min and max."""

    question_id: int
    option_id: int
    category: str
    question: str
    question_en: str
    value: str
    label: str
    label_en: str
    prefer_not: bool
    share: float | None
    tolerance: float
    min: int
    max: int
    computed_min: int
    computed_max: int
    pool: int = 0
    special: bool = False  # a special-category question (an opinion)

    @property
    def edited(self) -> bool:
        return (self.min, self.max) != (self.computed_min, self.computed_max)


def quota_lines(
    session: Session, assembly: Assembly, pool_counts: dict[int, int] | None = None
) -> list[QuotaLine]:
    """The quotas as the editor shows them, in question and option order."""
    lines = []
    for question, options in load_questions(session, assembly):
        assert question.id is not None
        for option in options:
            assert option.id is not None
            low, high = computed_bounds(
                None if option.prefer_not else option.population_share,
                option.tolerance,
                assembly.panel_size,
            )
            lines.append(
                QuotaLine(
                    question_id=question.id,
                    option_id=option.id,
                    category=question.category,
                    question=question.question,
                    question_en=question.question_en,
                    value=option.value,
                    label=option.label,
                    label_en=option.label_en,
                    prefer_not=option.prefer_not,
                    share=None if option.prefer_not else option.population_share,
                    tolerance=option.tolerance,
                    min=low if option.quota_min is None else option.quota_min,
                    max=high if option.quota_max is None else option.quota_max,
                    computed_min=low,
                    computed_max=high,
                    pool=(pool_counts or {}).get(option.id, 0),
                    special=question.special_category,
                )
            )
    return lines


# --- the published files --------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """The exact bytes that are published, and what was derived from them."""

    people_csv: bytes
    categories_csv: bytes
    settings: dict[str, Any]
    fingerprint: str
    pool_size: int
    households: int
    # registration id of each reference (never published)
    registration_ids: dict[str, int]
    # per category value: the question, the labels, the population share and tolerance
    targets: list[dict[str, Any]]


def _csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def settings_for(panel_size: int, tolerance: float = ENGINE_TOLERANCE) -> dict[str, Any]:
    """The options that shape the lottery, recorded in report.json as the CLI does."""
    return {
        "panel_size": panel_size,
        "tolerance": tolerance,
        "algorithm": ALGORITHM,
        "id_column": ID_COLUMN,
        "generated_ids": False,
        "address_columns": [HOUSEHOLD_COLUMN],
        "time_limit": None,
        "solver_rng_seed": SOLVER_RNG_SEED,
    }


def build_inputs(
    session: Session,
    assembly: Assembly,
    tolerance: float = ENGINE_TOLERANCE,
    *,
    id_source: random.Random | None = None,
) -> Inputs:
    """Snapshot the pool and the quotas as the files the draw is computed from.

    People are named by random ids made for this run, not by their registration
    reference (which is in their confirmation e-mail): knowing someone's reference must
    not reveal their answers or whether they were drawn. The household keys (which may
    say which letter someone answered) are replaced by anonymous ones numbered in order
    of those ids, so the files say nothing about who lives where.
    """
    qs = load_questions(session, assembly)
    if not qs:
        raise NoCategories()
    pool = eligible_pool(session, assembly)
    if len(pool.people) < assembly.panel_size:
        raise PoolTooSmall(pool=len(pool.people), panel=assembly.panel_size)
    value_of = {o.id: o.value for _q, options in qs for o in options}
    # Unpredictable by default; the demo passes a seeded source so that it is the same
    # every time.
    source = id_source or secrets.SystemRandom()
    pseudonyms: set[str] = set()
    while len(pseudonyms) < len(pool.people):
        pseudonyms.add(f"d{source.getrandbits(40):010x}")
    # Sorted random ids paired with the people in random order: rows in id order.
    shuffled = source.sample(pool.people, len(pool.people))
    people = list(zip(sorted(pseudonyms), shuffled, strict=True))
    anonymous: dict[str, str] = {}
    for _pseudonym, person in people:
        anonymous.setdefault(person.household_key, "")
    width = len(str(len(anonymous)))
    for number, key in enumerate(anonymous, start=1):
        anonymous[key] = f"h{number:0{width}d}"
    header = [ID_COLUMN, HOUSEHOLD_COLUMN, *(q.category for q, _ in qs)]
    rows = [header]
    for pseudonym, person in people:
        rows.append(
            [
                pseudonym,
                anonymous[person.household_key],
                *(value_of[o] for o in person.option_ids),
            ]
        )
    people_bytes = _csv_bytes(rows)
    lines = quota_lines(session, assembly)
    categories_bytes = _csv_bytes(
        [["feature", "value", "min", "max"]]
        + [[line.category, line.value, str(line.min), str(line.max)] for line in lines]
    )
    settings = settings_for(assembly.panel_size, tolerance)
    return Inputs(
        people_csv=people_bytes,
        categories_csv=categories_bytes,
        settings=settings,
        fingerprint=fingerprint(people_bytes, categories_bytes, canonical_json(settings)),
        pool_size=len(pool.people),
        households=len(anonymous),
        registration_ids={pseudonym: p.registration_id for pseudonym, p in people},
        targets=[
            {
                "category": line.category,
                "question": line.question,
                "question_en": line.question_en,
                "value": line.value,
                "label": line.label,
                "label_en": line.label_en,
                "prefer_not": line.prefer_not,
                "share": line.share,
                "tolerance": line.tolerance,
                "special": line.special,
            }
            for line in lines
        ],
    )


@dataclass(frozen=True)
class Loaded:
    """Published files read back with the engine's loaders."""

    quotas: sortition.Quotas
    people: PeopleTable
    instance: sortition.Instance

    @property
    def pool_size(self) -> int:
        return self.instance.pool.size

    @property
    def households(self) -> int:
        households = self.instance.pool.households
        return len(set(households.tolist())) if households is not None else self.pool_size

    def values_of(self, reference: str) -> dict[str, str]:
        """The category values of one person, from the published file."""
        row = self.people.rows[self.people.index(reference)]
        return {
            category: row[self.people.header.index(category)] for category in self.quotas.categories
        }


def load(people_csv: bytes, categories_csv: bytes, panel_size: int) -> Loaded:
    """Read the files exactly as ``python -m sortition`` would (raises ``BadInputs``)."""
    with tempfile.TemporaryDirectory(prefix="burgerberaad-draw-") as directory:
        people_path = Path(directory) / PEOPLE_FILE
        categories_path = Path(directory) / CATEGORIES_FILE
        people_path.write_bytes(people_csv)
        categories_path.write_bytes(categories_csv)
        try:
            quotas = load_quotas(categories_path)
            people = load_people(
                people_path, quotas, id_column=ID_COLUMN, address_columns=[HOUSEHOLD_COLUMN]
            )
            instance = sortition.Instance(people.pool, quotas, panel_size)
        except sortition.InputError as error:
            raise BadInputs(message=str(error)) from None
    return Loaded(quotas, people, instance)


def people_values(run: DrawRun) -> dict[str, dict[str, str]]:
    """Per reference: household and category values, from the run's people file."""
    reader = csv.DictReader(io.StringIO(run.people_csv, newline=""))
    return {row[ID_COLUMN]: dict(row) for row in reader}


def run_quotas(run: DrawRun) -> list[tuple[str, str, int, int]]:
    """Category, value, min and max of each quota, from the run's quota file."""
    reader = csv.DictReader(io.StringIO(run.categories_csv, newline=""))
    return [(r["feature"], r["value"], int(r["min"]), int(r["max"])) for r in reader]


def load_run(run: DrawRun) -> Loaded:
    """A run's stored inputs, read back as the published files are."""
    return load(run.people_csv.encode("utf-8"), run.categories_csv.encode("utf-8"), run.panel_size)


# --- check, solve, draw ----------------------------------------------------------------------


def check(loaded: Loaded) -> dict[str, Any]:
    """The engine's feasibility check, as :func:`diagnosis_to_dict` gives it."""
    return diagnosis_to_dict(sortition.check(loaded.instance))


def _diagnosis_of(error: sortition.InfeasibleError) -> dict[str, Any] | None:
    diagnosis = error.params.get("diagnosis")
    return diagnosis_to_dict(diagnosis) if isinstance(diagnosis, sortition.Diagnosis) else None


def diagnosis_to_dict(diagnosis: sortition.Diagnosis) -> dict[str, Any]:
    """JSON-ready: conflicts with their codes and parameters, and the relaxations."""
    return {
        "feasible": diagnosis.feasible,
        "conflicts": [
            {
                "code": c.code,
                "message": c.message,
                "params": {k: v for k, v in c.params.items() if isinstance(v, str | int | float)},
                "quotas": [list(q) for q in c.quotas],
            }
            for c in diagnosis.conflicts
        ],
        "relaxations": [
            {"category": r.category, "value": r.value, "bound": r.bound, "old": r.old, "new": r.new}
            for r in diagnosis.relaxations
        ],
        "forced_in": len(diagnosis.forced_in),
        "forced_out": len(diagnosis.forced_out),
        # Indices into the pool: who can never be drawn (feasible quotas), or who still could
        # not be after the suggested relaxation (none, whenever some relaxation can).
        "forced_out_people": [int(i) for i in diagnosis.forced_out],
        "excluded_after_relaxation": [int(i) for i in diagnosis.excluded_after_relaxation],
    }


def report_text(report: dict[str, Any]) -> str:
    """report.json as written by the command line."""
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Solved:
    report: dict[str, Any]
    probabilities: dict[str, float]  # per reference
    summary: dict[str, Any]


def solve(
    loaded: Loaded,
    people_csv: bytes,
    categories_csv: bytes,
    settings: dict[str, Any],
    n_reserves: int,
    *,
    progress: Progress | None = None,
    tolerance: float = ENGINE_TOLERANCE,
    time_limit: float | None = None,
) -> Solved:
    """The LEXIMIN lottery over the pool and the report that publishes it (no seed yet).

    Raises :class:`Infeasible` (with the diagnosis) and :class:`SolveFailed`.
    """
    try:
        result = sortition.find_distribution(
            loaded.instance,
            algorithm=settings.get("algorithm", ALGORITHM),
            tolerance=tolerance,
            time_limit=time_limit,
            progress=progress,
            rng=SOLVER_RNG_SEED,
        )
        report = build_report(
            loaded.instance,
            result,
            people=people_csv,
            categories=categories_csv,
            settings=settings,
            n_reserves=n_reserves,
            file_names={"people": PEOPLE_FILE, "categories": CATEGORIES_FILE},
        )
    except sortition.InfeasibleError as error:
        raise Infeasible(
            _diagnosis_of(error) or {"feasible": False, "conflicts": [], "relaxations": []}
        ) from None
    except (sortition.SolverError, sortition.InputError) as error:
        raise SolveFailed(str(error)) from None
    ids = loaded.instance.pool.ids
    probabilities = {
        person: float(p) for person, p in zip(ids, np.asarray(result.probabilities), strict=True)
    }
    return Solved(report, probabilities, summary(result))


def draw(report: dict[str, Any], seed: str) -> DrawResult:
    """The panel and the ordered reserves that ``seed`` gives (the published procedure)."""
    return draw_from_description(
        report["distribution"], seed, n_reserves=int(report.get("n_reserves") or 0)
    )


def final_report(report: dict[str, Any], loaded: Loaded, drawn: DrawResult) -> dict[str, Any]:
    """report.json after the draw, with the same fields the command line writes."""
    final = dict(report)
    index = {person: i for i, person in enumerate(loaded.instance.pool.ids)}
    final["seed"] = drawn.seed
    final["draw"] = {"number": float(drawn.number), "panel_index": int(drawn.panel_index)}
    final["selected"] = list(drawn.selected)
    final["reserves"] = list(drawn.reserves)
    final["quota_table"] = quota_table(loaded.instance, [index[p] for p in drawn.selected])
    return final


def quotas_hold(loaded: Loaded, references: Sequence[str]) -> bool:
    """Whether a panel of these people has the panel size and meets every quota."""
    if len(references) != loaded.instance.panel_size:
        return False
    index = [loaded.people.index(r) for r in references]
    return all(row["ok"] for row in quota_table(loaded.instance, index))


def next_reserve(
    loaded: Loaded,
    *,
    panel: Sequence[str],
    out: str,
    reserves: Sequence[str],
    excluded: set[str],
) -> str | None:
    """The reserve who takes ``out``'s seat (the engine's rule, which the verifier replays)."""
    index = loaded.people.index
    found = next_reserve_of(
        loaded.instance,
        panel=[index(p) for p in panel],
        out=index(out),
        reserves=[index(r) for r in reserves],
        excluded={index(p) for p in excluded},
    )
    return None if found is None else loaded.instance.pool.ids[found]


# --- replacement ----------------------------------------------------------------------------


def replace(
    loaded: Loaded,
    *,
    available: set[str],
    panel: Sequence[str],
    dropped: Sequence[str],
    seed: str,
) -> sortition.ReplacementResult:
    """Draw replacements for ``dropped`` with the engine, keeping every other member.

    The pool is narrowed to the panel and the people still ``available`` (not withdrawn,
    never on the panel before); everyone who stays is treated as confirmed, so nobody
    loses a seat. Raises :class:`ReplacementImpossible` when no replacement keeps every
    quota (with the diagnosis when the engine gives one).
    """
    index = loaded.people.index
    try:
        return replace_among(
            loaded.instance,
            panel=[index(p) for p in panel],
            dropped=[index(p) for p in dropped],
            available={index(p) for p in available},
            seed=seed,
            algorithm=ALGORITHM,
        )
    except sortition.InfeasibleError as error:
        raise ReplacementImpossible(_diagnosis_of(error), seats=len(dropped)) from None
    except (sortition.InputError, sortition.SolverError):
        raise ReplacementImpossible(seats=len(dropped)) from None
