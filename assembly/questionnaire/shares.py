"""Population shares, as organisers type them: always a percentage.

``12``, ``12%``, ``12,5`` and ``12.5 %`` all mean a percentage of the population; the
database stores the fraction (0.12). One meaning everywhere: the questions page, the quota
editor and the shares CSV. A share below 1 is a small percentage (``0,5`` is half a
percent), so a category whose shares add up to at most 1% was almost certainly typed as
fractions, and :func:`check_category_total` says so.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ..errors import ServiceError

# Rounding in published statistics: shares that add up to 100 ± this are fine.
TOTAL_SLACK_PERCENT = 1.0


class ShareInvalid(ServiceError):
    message = _l("Not a percentage: write a number from 0 to 100, such as 12, 12,5 or 12%.")


class SharesLookLikeFractions(ServiceError):
    message = _l(
        "The shares of “%(category)s” add up to %(total)s%%. Write percentages (12 for 12%%), "
        "not fractions (0,12)."
    )


class SharesAboveHundred(ServiceError):
    message = _l("The shares of “%(category)s” add up to %(total)s%%, more than 100%%.")


def parse_share(text: str) -> float | None:
    """The fraction for a typed percentage; None when empty.

    Raises
    ------
    ShareInvalid : not a number, or outside 0–100.
    """
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    cleaned = cleaned.removesuffix("%").replace(",", ".")
    try:
        percent = float(cleaned)
    except ValueError:
        raise ShareInvalid() from None
    if not 0 <= percent <= 100:  # also refuses nan
        raise ShareInvalid()
    return percent / 100


def format_share(share: float | None) -> str:
    """A stored share as the organiser types it: a percentage in their notation."""
    if share is None:
        return ""
    return str(format_decimal(round(share * 100, 6), format="0.######"))


def check_category_total(category: str, shares: Iterable[float | None]) -> None:
    """Refuse a category's shares that cannot be percentages of one population.

    Raises
    ------
    SharesLookLikeFractions : several shares that add up to at most 1% (typed as fractions).
    SharesAboveHundred : shares that add up to more than 100% (beyond rounding).
    """
    given = [share for share in shares if share is not None]
    total = sum(given) * 100
    if len(given) > 1 and 0 < total <= 1:
        raise SharesLookLikeFractions(category=category, total=_shown(total))
    if total > 100 + TOTAL_SLACK_PERCENT:
        raise SharesAboveHundred(category=category, total=_shown(total))


def _shown(percent: float) -> str:
    return str(format_decimal(round(percent, 2), format="0.##"))
