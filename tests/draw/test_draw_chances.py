"""#11.4: nobody who can be drawn silently gets a zero chance. The check names the group and
the count; publishing such a lottery needs an explicit yes; the public page says it plainly.
#12.11: the public page states how identifiable people are in the published people file."""

from __future__ import annotations

from html import unescape

from sqlmodel import select

from assembly.db import get_session
from assembly.draw import runs
from assembly.models import CategoryOption, CategoryQuestion

from .conftest import compute
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"
PUBLIC = "/a/beraad-a/loting"


def _no_room_for_prefer_not(app) -> int:
    """Women and men minimums add up to the panel: 'onbekend' can never be drawn."""
    with app.app_context():
        session = get_session()
        question = session.exec(
            select(CategoryQuestion).where(CategoryQuestion.category == "geslacht")
        ).one()
        for option in session.exec(
            select(CategoryOption).where(CategoryOption.question_id == question.id)
        ):
            if not option.prefer_not:
                option.quota_min, option.quota_max = 4, 4
                session.add(option)
        session.commit()
        from assembly.pool.eligibility import eligible_pool

        pool = eligible_pool(session, assembly())
        unknown = session.exec(
            select(CategoryOption).where(CategoryOption.value == "onbekend")
        ).one()
        return sum(1 for person in pool.people if unknown.id in person.option_ids)


def test_the_check_names_who_can_never_be_drawn(organiser, app, pool) -> None:
    count = _no_room_for_prefer_not(app)
    assert count
    page = unescape(organiser.get(PAGE + "controle").text)
    assert f"iedereen met geslacht: Onbekend: {count}" in page


def test_publishing_a_lottery_with_zero_chances_needs_an_explicit_yes(
    client, organiser, app, pool
) -> None:
    count = _no_room_for_prefer_not(app)
    compute(app)
    page = unescape(organiser.get(PAGE).text)
    assert f"helemaal geen kans hebben: {count}" in page
    data = {"seed_method": "Live op 12 maart.", "confirm": "y"}
    refused = organiser.post(PAGE + "publiceren", data=data, follow_redirects=True)
    assert "vink aan dat u haar toch publiceert" in unescape(refused.text) or (
        "tick that you publish it anyway" in unescape(refused.text)
    )
    with app.app_context():
        assert runs.published_run(get_session(), assembly()) is None
    organiser.post(PAGE + "publiceren", data={**data, "accept_zero_chance": "y"})
    with app.app_context():
        assert runs.published_run(get_session(), assembly()) is not None
    public = unescape(client.get(PUBLIC).text)
    assert f"helemaal geen kans hadden om geloot te worden: {count}" in public
    assert f"iedereen met geslacht: Onbekend: {count}" in public
    assert "De organisatie heeft de loterij gepubliceerd terwijl ze dit wist" in public


def test_the_public_page_states_the_measured_k_anonymity(client, app, pool) -> None:
    from .conftest import draw

    draw(app)
    public = unescape(client.get(PUBLIC).text)
    assert "k-anonimiteit" in public
    assert "geslacht, leeftijd, regio" in public
