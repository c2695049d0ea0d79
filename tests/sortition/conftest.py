"""Fixtures of the sortition tests; the helpers themselves live in ``sortition_helpers``."""

from __future__ import annotations

import pytest
from sortition_helpers import fake_check, fake_find_distribution

import sortition.cli


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the solvers used by the CLI with the brute-force fakes."""
    monkeypatch.setattr(sortition.cli, "find_distribution", fake_find_distribution)
    monkeypatch.setattr(sortition.cli, "check", fake_check)
