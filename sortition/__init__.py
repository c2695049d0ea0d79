"""Fair stratified selection of citizens' assemblies (LEXIMIN on free solvers).

Pure algorithms: numpy and scipy in, result objects out; no web, no database. The same
engine runs as ``python -m sortition``.

References
----------
.. [1] B. Flanigan, P. Gölz, A. Gupta, B. Hennig, A. D. Procaccia, "Fair algorithms for
   selecting citizens' assemblies", Nature 596, 548–552 (2021).
"""

from typing import TYPE_CHECKING, Any

from .draw import DrawResult, draw_from_description, number
from .errors import InfeasibleError, InputError, SolverError, SortitionError
from .groups import Distribution, Groups, build_groups
from .model import Instance, Pool, Quota, Quotas, normalize
from .replace import ReplacementResult, replace
from .result import (
    ALGORITHMS,
    Conflict,
    Diagnosis,
    ProgressCallback,
    Relaxation,
    SelectionResult,
)
from .select import draw, find_distribution

if TYPE_CHECKING:
    from .feasibility import check
else:

    def __getattr__(name: str) -> Any:
        # ``check`` needs HiGHS and SciPy; importing them only when it is first used keeps
        # ``import sortition`` (and ``python -m sortition verify``) quick.
        if name == "check":
            from .feasibility import check

            return check
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ALGORITHMS",
    "Conflict",
    "Diagnosis",
    "Distribution",
    "DrawResult",
    "Groups",
    "InfeasibleError",
    "InputError",
    "Instance",
    "Pool",
    "ProgressCallback",
    "Quota",
    "Quotas",
    "Relaxation",
    "ReplacementResult",
    "SelectionResult",
    "SolverError",
    "SortitionError",
    "build_groups",
    "check",
    "draw",
    "draw_from_description",
    "find_distribution",
    "normalize",
    "number",
    "replace",
]
