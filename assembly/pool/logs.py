"""Keep what organisers search for out of the request logs.

The pool's search is a GET form (so result pages can be linked and paged), which puts the
name, e-mail address or phone number someone typed in the query string; web servers
write that into their access lines. This filter blanks the ``q`` parameter there.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

_SEARCH = re.compile(r"([?&;](?:amp;)?q=)[^&\s\"';]*")


def redact(text: str) -> str:
    return _SEARCH.sub(r"\1" + REDACTED, text)


class RedactSearch(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken record is the logging module's to report
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def install(*extra: str) -> None:
    """Add the filter to the request loggers (and ``extra`` ones) once."""
    for name in (*LOGGERS, *extra):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSearch) for f in logger.filters):
            logger.addFilter(RedactSearch())
