"""Feasibility check and diagnosis: can the quotas be met, and if not, what to relax."""

from __future__ import annotations

from .model import Instance
from .result import Diagnosis


def check(instance: Instance, *, time_limit: float | None = None) -> Diagnosis:
    """Whether any panel meets every quota; if not, why, and the smallest relaxation.

    Also lists the people whom the quotas force into every panel or out of all.
    """
    raise NotImplementedError
