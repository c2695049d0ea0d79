"""How the stages of the journey react to each other without importing each other.

A later stage builds on an earlier one (the draw reads the registrations), never the other
way round: when an earlier stage must let a later one react, or ask it something, it sends
one of these signals, and the later stage connects a receiver (blinker, which Flask uses).
Every signal is sent with the request's or job's ``session``; receivers write in that
session and never commit.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

#: A registrant withdrew or had their data erased (sender: the ``Registration``).
#: The draw gives up the seat they held.
registration_withdrawn = _signals.signal("registration-withdrawn")

#: Asked by the privacy purge (sender: the ``Assembly``): is the panel final? A receiver
#: returns ``(final_at, registration ids whose data must be kept)`` or ``None``.
final_panel_requested = _signals.signal("final-panel-requested")


#: Asked by the registrant's personal page (sender: the ``Registration``): what became of
#: them in the panel draw? The draw returns an object with ``kind``, ``text``, ``link`` and
#: ``link_text`` (:class:`assembly.draw.outcome.Outcome`), or ``None`` before its lottery is
#: published.
registration_outcome_requested = _signals.signal("registration-outcome-requested")


def first_answer(results: list[tuple[Any, Any]]) -> Any:
    """The first receiver's answer that is not None (``Signal.send`` gives them all)."""
    return next((value for _receiver, value in results if value is not None), None)
