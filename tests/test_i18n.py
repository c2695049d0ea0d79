from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def test_dutch_is_the_default(client) -> None:
    page = client.get("/").text
    assert '<html lang="nl">' in page
    assert "Direct naar de inhoud" in page


def test_language_switch(client) -> None:
    response = client.post("/taal", data={"lang": "en", "next": "/inloggen"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/inloggen"
    page = client.get("/inloggen").text
    assert '<html lang="en">' in page
    assert "Skip to content" in page

    client.post("/taal", data={"lang": "nl", "next": "https://elsewhere.example/"})
    assert '<html lang="nl">' in client.get("/").text


def test_browser_language_is_the_fallback(client) -> None:
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in page


def _extracted_ids() -> set[str]:
    ids: set[str] = set()
    for directory, method_map in (
        (ROOT / "assembly", [("**.py", "python")]),
        (ROOT / "templates", [("**.html", "jinja2"), ("**.txt", "jinja2")]),
    ):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(directory), method_map, keywords=KEYWORDS
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_dutch_catalogue_is_complete() -> None:
    with open(ROOT / "translations/nl/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m for m in catalogue if m.id}
    missing = sorted(i for i in _extracted_ids() if i not in translated)
    untranslated = sorted(i for i, m in translated.items() if not m.string or m.fuzzy)
    assert missing == [], "run `make translations` and translate these"
    assert untranslated == []
