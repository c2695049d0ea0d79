"""Errors that services raise for a person to act on, each carrying its own message.

A service raises a subclass of :class:`ServiceError`; the view (through
:func:`assembly.actions.act`) rolls back, shows ``error.text()`` in the reader's language
and never needs to know which error it was. The message is a lazy translatable string
with ``%(name)s`` placeholders filled from the keyword arguments given when raising::

    class PoolTooSmall(DrawError):
        message = _l("Only %(pool)s people can be drawn, fewer than the %(panel)s seats.")

    raise PoolTooSmall(pool=12, panel=20)
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class ServiceError(Exception):
    """A rule of the domain refused an action; ``text()`` says why, translated.

    Class attributes
    ----------------
    message : the translatable template (``%(name)s`` placeholders).
    status : the HTTP status a view answers with when it shows the error on a page
        instead of redirecting (400 unless the error says otherwise).
    field : the form field the message belongs beside, if any.
    category : how the message is flashed ("info" for a refusal that is no mistake, such
        as nothing left to do).
    """

    message: ClassVar[LazyString | str] = _l("This could not be done.")
    status: ClassVar[int] = 400
    field: ClassVar[str | None] = None
    category: ClassVar[str] = "error"

    def __init__(self, message: LazyString | str | None = None, /, **params: Any) -> None:
        self.params = params
        self._message = message
        super().__init__(type(self).__name__, params)

    def text(self) -> str:
        """The message in the current language, with its parameters filled in."""
        template = str(self._message if self._message is not None else self.message)
        return template % self.params if self.params else template
