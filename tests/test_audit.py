from __future__ import annotations

from sqlalchemy import text

from assembly import audit
from assembly.db import get_session

from .conftest import login


def test_assembly_changes_are_logged_and_chained(app, client, world) -> None:
    login(client, world.emails["organiser"])
    data = {
        "name": "Beraad A2",
        "slug": "beraad-a",
        "panel_size": "80",
        "reserves": "8",
        "stage": "draw",
        "plan_draw": "juni 2025",
    }
    response = client.post("/beheer/a/beraad-a/bewerken", data=data)
    assert response.status_code == 303

    client.post("/uitloggen")
    login(client, world.emails["observer"])
    page = client.get("/beheer/a/beraad-a/audit").text
    assert "assembly.update" in page
    assert "org-a@example.org" in page
    assert "Beraad A2" in page

    with app.app_context():
        result = audit.verify(get_session())
    assert result.ok and result.entries > 5


def _tamper(app, sql: str) -> None:
    with app.app_context():
        session = get_session()
        session.execute(text(sql))
        session.commit()


def test_changing_a_past_entry_is_detected(app, world) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["verify-audit"]).exit_code == 0

    _tamper(app, "UPDATE audit_entry SET actor = 'someone else' WHERE id = 2")
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code != 0
    assert "entry 2" in result.output


def test_removing_a_past_entry_is_detected(app, world) -> None:
    _tamper(app, "DELETE FROM audit_entry WHERE id = 3")
    with app.app_context():
        result = audit.verify(get_session())
    assert not result.ok and result.broken_at == 4
