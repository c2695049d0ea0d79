"""Stands in for the panel draw's ``final_panel`` in the privacy tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

PANEL: dict[str, Any] = {}


def final_panel(_session: Any, assembly: Any) -> tuple[datetime, list[int]] | None:
    return PANEL.get(assembly.slug)
