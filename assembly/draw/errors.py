"""What the panel draw refuses, each error with the message the organiser (or the invited
person) reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import ServiceError
from ..tabular import RowError


class DrawError(ServiceError):
    """A rule of the panel draw refused an action."""


# --- the inputs of a lottery ------------------------------------------------------------------


class NoCategories(DrawError):
    """The assembly has no category questions, so there is nothing to draw on."""

    message = _l("There are no category questions to draw on yet.")


class PoolTooSmall(DrawError):
    """Fewer eligible registrants (``pool``) than seats on the panel (``panel``)."""

    message = _l("Only %(pool)s people can be drawn, fewer than the %(panel)s seats.")


class BadInputs(DrawError):
    """The engine rejected the inputs (``message``: its ``InputError``)."""

    message = _l("The quotas cannot be used: %(message)s")


# --- quotas -----------------------------------------------------------------------------------


class MinAboveMax(DrawError):
    message = _l("The minimum is above the maximum.")


class MaxAbovePanel(DrawError):
    message = _l("The maximum is above the panel size.")


class InvalidQuotas(DrawError):
    """Some bounds cannot be saved; ``problems``: option id -> what is wrong with it."""

    message = _l("Some values are not right; see the marked fields.")

    def __init__(self, problems: Mapping[int, DrawError]) -> None:
        super().__init__()
        self.problems = dict(problems)


class SharesRejected(DrawError):
    """The population figures file has errors, so nothing was imported.

    ``errors``: where (row, column, reason code); ``explained``: the errors that word
    themselves (a category whose shares cannot be percentages of one population).
    """

    message = _l("Nothing was imported; correct these rows and try again:")
    row_message = _l("Row %(row)s, column “%(column)s”: %(reason)s")
    reasons: ClassVar[dict[str, LazyString]] = {
        "missing_column": _l("This required column is missing."),
        "columns": _l("The row has fewer columns than the header."),
        "unknown_value": _l("This category and value are not among the questions."),
        "duplicate": _l("This value occurs twice."),
        "prefer_not": _l("“Prefer not to say” has no population share."),
    }
    # Any reason the file cannot be read (``TableUnreadable``: encoding, too_long, ...).
    unreadable = _l("The file cannot be read: save it as CSV in UTF-8.")
    # How many rows the page lists.
    shown = 20

    def __init__(
        self, errors: Sequence[RowError], explained: Mapping[RowError, ServiceError] | None = None
    ) -> None:
        super().__init__()
        self.errors = list(errors)
        self.explained = dict(explained or {})

    def rows(self) -> list[str]:
        """One line per row in error (the first :attr:`shown`), in the reader's language."""
        return [
            str(self.row_message)
            % {"row": error.row, "column": error.column, "reason": self._reason(error)}
            for error in self.errors[: self.shown]
        ]

    def _reason(self, error: RowError) -> str:
        explained = self.explained.get(error)
        if explained is not None:
            return explained.text()
        return str(self.reasons.get(error.reason, self.unreadable))


# --- the feasibility check --------------------------------------------------------------------


class QuotasChanged(DrawError):
    """The quotas changed since the suggestion was made; check again."""

    message = _l("The quotas changed since the check. Check again.")


# --- the lottery's computation ----------------------------------------------------------------


class DrawInProgress(DrawError):
    """A lottery is being computed for this assembly; one at a time."""

    message = _l("A lottery is already being computed for this assembly.")


class DrawPublished(DrawError):
    """A lottery was published; its seed ceremony must not be undermined by a new one."""

    message = _l("The lottery has been published; it cannot be computed again.")


class NoRun(DrawError):
    """No lottery is being computed, so there is nothing to stop."""

    message = _l("No lottery is being computed.")


class NotRestartable(DrawError):
    """There is no run, or it is alive (its heartbeat is recent) or finished."""

    message = _l("This lottery is still running or has finished; it cannot be restarted.")


# --- the public seed ceremony -----------------------------------------------------------------


class NotDone(DrawError):
    """The lottery has not been computed (yet), so it cannot be published."""

    message = _l("Compute the lottery first.")


class ZeroChanceNotAccepted(DrawError):
    """Someone who can be drawn would have no chance; publishing needs an explicit yes."""

    message = _l(
        "%(count)s people who can be drawn would have no chance at all with this lottery. "
        "Widen the quotas and compute it again, or tick that you publish it anyway."
    )


class AlreadyPublished(DrawError):
    message = _l("The lottery has already been published.")


class NotPublished(DrawError):
    message = _l("Publish the lottery and how the seed will be chosen first.")


class AlreadySeeded(DrawError):
    message = _l("The seed has already been entered.")


class NotSeeded(DrawError):
    """There is no drawn panel (yet) to act on."""

    message = _l("Draw the panel first.")


class NothingToSign(NotSeeded):
    message = _l("There is no drawn panel to sign yet.")


class AlreadySigned(DrawError):
    message = _l("You have already signed this result.")


# --- invitations and answers ------------------------------------------------------------------


class NothingToInvite(DrawError):
    message = _l("Everyone on the panel has been invited already.")
    category = "info"


class NoSuchMember(DrawError):
    """The seat is not on this assembly's panel (a form that was not ours)."""

    status = 404


class AnswerNotAllowed(DrawError):
    """The seat's status does not allow this answer (already answered, or replaced)."""

    message = _l("This answer is not possible for this seat any more.")


class ResponseNotAllowed(AnswerNotAllowed):
    """The same, said to the invited person on their personal page."""

    message = _l("This answer is not possible any more.")


class DeadlinePassed(DrawError):
    message = _l("The deadline has passed. Please contact the organisers.")


class DeadlineNotPassed(DrawError):
    """An organiser records "no answer" only once the deadline has passed."""

    message = _l("“No answer” can only be recorded after the deadline.")


# --- replacements -----------------------------------------------------------------------------


class NothingToReplace(DrawError):
    message = _l("There are no open seats to fill.")
    category = "info"


class ReplacementImpossible(DrawError):
    """No replacement keeps every quota for ``seats`` open seats.

    ``diagnosis``: the engine's diagnosis (:func:`engine.diagnosis_to_dict`), if any; the
    message names the quotas its relaxations would change.
    """

    message = _l(
        "No replacement keeps every quota for %(count)s seats. Relax the quotas with "
        "the feasibility check, or leave the seats open."
    )
    blocked = _l(
        "No replacement keeps every quota for %(count)s seats: too few people who can "
        "still be drawn fit %(quotas)s next to the members who stay. Change that quota "
        "in the quota editor, or leave the seats open."
    )

    def __init__(self, diagnosis: dict[str, Any] | None = None, *, seats: int = 0) -> None:
        super().__init__(count=seats)
        self.diagnosis = diagnosis or {}

    def text(self) -> str:
        blocking = [
            f"{r['category']} {r['value']} ("
            + (_("minimum") if r["bound"] == "min" else _("maximum"))
            + ")"
            for r in self.diagnosis.get("relaxations") or []
        ]
        if not blocking:
            return super().text()
        return str(self.blocked) % {"count": self.params["count"], "quotas": ", ".join(blocking)}


class StateChanged(DrawError):
    """The panel changed while replacements were being computed; try again."""

    message = _l("The panel changed meanwhile; try again.")
