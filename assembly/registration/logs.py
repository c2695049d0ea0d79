"""Keep registration codes and personal-link tokens out of the request logs.

The letter's QR code carries the code in the query string (``?code=K7QM-R2XT-9VDA``) and
the personal link carries a token in its path; web servers write both into their access
lines. The app factory installs this filter on the loggers that write request lines.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

_CODE = re.compile(r"([?&;](?:amp;)?code=)[^&\s\"';]*", re.IGNORECASE)
_TOKEN = re.compile(r"(/(?:aanmelding|uitnodiging)/)[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    return _TOKEN.sub(r"\1" + REDACTED, _CODE.sub(r"\1" + REDACTED, text))


class RedactCodes(logging.Filter):
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
        if not any(isinstance(f, RedactCodes) for f in logger.filters):
            logger.addFilter(RedactCodes())
