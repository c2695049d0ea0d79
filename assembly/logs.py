"""Keep personal data and secrets out of the request logs.

Web servers write each request line, query string included, to their access log. Three
things in our URLs must not end up there:

* the registration code a letter's QR code carries (``?code=K7QM-R2XT-9VDA``);
* the tokens of personal links (``/aanmelding/<token>``, ``/uitnodiging/<token>``);
* what organisers search for in the respondent pool (``?q=``: a name, an e-mail address
  or a phone number; the search is a GET form so that result pages can be linked).

The app factory installs one filter that blanks them on the loggers that write request
lines.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

_QUERY = re.compile(r"([?&;](?:amp;)?(?:code|q)=)[^&\s\"';]*", re.IGNORECASE)
_TOKEN = re.compile(r"(/(?:aanmelding|uitnodiging)/)[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    return _TOKEN.sub(r"\1" + REDACTED, _QUERY.sub(r"\1" + REDACTED, text))


class Redact(logging.Filter):
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
        if not any(isinstance(f, Redact) for f in logger.filters):
            logger.addFilter(Redact())
