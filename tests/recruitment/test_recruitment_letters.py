from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly, AuditEntry, Invitation
from assembly.recruitment import addresses, codes, letters, lottery, mail_merge, views
from assembly.recruitment.lottery import DrawRequest

from ..conftest import login
from .helpers import address_rows, assembly, csv_bytes, upload

PAGE = re.compile(rb"/Type /Page\b(?!s)")


def _setup(app, letters_drawn: int = 5) -> None:
    rows = address_rows({"Middelburg": 6, "Vlissingen": 4})
    rows[0] = rows[0].replace("Dorpsstraat", "Łódźstraat")  # not in the PDF fonts
    with app.app_context():
        session = get_session()
        item = assembly("beraad-a")
        addresses.import_addresses(session, None, item, upload(csv_bytes(rows)))
        lottery.draw_batch(session, None, item, DrawRequest(letters=letters_drawn, seed="brief"))
        session.commit()


def _pdf(app, batch: int | None = 1, **kwargs) -> tuple[bytes, list[letters.Letter]]:
    """The letters of a batch as an uncompressed PDF, whose text can be searched."""
    with app.app_context():
        session = get_session()
        item = assembly("beraad-a")
        for name, value in kwargs.items():
            setattr(item, name, value)
        found = letters.letters_of(session, item, batch)
        out = io.BytesIO()
        pages = letters.write_pdf(out, item, found, "http://burgerberaad.test", compress=False)
    assert pages == len(found)
    return out.getvalue(), found


def _pdf_text(data: bytes) -> str:
    """The strings drawn on the pages (reportlab writes them as (...) Tj in cp1252)."""
    strings = re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", data)
    text = []
    for raw in strings:
        raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), raw)
        text.append(re.sub(rb"\\(.)", rb"\1", raw).decode("cp1252"))
    return "\n".join(text)


# --- the letter text ---------------------------------------------------------------------------


def test_default_text_uses_the_placeholders_in_plain_dutch(app) -> None:
    item = Assembly(slug="x", name="Beraad")
    with app.test_request_context():
        text = letters.default_text(item)
        assert text.startswith("{aanhef},\n\nU bent uitgenodigd!")
        assert "{code}" in text and "{assemblee}" in text
        assert "{sluitingsdatum}" not in text  # no closing date, no sentence about it
        item.registration_closes_at = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
        assert "U kunt zich aanmelden tot en met {sluitingsdatum}." in letters.default_text(item)
        assert letters.check_text(letters.default_text(item)) == [
            "aanhef",
            "assemblee",
            "code",
            "sluitingsdatum",
        ]
        assert letters.text_of(item) == letters.default_text(item)


@pytest.mark.parametrize(
    ("closes", "expected"),
    [
        (datetime(2027, 3, 15, 12, 0, tzinfo=UTC), "15 maart 2027"),
        # 00:30 on 16 March in the Netherlands (UTC+1)
        (datetime(2027, 3, 15, 23, 30, tzinfo=UTC), "16 maart 2027"),
        # closes at midnight Dutch (summer) time: the 30th is the last day
        (datetime(2027, 6, 30, 22, 0, tzinfo=UTC), "30 juni 2027"),
        (None, ""),
    ],
)
def test_closing_date_in_dutch(app, closes: datetime | None, expected: str) -> None:
    with app.app_context():  # the local clock is the installation's setting
        assert letters.closing_date(
            Assembly(slug="x", name="x", registration_closes_at=closes)
        ) == (expected)


def test_unknown_placeholders_stray_braces_and_unprintable_characters_are_rejected() -> None:
    with pytest.raises(letters.UnknownPlaceholder) as unknown:
        letters.check_text("Beste {naam}, uw code is {code}. Tot {datum} en {naam}.")
    assert unknown.value.args[0] == ["naam", "datum"]
    with pytest.raises(letters.UnknownPlaceholder):
        letters.check_text("{Code}")  # names are exact
    with pytest.raises(letters.StrayBrace):
        letters.check_text("Uw code: {code")
    with pytest.raises(letters.StrayBrace):
        letters.check_text("Uw code: code}")
    with pytest.raises(letters.UnprintableCharacters) as unprintable:
        letters.check_text("Welkom 👋 in Łódź")
    assert unprintable.value.args[0] == "Łź👋"
    assert letters.check_text("Zoë’s café — “€ 25” {url}") == ["url"]


def test_fill_and_printable() -> None:
    assert letters.fill("{aanhef}, {code}!", {"aanhef": "Beste", "code": "K7QM"}) == "Beste, K7QM!"
    assert letters.printable("Łódźstraat 1") == "Lódzstraat 1"
    assert letters.printable("Zoë\n☃") == "Zoë\n?"


