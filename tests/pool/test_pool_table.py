from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import event

from assembly.db import get_engine
from assembly.pool import table

from .conftest import BASE, Pool

REFERENCE = re.compile(r'aanmeldingen/([A-Z0-9]{8})"')


def _references(page: str) -> list[str]:
    return REFERENCE.findall(page)


def test_the_table_shows_people_with_their_answers(organiser, pool: Pool) -> None:
    ref = pool.register("Karin Sinke", channel="letter", letter=0, leeftijd="16-24")
    page = organiser.get(f"{BASE}/aanmeldingen/").text
    assert ref in page and "Karin Sinke" in page
    assert "16-24" in page and "zeer bezorgd" in page
    assert f"Brief {pool.letters[0].id}" in page
    assert "In de pool" in page


def test_pages_of_fifty(organiser, pool: Pool) -> None:
    with pool.session() as (session, item):
        from assembly.registration import registrations

        for i in range(55):
            registrations.register(
                session, item, pool.data(f"Persoon {i:02d}"), channel="staff", actor="test"
            )
    first = organiser.get(f"{BASE}/aanmeldingen/").text
    second = organiser.get(f"{BASE}/aanmeldingen/?page=2").text
    assert len(_references(first)) == 50 and len(_references(second)) == 5
    assert set(_references(first)).isdisjoint(_references(second))
    assert "Gevonden: 55." in first and "Pagina 1 van 2." in first
    assert 'href="/beheer/a/beraad-a/aanmeldingen/?page=2"' in first
    # Far beyond the last page shows the last page.
    assert _references(organiser.get(f"{BASE}/aanmeldingen/?page=99").text) == _references(second)


def test_search_by_name_email_phone_and_reference(organiser, pool: Pool) -> None:
    anna = pool.register("Anna de Vries", phone="06 11112222")
    piet = pool.register("Piet Minnaard", email="p.minnaard@example.nl", phone="0113 123456")

    def found(term: str) -> set[str]:
        page = organiser.get(f"{BASE}/aanmeldingen/", query_string={"q": term}).text
        return set(_references(page))

    assert found("de vries") == {anna}
    assert found("MINNAARD@EXAMPLE") == {piet}
    assert found("0611112222") == {anna}
    assert found("+31 6 1111 2222") == {anna}
    assert found("0113-123456") == {piet}
    assert found(piet) == {piet}
    assert found(piet[:5].lower()) == {piet}
    assert found("%") == set()  # wildcards are taken literally


def test_filters_and_sorting(organiser, pool: Pool) -> None:
    young = pool.register("Jong Mens", leeftijd="16-24")
    old = pool.register("Oud Mens", channel="letter", letter=1)
    gone = pool.register("Weg Mens", channel="import")
    pool.withdraw(gone)

    def found(**args: object) -> list[str]:
        return _references(organiser.get(f"{BASE}/aanmeldingen/", query_string=args).text)

    assert found(value=pool.options["leeftijd"]["16-24"]) == [young]
    assert set(found(value=pool.options["leeftijd"]["65-79"])) == {old, gone}
    assert found(channel="letter") == [old]
    assert found(status="withdrawn") == [gone]
    assert set(found(status="active")) == {young, old}
    assert found(channel="letter", value=pool.options["leeftijd"]["16-24"]) == []
    assert found() == [gone, old, young]  # newest first
    assert found(sort="oldest") == [young, old, gone]


def test_answers_for_a_page_come_in_one_query(organiser, pool: Pool) -> None:
    for i in range(12):
        pool.register(f"Persoon {i}", channel="letter", letter=i)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = get_engine(pool.app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert organiser.get(f"{BASE}/aanmeldingen/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    answer_queries = [s for s in statements if "registration_answer" in s.lower()]
    assert len(answer_queries) == 1
    assert len(statements) < 20  # independent of the number of rows


def test_observers_see_no_names_and_cannot_search_them(observer, pool: Pool) -> None:
    ref = pool.register("Karin Sinke")
    page = observer.get(f"{BASE}/aanmeldingen/").text
    assert ref in page and "Karin Sinke" not in page and "Aanmelden voor iemand" not in page
    assert _references(observer.get(f"{BASE}/aanmeldingen/?q=Sinke").text) == []
    detail = observer.get(f"{BASE}/aanmeldingen/{ref}").text
    assert "Karin Sinke" not in detail and "example.org" not in detail and "zeer bezorgd" in detail
    assert observer.post(f"{BASE}/aanmeldingen/{ref}", data={"name": "X"}).status_code == 403


def test_search_terms_stay_out_of_the_request_log(app) -> None:
    import logging

    from assembly import logs

    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1,
        '127.0.0.1 - - "GET /beheer/a/x/aanmeldingen/?q=de+Vries&page=2 HTTP/1.1" 200 -',
        None, None,
    )  # fmt: skip
    assert any(isinstance(f, logs.Redact) for f in logging.getLogger("werkzeug").filters)
    logs.Redact().filter(record)
    assert "Vries" not in record.getMessage() and "q=[redacted]&page=2" in record.getMessage()


def test_dates_are_in_dutch_and_in_dutch_time(organiser, pool: Pool) -> None:
    ref = pool.register("Karin Sinke")
    with pool.session() as (session, item):
        registration = table.find(session, item, ref)
        assert registration is not None
        registration.created_at = datetime(2026, 11, 9, 23, 30, tzinfo=UTC)
        registration.withdrawn_at = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
        session.add(registration)
    page = organiser.get(f"{BASE}/aanmeldingen/?status=withdrawn").text
    assert "<td>10 nov 2026</td>" in page and "2026-11" not in page
    page = organiser.get(f"{BASE}/aanmeldingen/{ref}").text
    assert "10 nov 2026, 00:30" in page and "(12 november 2026)" in page
    assert "2026-11" not in page and "(UTC)" not in page
