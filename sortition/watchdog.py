"""A time limit that holds for the whole command, whatever the solver does.

The solvers check their own deadline only between steps (the decomposition checks it,
the LP relaxation before it does not), and reading a large people file and grouping it
count too: on 100,000 people ``--time-limit 60`` took 202 s. So the command gives the
solver what is left of the limit, less a margin for writing the files, and runs it in a
child process that is stopped when the limit is reached: the command then ends with a
clear message instead of running on.

Where ``fork`` is not available (Windows) the solver runs in the process itself, with
only its own deadline.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .errors import InfeasibleError, InputError, SolverError, SortitionError

#: The share of the time left that the solver may use; the rest is for the report.
SOLVER_SHARE = 0.85

_ERRORS: dict[str, type[SortitionError]] = {
    cls.__name__: cls for cls in (InputError, InfeasibleError, SolverError, SortitionError)
}


class TimeLimitReached(Exception):
    """The solver was stopped at the limit; nothing was computed."""

    def __init__(self, limit: float) -> None:
        super().__init__(limit)
        self.limit = limit


def solver_budget(limit: float, started: float, now: float | None = None) -> float:
    """Seconds the solver may use: its share of what is left of ``limit`` since ``started``."""
    left = limit - ((time.monotonic() if now is None else now) - started)
    return max(0.05, SOLVER_SHARE * left)


def _child(connection: Connection, call: Callable[[], Any]) -> None:
    try:
        connection.send(("ok", call()))
    except SortitionError as error:
        name = type(error).__name__ if type(error).__name__ in _ERRORS else "SortitionError"
        connection.send(
            ("error", (name, error.code, error.message, error.file, error.row, error.column,
                       error.params))
        )
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        connection.send(("crash", traceback.format_exc()))
    finally:
        connection.close()


def run_until(call: Callable[[], Any], deadline: float, limit: float) -> Any:
    """``call()``, stopped at ``deadline`` (``time.monotonic()``); raises :class:`TimeLimitReached`.

    Errors of the engine raised in ``call`` are raised again here, as they were.
    """
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - no fork on this platform
        return call()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, call), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise TimeLimitReached(limit)
        try:
            kind, value = receiver.recv()
        except EOFError:
            raise SolverError("solver_crashed", "the solver stopped unexpectedly") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if kind == "ok":
        return value
    if kind == "error":
        name, code, message, file, row, column, params = value
        raise _ERRORS[name](code, message, file=file, row=row, column=column, **params)
    raise SolverError("solver_crashed", f"the solver failed:\n{value}")


__all__ = ["SOLVER_SHARE", "TimeLimitReached", "run_until", "solver_budget"]