def _save(app, text: str) -> bool:
    with app.app_context():
        session = get_session()
        standard = letters.save_text(session, None, assembly("beraad-a"), text)
        session.commit()
        return standard


def test_saving_the_text_is_audited_without_the_text(app, world) -> None:
    assert _save(app, "Beste bewoner,\r\n\r\nMeld u aan met {code} via {url}.  \r\n") is False
    with app.app_context():
        assert (
            assembly("beraad-a").letter_text == "Beste bewoner,\n\nMeld u aan met {code} via {url}."
        )
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "recruitment.letter_text"))
            .one()
        )
    assert json.loads(entry.payload) == {
        "characters": 48,
        "placeholders": ["code", "url"],
        "standard_text": False,
    }
    assert "bewoner" not in entry.payload


def test_the_standard_text_is_stored_as_empty(app, world) -> None:
    with app.test_request_context():
        standard = letters.default_text(Assembly(slug="x", name="x"))
    assert _save(app, standard) is True
    assert _save(app, "") is True
    with app.app_context():
        assert assembly("beraad-a").letter_text == ""


def test_a_text_longer_than_a_page_is_rejected(app, world) -> None:
    with pytest.raises(letters.LetterTooLong):
        _save(app, "\n\n".join(["Een alinea over de zorg in Zeeland."] * 40))


# --- the QR code and the PDF -------------------------------------------------------------------


def test_registration_url_and_qr_matrix() -> None:
    item = Assembly(slug="zorg-zeeland-demo", name="x")
    url = mail_merge.registration_url("https://burgerberaad.example.nl", item, "K7QMR2XT9VDA")
    assert (
        url == "https://burgerberaad.example.nl/a/zorg-zeeland-demo/aanmelden?code=K7QM-R2XT-9VDA"
    )
    matrix = letters.qr_matrix(url)
    # Version 5 (37 x 37 modules) at error correction level M: about 0.9 mm per module
    assert len(matrix) == 37 and all(len(row) == 37 for row in matrix)
    assert {value for row in matrix for value in row} == {0, 1}
    # the top left finder pattern: a dark ring of 7 x 7 modules
    assert list(matrix[0][:8]) == [1, 1, 1, 1, 1, 1, 1, 0]
    assert list(matrix[1][:7]) == [1, 0, 0, 0, 0, 0, 1]


def test_pdf_has_one_page_per_letter_with_address_code_and_text(app, world) -> None:
    _setup(app)
    data, found = _pdf(
        app,
        organiser_contact="0118 123 456",
        registration_closes_at=datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
        name="Beraad A",
    )
    assert data.startswith(b"%PDF") and len(PAGE.findall(data)) == len(found) == 5
    text = _pdf_text(data)
    for letter in found:
        assert codes.display(letter.code) in text
        assert f"{letter.street} {letter.house_number}" in text
        assert f"{letter.postcode}  {letter.city.upper()}" in text
    assert text.count("Aan de bewoners van") >= 5
    assert "U kunt zich aanmelden tot en met 15 maart 2027." in text
    assert "Vragen? 0118 123 456" in text
    assert "http://burgerberaad.test/a/beraad-a/aanmelden" in text
    # each page draws a QR code as filled rectangles
    assert data.count(b" re\n") > 5 * 100


def test_pdf_lists_letters_like_the_mail_merge_csv(app, world) -> None:
    _setup(app, letters_drawn=8)
    _data, found = _pdf(app)
    with app.app_context():
        rows = "".join(
            mail_merge.mail_merge_rows(get_session(), assembly("beraad-a"), "http://x", 1)
        ).splitlines()[1:]
    assert [codes.display(letter.code) for letter in found] == [r.split(",")[6] for r in rows]


def test_registry_characters_outside_the_fonts_are_simplified(app, world) -> None:
    _setup(app, letters_drawn=10)
    text = _pdf_text(_pdf(app)[0])
    assert "Lódzstraat 1" in text and "Łódź" not in text


def test_the_organisers_text_fills_in_every_placeholder(app, world) -> None:
    _setup(app)
    _save(app, "{aanhef}: welkom bij {assemblee}.\n\nCode {code}, adres {url} ({sluitingsdatum}).")
    text = _pdf_text(_pdf(app, name="Beraad A")[0])
    assert "{" not in text
    assert "welkom bij Beraad A." in text
    assert re.search(
        r"adres\s+http://burgerberaad.test/a/beraad-a/aanmelden\?code=\w{4}-\w{4}-", text
    )


