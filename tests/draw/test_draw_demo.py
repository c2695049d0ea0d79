"""The demo's draw, on a small demo pool: complete, with replacements, and nothing personal
on the public pages."""

from __future__ import annotations

import json

from sqlmodel import select

from assembly.db import get_session
from assembly.demo import draw as demo
from assembly.demo import pool as pool_demo
from assembly.demo import recruitment as recruitment_demo
from assembly.demo import registration as registration_demo
from assembly.draw import ceremony, engine, results, runs
from assembly.models import Address, Registration

from .helpers import assembly


def test_demo_draw_is_complete_and_public_pages_hold_no_personal_data(app, client, world) -> None:
    with app.test_request_context():
        session = get_session()
        item = assembly()
        item.panel_size, item.reserves = 20, 6
        session.add(item)
        recruitment_demo.fill(session, "cli:demo", item, addresses=3000, letters=1500)
        registration_demo.add_demo_form(session, item)
        pool_demo.add_demo_registrations(session, item)
        session.commit()
        drawn = demo.add_demo_draw(session, item)
        assert drawn is not None
        run = runs.seeded_run(session, item)
        assert run.seed == demo.DEMO_SEED and run.published_at is not None
        result = results.result(session, run)
        assert len(result.seats) == 20 and result.open_seats == 0
        assert len(result.former) == demo.DECLINES + demo.NO_ANSWERS == drawn.replaced
        assert ceremony.signatures(session, run)
        # The demo lottery is as exact as a real one.
        assert json.loads(run.settings_json)["tolerance"] == engine.ENGINE_TOLERANCE == 1e-6
        people = session.exec(select(Registration)).all()
        addresses = session.exec(select(Address)).all()
        personal = {r.name for r in people if r.name} | {r.email for r in people if r.email}
        personal |= {r.phone for r in people if r.phone}
        personal |= {f"{a.street} {a.house_number}" for a in addresses}
    pages = [client.get("/a/beraad-a/loting").text, client.get("/a/beraad-a/").text]
    assert "07 12 19 33 41" in pages[0]
    for name in ("mensen.csv", "quota.csv", "loting.json", "report.json"):
        response = client.get(f"/a/beraad-a/loting/{name}")
        assert response.status_code == 200
        pages.append(response.data.decode())
    for page in pages:
        leaked = [value for value in personal if value in page]
        assert leaked == []
