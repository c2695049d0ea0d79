"""Role isolation over every organiser URL and every role."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly, Registration

from .conftest import login

# FORM: edit-only, and a POST of an empty form shows the form again with errors (200).
VIEW, EDIT, FORM = "view", "edit", "form"
# WITNESS: only observers, who countersign the panel draw they witnessed.
WITNESS = "witness"

# Every organiser page of one assembly: (method, URL, who may use it).
ORGANISER_URLS = [
    ("GET", "/beheer/a/{slug}/", VIEW),
    ("GET", "/beheer/a/{slug}/bewerken", EDIT),
    ("POST", "/beheer/a/{slug}/bewerken", EDIT),
    ("GET", "/beheer/a/{slug}/audit", VIEW),
    ("GET", "/beheer/a/{slug}/werving/", VIEW),
    ("POST", "/beheer/a/{slug}/werving/adressen", EDIT),
    ("POST", "/beheer/a/{slug}/werving/loting", EDIT),
    ("GET", "/beheer/a/{slug}/werving/brieven.csv", EDIT),
    ("GET", "/beheer/a/{slug}/werving/brieven.pdf", EDIT),
    ("GET", "/beheer/a/{slug}/werving/voorbeeldbrief.pdf", VIEW),
    ("POST", "/beheer/a/{slug}/werving/brieftekst", EDIT),
    ("GET", "/beheer/a/{slug}/werving/import", EDIT),
    ("GET", "/beheer/a/{slug}/werving/vragen", VIEW),
    ("POST", "/beheer/a/{slug}/werving/vragen", EDIT),
    ("GET", "/beheer/a/{slug}/werving/bijeenkomsten", VIEW),
    ("POST", "/beheer/a/{slug}/werving/bijeenkomsten", EDIT),
    ("GET", "/beheer/a/{slug}/werving/instellingen", VIEW),
    ("POST", "/beheer/a/{slug}/werving/instellingen", EDIT),
    ("GET", "/beheer/a/{slug}/aanmeldingen/", VIEW),
    ("GET", "/beheer/a/{slug}/aanmeldingen/samenstelling", VIEW),
    ("GET", "/beheer/a/{slug}/aanmeldingen/nieuw", EDIT),
    ("POST", "/beheer/a/{slug}/aanmeldingen/nieuw", FORM),
    ("GET", "/beheer/a/{slug}/aanmeldingen/import", EDIT),
    ("POST", "/beheer/a/{slug}/aanmeldingen/import", FORM),
    ("GET", "/beheer/a/{slug}/aanmeldingen/export.csv", EDIT),
    ("GET", "/beheer/a/{slug}/aanmeldingen/{reference}", VIEW),
    ("POST", "/beheer/a/{slug}/aanmeldingen/{reference}", FORM),
    ("POST", "/beheer/a/{slug}/aanmeldingen/{reference}/intrekken", EDIT),
    ("POST", "/beheer/a/{slug}/aanmeldingen/{reference}/heractiveren", EDIT),
    ("GET", "/beheer/a/{slug}/privacy", VIEW),
    ("POST", "/beheer/a/{slug}/privacy/bewaartermijn", FORM),
    ("POST", "/beheer/a/{slug}/privacy/adressen", EDIT),
    ("POST", "/beheer/a/{slug}/privacy/niet-gekozen", EDIT),
    ("GET", "/beheer/a/{slug}/loting/", VIEW),
    ("POST", "/beheer/a/{slug}/loting/start", EDIT),
    ("POST", "/beheer/a/{slug}/loting/annuleren", EDIT),
    ("POST", "/beheer/a/{slug}/loting/herstarten", EDIT),
    ("GET", "/beheer/a/{slug}/loting/quota", VIEW),
    ("POST", "/beheer/a/{slug}/loting/quota", EDIT),
    ("POST", "/beheer/a/{slug}/loting/quota/import", EDIT),
    ("GET", "/beheer/a/{slug}/loting/controle", VIEW),
    ("POST", "/beheer/a/{slug}/loting/controle/toepassen", EDIT),
    ("POST", "/beheer/a/{slug}/loting/publiceren", EDIT),
    ("POST", "/beheer/a/{slug}/loting/seed", EDIT),
    ("POST", "/beheer/a/{slug}/loting/medeondertekenen", WITNESS),
    ("GET", "/beheer/a/{slug}/loting/export.csv", EDIT),
    ("POST", "/beheer/a/{slug}/loting/uitnodigingen", EDIT),
    ("GET", "/beheer/a/{slug}/loting/brieven.pdf", EDIT),
    ("POST", "/beheer/a/{slug}/loting/antwoord", EDIT),
    ("POST", "/beheer/a/{slug}/loting/vervangen", EDIT),
]

# What each kind of visitor gets on assembly A's pages.
EXPECTED = {
    "admin": {VIEW: 200, EDIT: 200, FORM: 200, WITNESS: 403},
    "organiser": {VIEW: 200, EDIT: 200, FORM: 200, WITNESS: 403},
    "observer": {VIEW: 200, EDIT: 403, FORM: 403, WITNESS: 200},
    "other_organiser": {VIEW: 404, EDIT: 404, FORM: 404, WITNESS: 404},
    "other_observer": {VIEW: 404, EDIT: 404, FORM: 404, WITNESS: 404},
    "anonymous": {VIEW: 302, EDIT: 302, FORM: 302, WITNESS: 302},
}


def _objects(app) -> dict[str, str]:
    """Objects of assembly A that organiser URLs point at, by placeholder."""
    with app.app_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == "beraad-a")).one()
        registration = Registration(
            assembly_id=item.id,
            reference="ACCESS01",
            household_key="own:access",
            channel="staff",
            name="Test",
            token_hash="0" * 64,
        )
        session.add(registration)
        session.commit()
    return {"reference": "ACCESS01"}


def test_the_list_covers_every_organiser_url(app) -> None:
    rules = {
        (method, re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if "slug" in rule.arguments and rule.rule.startswith("/beheer/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(method, url) for method, url, _ in ORGANISER_URLS}


# Visitors who cannot change anything come first, so that an allowed (empty) change by
# an organiser cannot alter what the others get.
VISITORS = ["anonymous", "other_observer", "other_organiser", "observer", "organiser", "admin"]


@pytest.mark.parametrize(("method", "url", "kind"), ORGANISER_URLS)
def test_role_isolation(app, world, method: str, url: str, kind: str) -> None:
    # One app and world per URL, every kind of visitor in turn: a world per visitor
    # made this test the slowest of the suite.
    objects = _objects(app) if set(re.findall(r"{(\w+)}", url)) - {"slug"} else {}
    got, wanted = {}, {}
    for who in VISITORS:
        client = app.test_client()
        if who != "anonymous":
            assert login(client, world.emails[who]).status_code == 302
        response = client.open(url.format(slug=world.slug_a, **objects), method=method, data={})
        expected = EXPECTED[who][kind]
        if expected == 200 and method == "POST" and kind != FORM:
            expected = 303  # an empty form changes nothing and redirects back
        got[who], wanted[who] = response.status_code, expected
        if response.status_code == 302:
            assert "/inloggen" in response.headers["Location"], who
    assert got == wanted


@pytest.mark.parametrize("who", ["admin", "organiser", "observer", "other_organiser"])
def test_dashboard_lists_only_own_assemblies(client, world, who: str) -> None:
    login(client, world.emails[who])
    page = client.get("/beheer/").text
    assert ("Beraad A" in page) == (who in {"admin", "organiser", "observer"})
    assert ("Beraad B" in page) == (who in {"admin", "other_organiser"})


def test_observer_cannot_create_assemblies(client, world) -> None:
    login(client, world.emails["observer"])
    assert client.get("/beheer/nieuw").status_code == 403