# --- through the web ---------------------------------------------------------------------------


def test_download_the_pdf_of_a_batch(client, app, world) -> None:
    _setup(app)
    login(client, world.emails["organiser"])
    response = client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "filename=brieven-beraad-a-1.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert len(PAGE.findall(response.data)) == 5
    assert client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=2").status_code == 404
    assert client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1&deel=2").status_code == 404
    with app.app_context():
        entry = (
            get_session()
            .exec(select(AuditEntry).where(AuditEntry.action == "recruitment.letters_pdf"))
            .one()
        )
        all_codes = [i.code for i in get_session().exec(select(Invitation))]
    assert json.loads(entry.payload) == {"batch": 1, "part": 1, "letters": 5}
    assert entry.actor.startswith("staff:")
    assert not any(
        code in entry.payload or codes.display(code) in entry.payload for code in all_codes
    )


def test_large_batches_come_in_parts(client, app, world, monkeypatch) -> None:
    monkeypatch.setattr(views, "LETTERS_PER_PDF", 2)
    _setup(app)
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "PDF, brieven 1–2" in page and "PDF, brieven 5–5" in page
    assert "brieven.pdf?batch=1&amp;deel=3" in page
    pages = [
        len(
            PAGE.findall(
                client.get(f"/beheer/a/beraad-a/werving/brieven.pdf?batch=1&deel={n}").data
            )
        )
        for n in (1, 2, 3)
    ]
    assert pages == [2, 2, 1]
    response = client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1&deel=3")
    assert "brieven-beraad-a-1-deel-3.pdf" in response.headers["Content-Disposition"]
    assert client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1&deel=4").status_code == 404
    assert client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1&deel=0").status_code == 404


def test_without_letters_the_pdf_says_so(client, world) -> None:
    login(client, world.emails["organiser"])
    response = client.get("/beheer/a/beraad-a/werving/brieven.pdf")
    assert response.status_code == 200 and len(PAGE.findall(response.data)) == 1


def test_observer_reads_the_letter_but_cannot_print_or_edit(client, app, world) -> None:
    _setup(app)
    login(client, world.emails["observer"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "voorbeeldbrief.pdf" in page and "U bent uitgenodigd!" in page
    assert "brieven.pdf" not in page and "/brieftekst" not in page
    assert client.get("/beheer/a/beraad-a/werving/brieven.pdf?batch=1").status_code == 403
    sample = client.get("/beheer/a/beraad-a/werving/voorbeeldbrief.pdf")
    assert sample.status_code == 200 and len(PAGE.findall(sample.data)) == 1
    assert (
        client.post("/beheer/a/beraad-a/werving/brieftekst", data={"letter_text": "x"}).status_code
        == 403
    )


def test_edit_the_letter_text_on_the_page(client, app, world) -> None:
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "U bent uitgenodigd!" in page  # the standard letter, ready to edit
    assert "{sluitingsdatum}" in page  # explained in the table of placeholders

    typed = "Beste {naam},\n\nUw code: {code}"
    response = client.post("/beheer/a/beraad-a/werving/brieftekst", data={"letter_text": typed})
    assert response.status_code == 200
    assert "Onbekend invulveld: {naam}." in response.text
    # the error is tied to the field, and what was typed is still there
    assert 'aria-describedby="letter_text-hint letter_text-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Beste {naam}," in response.text
    with app.app_context():
        assert assembly("beraad-a").letter_text == ""

    response = client.post(
        "/beheer/a/beraad-a/werving/brieftekst",
        data={"letter_text": "Beste bewoner,\n\nUw code: {code}"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("#brieven")
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "De tekst van de brief is opgeslagen." in page
    with app.app_context():
        assert assembly("beraad-a").letter_text == "Beste bewoner,\n\nUw code: {code}"

    client.post("/beheer/a/beraad-a/werving/brieftekst", data={"letter_text": ""})
    assert (
        "De brieven gebruiken de standaardtekst." in client.get("/beheer/a/beraad-a/werving/").text
    )


def test_an_extreme_street_name_still_fits_on_one_page(app) -> None:
    item = Assembly(slug="x", name="x", letter_text="\n\n".join(["{aanhef}"] * 12))
    letter = letters.Letter("Lange" * 40, "1", "4331 AB", "Goes", "K7QMR2XT9VDA")
    out = io.BytesIO()
    with app.app_context():
        assert letters.write_pdf(out, item, [letter], "http://x", compress=False) == 1
    assert len(PAGE.findall(out.getvalue())) == 1
    assert "K7QM-R2XT-9VDA" in _pdf_text(out.getvalue())
