"""Summaries of a selection and the ``report.json`` that lets anyone re-run the draw.

The report holds everything :func:`sortition.draw.draw_from_description` needs (the
distribution in terms of ids, the seed, the number of reserves) plus SHA-256 hashes of
the inputs, so that an observer can check that the published distribution belongs to the
published files (``python -m sortition verify``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .draw import DRAW_VERSION, DrawResult
from .model import Instance
from .result import SelectionResult

REPORT_FORMAT = "burgerberaad-sortition-report"
REPORT_VERSION = 1


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Gini coefficient: mean absolute difference over all ordered pairs / (2 · mean).

    0 when all values are equal; ``(n - 1) / n`` when one value holds everything.
    Returns 0 for an empty vector or one that is all zeros.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).reshape(-1))
    n = len(x)
    if n == 0:
        return 0.0
    mean = float(x.mean())
    if mean <= 0.0:
        return 0.0
    # With x sorted, sum_{i,j} |x_i - x_j| = 2 * sum_i (2i - n + 1) x_i (i from 0), which
    # avoids the n^2 pairwise matrix on pools of thousands.
    pair_sum = 2.0 * float(np.dot(2.0 * np.arange(n) - n + 1.0, x))
    return pair_sum / (n * n) / (2.0 * mean)


def summary(result: SelectionResult) -> dict[str, Any]:
    """Key figures of a selection, JSON-ready.

    Returns
    -------
    dict with ``min``, ``mean``, ``max`` (selection probabilities), ``gini`` (of the
    per-person probabilities, see :func:`gini`), ``n_people``, ``n_panels``,
    ``algorithm``, ``status``, ``message``, ``estimated``, ``bound``, ``solve_time``,
    ``iterations``.
    """
    p = np.asarray(result.probabilities, dtype=np.float64)
    return {
        "algorithm": result.algorithm,
        "status": int(result.status),
        "message": result.message,
        "n_people": int(len(p)),
        "min": float(p.min()) if len(p) else 0.0,
        "mean": float(p.mean()) if len(p) else 0.0,
        "max": float(p.max()) if len(p) else 0.0,
        "gini": gini(p),
        "n_panels": int(result.distribution.n_panels),
        "estimated": bool(result.estimated),
        "bound": None if result.bound is None else float(result.bound),
        "solve_time": float(result.solve_time),
        "iterations": int(result.iterations),
    }


def quota_table(instance: Instance, selected_indices: Sequence[int]) -> list[dict[str, Any]]:
    """Per quota row: category, value, min, max, how many in the pool and in the panel.

    ``ok`` says whether the panel count lies within [min, max]. Rows are in quota row
    order (category by category, as in the categories file).
    """
    incidence = instance.incidence.astype(np.int64)
    pool_counts = incidence.sum(axis=1)
    chosen = np.zeros(instance.pool.size, dtype=np.int64)
    chosen[np.asarray(list(selected_indices), dtype=np.int64)] = 1
    selected_counts = incidence @ chosen
    rows = []
    for r, quota in enumerate(instance.quotas.ordered):
        selected = int(selected_counts[r])
        rows.append(
            {
                "category": quota.category,
                "value": quota.value,
                "min": int(quota.min),
                "max": int(quota.max),
                "pool": int(pool_counts[r]),
                "selected": selected,
                "ok": quota.min <= selected <= quota.max,
            }
        )
    return rows


def _sha256(item: str | Path | bytes) -> str:
    data = item if isinstance(item, bytes) else Path(item).read_bytes()
    return hashlib.sha256(data).hexdigest()


def fingerprint(*items: str | Path | bytes) -> str:
    """SHA-256 fingerprint (hex) of one or more inputs.

    Each item is a path (its file's bytes are hashed, exactly as stored: byte-order
    mark, line endings and all) or the bytes themselves. For one item the fingerprint
    is the plain SHA-256 of its bytes, so it equals what ``sha256sum FILE`` prints. For
    several it is the SHA-256 of their individual hex digests joined by newlines, which
    keeps file boundaries unambiguous.
    """
    if not items:
        raise ValueError("fingerprint needs at least one input")
    digests = [_sha256(item) for item in items]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


def canonical_json(value: Any) -> bytes:
    """The bytes hashed for JSON settings: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def build_report(
    instance: Instance,
    result: SelectionResult,
    *,
    people: str | Path | bytes,
    categories: str | Path | bytes,
    settings: Mapping[str, Any],
    draw: DrawResult | None = None,
    seed: str | None = None,
    n_reserves: int = 0,
    file_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The content of ``report.json``.

    Parameters
    ----------
    instance, result : what was solved and the distribution found.
    people, categories : the input files (paths or their bytes), for the fingerprints.
    settings : the options that shaped the result (panel size, algorithm, id and
        address columns, ...); hashed as :func:`canonical_json`.
    draw : the panel drawn with ``seed``, when a seed was given.
    n_reserves : how many reserves the draw listed.
    file_names : names to record for ``"people"`` and ``"categories"``.

    Returns
    -------
    A JSON-ready dict. ``inputs`` has the SHA-256 of each input and a combined
    ``fingerprint`` (see :func:`fingerprint`); ``distribution`` is
    ``Distribution.to_dict`` with the pool's ids, which ``verify`` replays with the seed.
    """
    quotas = instance.quotas
    names = dict(file_names or {})
    for key, item in (("people", people), ("categories", categories)):
        if key not in names and not isinstance(item, bytes):
            names[key] = Path(item).name
    settings_bytes = canonical_json(dict(settings))
    inputs = {
        "people": {"file": names.get("people"), "sha256": fingerprint(people)},
        "categories": {"file": names.get("categories"), "sha256": fingerprint(categories)},
        "settings": {"sha256": fingerprint(settings_bytes)},
        "fingerprint": fingerprint(people, categories, settings_bytes),
    }
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "draw_version": DRAW_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "settings": dict(settings),
        "algorithm": result.algorithm,
        "panel_size": int(instance.panel_size),
        "pool_size": int(instance.pool.size),
        "seed": seed,
        "n_reserves": int(n_reserves),
        "summary": summary(result),
        "distribution": result.distribution.to_dict(
            instance.pool.ids, quotas.categories, quotas.values
        ),
    }
    if draw is not None:
        index = {person: i for i, person in enumerate(instance.pool.ids)}
        report["draw"] = {"number": float(draw.number), "panel_index": int(draw.panel_index)}
        report["selected"] = list(draw.selected)
        report["reserves"] = list(draw.reserves)
        report["quota_table"] = quota_table(instance, [index[p] for p in draw.selected])
    return report


__all__ = [
    "REPORT_FORMAT",
    "REPORT_VERSION",
    "build_report",
    "canonical_json",
    "fingerprint",
    "gini",
    "quota_table",
    "summary",
]
