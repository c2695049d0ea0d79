"""The quota editor: population shares, tolerances and the bounds that follow from them,
and population figures imported from a CSV file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from sqlmodel import Session

from .. import audit
from ..audit import Actor
from ..errors import ServiceError
from ..models import Assembly, CategoryOption
from ..questionnaire.questions import load_questions
from ..questionnaire.shares import ShareInvalid, check_category_total, parse_share
from ..tabular import RowError, Table, TableRow, TableUnreadable
from . import engine
from .errors import DrawError, InvalidQuotas, MaxAbovePanel, MinAboveMax, SharesRejected

SHARE_COLUMNS = {
    "category": ("category", "categorie", "feature", "kenmerk"),
    "value": ("value", "waarde"),
    "share": ("share", "aandeel", "population_share", "percentage"),
}
# At most this many row errors are kept: enough to correct a file.
MAX_ROW_ERRORS = 100


@dataclass(frozen=True)
class QuotaInput:
    share: float | None
    tolerance: float
    min: int
    max: int


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


def save_quotas(
    session: Session, actor: Actor, assembly: Assembly, submitted: Mapping[int, QuotaInput]
) -> int:
    """Store shares, tolerances and bounds; returns how many values changed.

    Min and max follow the share and tolerance (panel size × share ± tolerance, rounded
    outward) unless the organiser typed other numbers; typing the computed number again
    makes it follow once more. Raises :class:`InvalidQuotas` (nothing changes).
    """
    lines = {line.option_id: line for line in engine.quota_lines(session, assembly)}
    problems: dict[int, DrawError] = {}
    changes = []
    planned: list[tuple[CategoryOption, float | None, float, int | None, int | None]] = []
    for option_id, new in submitted.items():
        line = lines.get(option_id)
        option = session.get(CategoryOption, option_id) if line is not None else None
        if line is None or option is None:
            continue
        share = None if line.prefer_not else new.share
        target_changed = not _same(share, line.share) or not _same(new.tolerance, line.tolerance)
        low, high = engine.computed_bounds(share, new.tolerance, assembly.panel_size)
        quota_min, quota_max = option.quota_min, option.quota_max
        if new.min != line.min:
            quota_min = None if new.min == low else new.min
        elif target_changed:
            quota_min = None
        if new.max != line.max:
            quota_max = None if new.max == high else new.max
        elif target_changed:
            quota_max = None
        effective_min = low if quota_min is None else quota_min
        effective_max = high if quota_max is None else quota_max
        if effective_max > assembly.panel_size:
            problems[option_id] = MaxAbovePanel()
        elif effective_min > effective_max:
            problems[option_id] = MinAboveMax()
        if not target_changed and (quota_min, quota_max) == (option.quota_min, option.quota_max):
            continue
        planned.append((option, share, new.tolerance, quota_min, quota_max))
        changes.append(
            {
                "category": line.category,
                "value": line.value,
                "share": share,
                "tolerance": new.tolerance,
                "min": effective_min,
                "max": effective_max,
            }
        )
    if problems:
        raise InvalidQuotas(problems)
    for option, share, tolerance, quota_min, quota_max in planned:
        if not option.prefer_not:
            option.population_share = share
        option.tolerance = tolerance
        option.quota_min = quota_min
        option.quota_max = quota_max
        session.add(option)
    if changes:
        audit.record(session, actor, "draw.quotas", assembly, {"changes": changes[:60]})
    return len(changes)


# --- population figures from a file -----------------------------------------------------------


@dataclass
class _Update:
    option: CategoryOption
    share: float | None
    row: TableRow


def import_shares(session: Session, actor: Actor, assembly: Assembly, stream: IO[bytes]) -> int:
    """Set population shares from a CSV ``category,value,share``; returns how many changed.

    Every row is checked first; with any error nothing changes (:class:`SharesRejected`).
    A value may occur once, and a category's shares (those in the file with the others
    it already has) must be percentages of one population.
    """
    updates, errors, explained = _read_shares(session, assembly, stream)
    if errors:
        raise SharesRejected(errors[:MAX_ROW_ERRORS], explained)
    changed = 0
    for update in updates.values():
        option = update.option
        if _same(option.population_share, update.share):
            continue
        option.population_share = update.share
        # The bounds follow the new share.
        option.quota_min = None
        option.quota_max = None
        session.add(option)
        changed += 1
    audit.record(
        session, actor, "draw.shares_import", assembly, {"rows": len(updates), "changed": changed}
    )
    return changed


def _read_shares(
    session: Session, assembly: Assembly, stream: IO[bytes]
) -> tuple[dict[int, _Update], list[RowError], dict[RowError, ServiceError]]:
    """The file's shares per option, or what is wrong with it (row by row)."""
    errors: list[RowError] = []
    explained: dict[RowError, ServiceError] = {}
    updates: dict[int, _Update] = {}
    try:
        table = Table(stream, columns=SHARE_COLUMNS, required=list(SHARE_COLUMNS))
    except TableUnreadable as error:
        if error.error.reason != "empty":
            return updates, [error.error], explained
        # An empty file lacks every column.
        return updates, [RowError(1, name, "missing_column") for name in SHARE_COLUMNS], explained
    if table.missing:
        return updates, [RowError(1, name, "missing_column") for name in table.missing], explained
    questions = load_questions(session, assembly)
    options = {
        (engine.normalize(q.category), engine.normalize(o.value)): o
        for q, opts in questions
        for o in opts
    }
    try:
        for row in table.rows():
            if not row.complete:
                errors.append(row.error("", "columns"))
                continue
            option = options.get(
                (engine.normalize(row.get("category")), engine.normalize(row.get("value")))
            )
            if option is None:
                errors.append(row.error("value", "unknown_value"))
                continue
            try:
                share = parse_share(row.get("share"))
            except ShareInvalid as error:
                explained[row.error("share", "share")] = error
                errors.append(row.error("share", "share"))
                continue
            if option.prefer_not:
                errors.append(row.error("value", "prefer_not"))
                continue
            assert option.id is not None
            if option.id in updates:
                errors.append(row.error("value", "duplicate"))
                continue
            updates[option.id] = _Update(option, share, row)
    except TableUnreadable as error:
        errors.append(error.error)
    for question, opts in questions:
        in_file = [updates[o.id] for o in opts if o.id in updates]
        if not in_file:
            continue
        shares = [
            updates[o.id].share if o.id in updates else o.population_share
            for o in opts
            if not o.prefer_not
        ]
        try:
            check_category_total(question.category, shares)
        except ServiceError as error:
            where = max(in_file, key=lambda u: u.row.number).row.error("share", "total")
            explained[where] = error
            errors.append(where)
    errors.sort(key=lambda e: e.row)
    return updates, errors, explained

