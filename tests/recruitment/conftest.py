"""Recruitment tests keep uploads waiting for the import job in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture
def import_folder(tmp_path: Path) -> Path:
    return tmp_path / "imports"


@pytest.fixture
def app(make_app: Callable[..., Flask], import_folder: Path) -> Flask:
    return make_app(IMPORT_FOLDER=str(import_folder))
