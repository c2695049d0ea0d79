"""Role isolation over every organiser URL and every role."""

from __future__ import annotations

import pytest

from .conftest import login

VIEW, EDIT = "view", "edit"

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
]

# What each kind of visitor gets on assembly A's pages.
EXPECTED = {
    "admin": {VIEW: 200, EDIT: 200},
    "organiser": {VIEW: 200, EDIT: 200},
    "observer": {VIEW: 200, EDIT: 403},
    "other_organiser": {VIEW: 404, EDIT: 404},
    "other_observer": {VIEW: 404, EDIT: 404},
    "anonymous": {VIEW: 302, EDIT: 302},
}


def test_the_list_covers_every_organiser_url(app) -> None:
    rules = {
        (method, rule.rule.replace("<slug>", "{slug}"))
        for rule in app.url_map.iter_rules()
        if "slug" in rule.arguments and rule.rule.startswith("/beheer/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(method, url) for method, url, _ in ORGANISER_URLS}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize(("method", "url", "kind"), ORGANISER_URLS)
def test_role_isolation(client, world, who: str, method: str, url: str, kind: str) -> None:
    if who != "anonymous":
        assert login(client, world.emails[who]).status_code == 302
    response = client.open(url.format(slug=world.slug_a), method=method, data={})
    expected = EXPECTED[who][kind]
    if expected == 200 and method == "POST":
        expected = 303  # an empty form changes nothing and redirects back
    assert response.status_code == expected
    if response.status_code == 302:
        assert "/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("who", ["admin", "organiser", "observer", "other_organiser"])
def test_dashboard_lists_only_own_assemblies(client, world, who: str) -> None:
    login(client, world.emails[who])
    page = client.get("/beheer/").text
    assert ("Beraad A" in page) == (who in {"admin", "organiser", "observer"})
    assert ("Beraad B" in page) == (who in {"admin", "other_organiser"})


def test_observer_cannot_create_assemblies(client, world) -> None:
    login(client, world.emails["observer"])
    assert client.get("/beheer/nieuw").status_code == 403
