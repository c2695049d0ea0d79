"""The feasibility check: the engine's diagnosis in plain words, and the one-click fix."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from assembly.db import get_session
from assembly.models import AuditEntry, CategoryOption, RegistrationAnswer

URL = "/beheer/a/beraad-a/loting/controle"


def _set_min(app, value: str, minimum: int) -> None:
    with app.app_context():
        session = get_session()
        option = session.exec(select(CategoryOption).where(CategoryOption.value == value)).one()
        option.quota_min = minimum
        option.quota_max = max(option.quota_max or 0, minimum)
        session.commit()


def _suggestion(page: str) -> dict[str, str]:
    fields = {}
    for name in ("changes", "state"):
        match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
        assert match, "no relaxation form on the page"
        fields[name] = html.unescape(match.group(1))
    return fields


def test_feasible_quotas(organiser, pool) -> None:
    page = organiser.get(URL).text
    assert "Ja: aan de quota kan worden voldaan" in page or "the quotas can be met" in page


def test_conflicting_minimums_are_named_with_the_smallest_fix(organiser, app, pool) -> None:
    _set_min(app, "Walcheren", 6)
    _set_min(app, "Zeeuws-Vlaanderen", 5)
    page = organiser.get(URL, headers={"Accept-Language": "en"}).text
    assert "No: no panel meets every quota." in page
    assert "regio: the minimums add up to 11, more than the panel size 8." in page
    # The smallest change moves three seats in total, on the two regions' minimums.
    changes = re.findall(
        r"<li>regio (Walcheren|Zeeuws-Vlaanderen): minimum (\d+) → (\d+)</li>", page
    )
    assert changes and sum(int(old) - int(new) for _v, old, new in changes) == 3

    response = organiser.post(URL + "/toepassen", data=_suggestion(page))
    assert response.status_code == 303
    page = organiser.get(URL, headers={"Accept-Language": "en"}).text
    assert "the quotas can be met" in page
    with app.app_context():
        entry = (
            get_session().exec(select(AuditEntry).where(AuditEntry.action == "draw.relax")).one()
        )
        assert "Walcheren" in entry.payload or "Zeeuws-Vlaanderen" in entry.payload


def test_too_few_people_with_a_value(organiser, app, pool) -> None:
    with app.app_context():
        session = get_session()
        unknown = session.exec(
            select(CategoryOption).where(CategoryOption.value == "onbekend")
        ).one()
        available = len(
            session.exec(
                select(RegistrationAnswer).where(RegistrationAnswer.option_id == unknown.id)
            ).all()
        )
    _set_min(app, "onbekend", available + 1)
    page = organiser.get(URL, headers={"Accept-Language": "en"}).text
    assert f"geslacht onbekend: the minimum is {available + 1}, but only {available} people" in page
    assert f"geslacht onbekend: minimum {available + 1} → {available}" in page


def test_a_stale_suggestion_is_not_applied(organiser, app, pool) -> None:
    _set_min(app, "Walcheren", 6)
    _set_min(app, "Zeeuws-Vlaanderen", 5)
    suggestion = _suggestion(organiser.get(URL).text)
    _set_min(app, "Walcheren", 7)
    response = organiser.post(URL + "/toepassen", data=suggestion, follow_redirects=True)
    assert "De quota zijn veranderd" in response.text or "quotas changed" in response.text
