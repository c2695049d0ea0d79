"""What organisers and residents notice on the draw's pages: the expected composition before
the seed (#11.11), names in the replacement message (#11.11), the seed's spaces (#11.11),
confirmations before what cannot be undone and what happens after declining (#11.12), and
composition tables that fit a phone (#11.13)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from sqlmodel import select

from assembly.db import get_session
from assembly.draw import ceremony, results, runs
from assembly.models import OutboxMessage, PanelMember

from .conftest import compute, draw
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"
PUBLIC = "/a/beraad-a/loting"


def _publish(app) -> None:
    compute(app)
    with app.app_context():
        session = get_session()
        ceremony.publish(session, "test", assembly(), "Live op 12 maart.")
        session.commit()


def test_before_the_seed_the_composition_shows_what_the_lottery_gives(
    client, organiser, app, pool
) -> None:
    _publish(app)
    for page in (unescape(client.get(PUBLIC).text), unescape(organiser.get(PAGE).text)):
        assert "buiten het quotum" not in page
        assert "Panel (verwacht)" in page
        # The expected members of a category add up to the panel size (8).
        table = page[re.search(r"<caption[^>]*>geslacht", page).start() :]
        table = table[: table.index("</table>")]
        expected = re.findall(r'data-label="Panel \(verwacht\)">([\d,]+) \(', table)
        assert expected and abs(sum(float(v.replace(",", ".")) for v in expected) - 8) < 0.2


def test_the_replacement_message_names_the_people(organiser, app, pool) -> None:
    draw(app)
    with app.app_context():
        session = get_session()
        seat = results.result(session, runs.seeded_run(session, assembly())).seats[0]
    organiser.post(PAGE + "antwoord", data={"member_id": seat.member.id, "answer": "decline"})
    page = unescape(organiser.post(PAGE + "vervangen", follow_redirects=True).text)
    assert f"van {seat.registration.name} ({seat.reference})" in page
    assert re.search(r"Testpersoon Uniek\d{3} \(d[0-9a-f]{10}\) neemt de plaats", page)


def test_the_seed_hint_says_what_happens_to_spaces(organiser, app, pool) -> None:
    _publish(app)
    page = unescape(organiser.get(PAGE).text)
    assert "Spaties tussen de tekens tellen mee" in page
    assert "spaties aan het begin of het eind worden weggelaten" in page
    organiser.post(PAGE + "seed", data={"seed": " 07 12  19 33 41 ", "witnessed": "y"})
    with app.app_context():
        assert runs.seeded_run(get_session(), assembly()).seed == "07 12  19 33 41"


def test_publishing_and_inviting_ask_for_a_confirmation(organiser, app, pool) -> None:
    compute(app)
    page = organiser.get(PAGE).text
    assert 'name="confirm"' in page
    organiser.post(PAGE + "publiceren", data={"seed_method": "Live op 12 maart."})
    with app.app_context():
        assert runs.published_run(get_session(), assembly()) is None
    organiser.post(PAGE + "publiceren", data={"seed_method": "Live.", "confirm": "y"})
    with app.app_context():
        session = get_session()
        ceremony.enter_seed(session, "test", assembly(), "07 12 19 33 41")
        session.commit()
    respond_by = (date.today() + timedelta(days=7)).isoformat()
    organiser.post(PAGE + "uitnodigingen", data={"respond_by": respond_by})
    with app.app_context():
        assert get_session().exec(select(OutboxMessage)).first() is None
        assert all(
            m.invited_at is None for m in get_session().exec(select(PanelMember))
        )


def test_declining_asks_first_and_then_says_what_happens_next(client, organiser, app, pool) -> None:
    draw(app)
    respond_by = (date.today() + timedelta(days=7)).isoformat()
    organiser.post(PAGE + "uitnodigingen", data={"respond_by": respond_by, "confirm": "y"})
    with app.app_context():
        body = next(
            m.body for m in get_session().exec(select(OutboxMessage)) if "uitnodiging/" in m.body
        )
    link = re.search(r"http://burgerberaad\.test(/a/beraad-a/uitnodiging/\S+)", body)[1]
    asked = client.post(link, data={"decline": "1"})
    assert asked.status_code == 200
    assert "Weet u zeker dat u uw plaats wilt opgeven?" in unescape(asked.text)
    assert client.get(link).text.count('name="accept"') == 1  # nothing changed yet
    client.post(link, data={"decline": "1", "sure": "y"})
    page = unescape(client.get(link).text)
    assert "Wat er nu gebeurt" in page and "Bedacht?" in page
    assert 'name="accept"' not in page


def test_composition_tables_fit_a_phone(client, app, pool) -> None:
    """At 375 px each row is a block of labelled figures: every figure cell names its column
    and the stylesheet stacks the table below 40rem (the browser tests check the layout)."""
    draw(app)
    page = client.get(PUBLIC).text
    tables = re.findall(r'<table class="composition stack" role="table">(.*?)</table>', page, re.S)
    assert tables
    for table in tables:
        cells = re.findall(r"<td role=\"cell\" class=\"num\"([^>]*)>", table)
        assert cells and all("data-label=" in attributes for attributes in cells)
    css = client.get("/static/style.css").text
    assert "@media (max-width: 40rem)" in css and "table.stack tr { display: grid;" in css


def test_large_numbers_are_written_the_dutch_way(organiser, app) -> None:
    """#11.10: "1.200 mensen", not "1200", on the draw's pages."""
    from .helpers import make_pool

    make_pool(app, people=1200, panel=20, reserves=2, shared_households=0)
    page = unescape(organiser.get(PAGE).text)
    assert "1.200" in page and ">1200<" not in page
    assert "1.200" in unescape(organiser.get(PAGE + "quota").text)
