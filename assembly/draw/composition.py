"""Population, pool and panel side by side, per category value (organisers' and public page).

Read from the run's published files and the targets stored with it, so the figures are
those of the lottery as it was computed, whatever changed in the questions since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sortition
from sortition.verify import person_probabilities

from ..models import DrawRun
from . import engine


def targets(run: DrawRun) -> list[dict[str, Any]]:
    """Per category value at the start of the run: labels, population share, tolerance."""
    return list(json.loads(run.targets_json or "[]"))


@dataclass
class ValueRow:
    category: str
    value: str
    label: str
    share: float | None
    min: int
    max: int
    pool: int = 0
    drawn: int = 0
    panel: int = 0
    pool_share: float = 0.0
    panel_share: float = 0.0
    # Before the seed: how many panel members the lottery gives this value on average.
    expected: float | None = None
    expected_share: float = 0.0

    @property
    def ok(self) -> bool:
        return self.expected is not None or self.min <= self.panel <= self.max


@dataclass
class CategoryRow:
    category: str
    question: str
    values: list[ValueRow]


def composition(run: DrawRun, locale: str, panel: Iterable[str] = ()) -> list[CategoryRow]:
    """Per category value: population share, pool, drawn panel and current panel.

    ``panel``: the references on the panel now (the drawn panel when empty).
    """
    values = engine.people_values(run)
    info = {(t["category"], t["value"]): t for t in targets(run)}
    drawn: list[str] = []
    if run.final_report_json:
        drawn = list(json.loads(run.final_report_json).get("selected") or [])
    current = list(panel) or drawn
    # No panel yet: show what the lottery gives on average instead of an empty panel.
    chances = (
        person_probabilities(json.loads(run.report_json)["distribution"])
        if not current and run.report_json
        else None
    )
    categories: dict[str, CategoryRow] = {}
    for category, value, low, high in engine.run_quotas(run):
        target = info.get((category, value), {})
        question = (target.get("question_en") if locale == "en" else "") or target.get(
            "question", category
        )
        label = (target.get("label_en") if locale == "en" else "") or target.get("label", value)
        row = categories.setdefault(category, CategoryRow(category, question or category, []))
        row.values.append(ValueRow(category, value, label or value, target.get("share"), low, high))
    for category_row in categories.values():
        by_value = {sortition.normalize(v.value): v for v in category_row.values}
        for person in values.values():
            cell = by_value.get(sortition.normalize(person.get(category_row.category, "")))
            if cell is not None:
                cell.pool += 1
        for group, attribute in ((drawn, "drawn"), (current, "panel")):
            for reference in group:
                person = values.get(reference, {})
                cell = by_value.get(sortition.normalize(person.get(category_row.category, "")))
                if cell is not None:
                    setattr(cell, attribute, getattr(cell, attribute) + 1)
        if chances is not None:
            for cell in category_row.values:
                cell.expected = 0.0
            for reference, chance in chances.items():
                person = values.get(reference, {})
                cell = by_value.get(sortition.normalize(person.get(category_row.category, "")))
                if cell is not None and cell.expected is not None:
                    cell.expected += chance
        pool_total = sum(v.pool for v in category_row.values) or 1
        panel_total = sum(v.panel for v in category_row.values) or 1
        for cell in category_row.values:
            cell.pool_share = cell.pool / pool_total
            cell.panel_share = cell.panel / panel_total
            if cell.expected is not None:
                cell.expected_share = cell.expected / (run.panel_size or 1)
    return list(categories.values())
