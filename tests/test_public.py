from __future__ import annotations

from .conftest import login


def test_healthz_up(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_down(make_app, tmp_path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = make_app(DATABASE_URL=f"sqlite:///{blocker / 'burgerberaad.db'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] != "ok"


def test_public_assembly_page(client, world) -> None:
    login(client, world.emails["organiser"])
    client.post(
        "/beheer/a/beraad-a/bewerken",
        data={
            "name": "Beraad A",
            "slug": "beraad-a",
            "panel_size": "50",
            "reserves": "5",
            "stage": "draw",
            "description": "Over de zorg.",
            "plan_draw": "april 2025",
        },
    )
    client.post("/uitloggen")
    page = client.get("/a/beraad-a/").text
    assert "<h1>Beraad A</h1>" in page
    assert "Over de zorg." in page
    assert "april 2025" in page
    assert 'aria-current="step"' in page and "Loting" in page


def test_unknown_page_is_a_friendly_404(client) -> None:
    response = client.get("/a/bestaat-niet/")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.text
    assert 'class="skip-link"' in response.text


def test_organiser_creates_an_assembly(client, world) -> None:
    login(client, world.emails["organiser"])
    data = {
        "name": "Klimaatberaad Goes",
        "slug": "klimaat-goes",
        "panel_size": "40",
        "reserves": "5",
        "stage": "setup",
    }
    response = client.post("/beheer/nieuw", data=data, follow_redirects=True)
    assert "Het burgerberaad is aangemaakt." in response.text
    assert "Klimaatberaad Goes" in client.get("/beheer/").text
    # The slug must be unique.
    response = client.post("/beheer/nieuw", data=data)
    assert "Dit webadres is al in gebruik." in response.text


def test_demo_command_prints_logins(app) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "organisator@example.org" in result.output
    password = result.output.split("organisator@example.org")[1].split()[0]
    client = app.test_client()
    assert login(client, "organisator@example.org", password).status_code == 302
    assert "Burgerberaad Zorg Zeeland (demo)" in client.get("/a/zorg-zeeland-demo/").text
