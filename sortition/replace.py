"""Replacing panel members who drop out while every quota keeps holding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .draw import DrawResult
from .model import Instance
from .result import SelectionResult


@dataclass(frozen=True, eq=False)
class ReplacementResult:
    """Replacements (ids, in draw order) for the members who dropped out."""

    replacements: tuple[str, ...]
    selection: SelectionResult
    draw: DrawResult


def replace(
    instance: Instance,
    *,
    panel: Sequence[int],
    dropped: Sequence[int],
    confirmed: Sequence[int] = (),
    seed: str,
    algorithm: str = "leximin",
) -> ReplacementResult:
    """Choose replacements for ``dropped`` members of ``panel`` (person indices)."""
    raise NotImplementedError
