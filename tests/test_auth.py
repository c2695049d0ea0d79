from __future__ import annotations

import re

from sqlmodel import select

from assembly.db import get_session
from assembly.models import OutboxMessage

from .conftest import PASSWORD, login


def test_login_and_logout(client, world) -> None:
    response = login(client, world.emails["organiser"], follow_redirects=True)
    assert response.status_code == 200
    assert "U bent ingelogd." in response.text
    assert "Beraad A" in response.text

    response = client.post("/uitloggen", follow_redirects=True)
    assert "U bent uitgelogd." in response.text
    assert client.get("/beheer/").status_code == 302


def test_wrong_password_is_refused(client, world) -> None:
    response = login(client, world.emails["organiser"], "not the password")
    assert response.status_code == 401
    assert "Het e-mailadres of wachtwoord is niet juist." in response.text
    assert client.get("/beheer/").status_code == 302


def test_unknown_account_gets_the_same_message(client, world) -> None:
    response = login(client, "nobody@example.org", "whatever-password")
    assert response.status_code == 401
    assert "Het e-mailadres of wachtwoord is niet juist." in response.text


def test_login_is_rate_limited_per_account(client, world) -> None:
    email = world.emails["organiser"]
    for _ in range(5):
        assert login(client, email, "wrong password").status_code == 401
    response = login(client, email)  # even the right password waits now
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.text
    # Other accounts from another address are not affected.
    other = login(client, world.emails["observer"], environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302


def test_login_is_rate_limited_per_ip(make_app, world) -> None:
    app = make_app(LOGIN_MAX_FAILURES_PER_IP=3)
    client = app.test_client()
    for n in range(3):
        login(client, f"guess{n}@example.org", "wrong password")
    assert login(client, world.emails["admin"]).status_code == 429


def test_login_does_not_redirect_to_other_sites(client, world) -> None:
    response = login(client, world.emails["admin"], query_string={"next": "https://evil.example"})
    assert response.headers["Location"] == "/beheer/"


def _reset_link(app) -> str:
    with app.app_context():
        message = get_session().exec(select(OutboxMessage)).one()
    match = re.search(r"http://burgerberaad\.test(/wachtwoord-herstellen/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_by_one_time_link(app, client, world) -> None:
    email = world.emails["observer"]
    response = client.post("/wachtwoord-vergeten", data={"email": email}, follow_redirects=True)
    assert "Als er een account bestaat" in response.text
    link = _reset_link(app)

    assert client.get(link).status_code == 200
    new = "a brand new password"
    response = client.post(link, data={"password": new, "confirm": new}, follow_redirects=True)
    assert "Uw wachtwoord is gewijzigd" in response.text

    assert login(client, email, PASSWORD).status_code == 401
    assert login(client, email, new).status_code == 302
    # The link works once.
    assert client.get(link).status_code == 404


def test_password_reset_for_unknown_address_sends_nothing(app, client, world) -> None:
    response = client.post("/wachtwoord-vergeten", data={"email": "nobody@example.org"})
    assert response.status_code == 303
    with app.app_context():
        assert get_session().exec(select(OutboxMessage)).all() == []


def test_reset_refuses_a_short_password(app, client, world) -> None:
    client.post("/wachtwoord-vergeten", data={"email": world.emails["admin"]})
    link = _reset_link(app)
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "Minstens 10 tekens" in response.text or "10" in response.text
    assert login(client, world.emails["admin"]).status_code == 302


def test_create_admin_command(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Root@Example.org", "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "root@example.org", "long enough pw").status_code == 302
