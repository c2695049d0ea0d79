"""Summary figures, the quota table, fingerprints and report.json."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from sortition_helpers import fake_find_distribution, make_instance, write

from sortition.draw import DRAW_VERSION, draw_from_description
from sortition.report import build_report, fingerprint, gini, quota_table, summary


def brute_gini(x: list[float]) -> float:
    pairs = sum(abs(a - b) for a, b in itertools.product(x, x))
    return pairs / len(x) ** 2 / (2 * (sum(x) / len(x)))


@pytest.mark.parametrize("values", [[0.2] * 5, [1.0], [0.37] * 100])
def test_gini_of_equal_values_is_zero(values: list[float]) -> None:
    assert gini(values) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0.0, 1.0], 0.5), ([0.0, 0.0, 0.0, 1.0], 0.75), ([1.0, 2.0, 3.0], 2 / 9)],
)
def test_gini_known_values(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)
    assert gini(values[::-1]) == pytest.approx(expected)


def test_gini_matches_definition() -> None:
    x = np.random.default_rng(7).random(37).tolist()
    assert gini(x) == pytest.approx(brute_gini(x))


def test_gini_degenerate() -> None:
    assert gini([]) == 0.0
    assert gini([0.0, 0.0]) == 0.0


PEOPLE = [
    {"id": "a", "g": "f", "h": "1"},
    {"id": "b", "g": "f", "h": "1"},
    {"id": "c", "g": "m", "h": "2"},
    {"id": "d", "g": "m", "h": "3"},
    {"id": "e", "g": "f", "h": "4"},
]
QUOTAS = [("g", "f", 1, 1), ("g", "m", 1, 2)]


def test_quota_table() -> None:
    instance = make_instance(PEOPLE, QUOTAS, 2)
    table = quota_table(instance, [0, 1])
    assert table == [
        {"category": "g", "value": "f", "min": 1, "max": 1, "pool": 3, "selected": 2, "ok": False},
        {"category": "g", "value": "m", "min": 1, "max": 2, "pool": 2, "selected": 0, "ok": False},
    ]
    assert [row["ok"] for row in quota_table(instance, [0, 3])] == [True, True]


def test_summary() -> None:
    instance = make_instance(PEOPLE, QUOTAS, 2, household="h")
    result = fake_find_distribution(instance)
    figures = summary(result)
    p = result.probabilities
    assert figures["min"] == pytest.approx(p.min())
    assert figures["mean"] == pytest.approx(2 / 5)
    assert figures["max"] == pytest.approx(p.max())
    assert figures["gini"] == pytest.approx(brute_gini(p.tolist()))
    assert figures["n_panels"] == result.distribution.n_panels
    assert figures["algorithm"] == "leximin"
    assert figures["estimated"] is False and figures["bound"] is None
    json.dumps(figures)


def test_fingerprint(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", b"\xef\xbb\xbfid\r\n1\r\n")
    assert fingerprint(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert fingerprint(str(path)) == fingerprint(path.read_bytes())
    assert fingerprint(b"a", b"b") != fingerprint(b"b", b"a")
    assert fingerprint(b"ab", b"") != fingerprint(b"a", b"b")
    with pytest.raises(ValueError):
        fingerprint()


def test_build_report_replays(tmp_path: Path) -> None:
    instance = make_instance(PEOPLE, QUOTAS, 2, household="h")
    result = fake_find_distribution(instance)
    q = instance.quotas
    description = result.distribution.to_dict(instance.pool.ids, q.categories, q.values)
    drawn = draw_from_description(description, "seed-1", n_reserves=1)
    people = write(tmp_path / "people.csv", "id,g,h\n")
    report = build_report(
        instance,
        result,
        people=people,
        categories=b"feature,value,min,max\n",
        settings={"panel_size": 2},
        draw=drawn,
        seed="seed-1",
        n_reserves=1,
    )
    report = json.loads(json.dumps(report))
    assert report["draw_version"] == DRAW_VERSION
    assert report["inputs"]["people"] == {
        "file": "people.csv",
        "sha256": hashlib.sha256(b"id,g,h\n").hexdigest(),
    }
    assert report["seed"] == "seed-1" and report["panel_size"] == 2
    assert report["distribution"]["groups"][0]["features"].keys() == {"g"}
    assert all(row["ok"] for row in report["quota_table"])
    again = draw_from_description(report["distribution"], "seed-1", n_reserves=1)
    assert list(again.selected) == report["selected"]
    assert list(again.reserves) == report["reserves"]
