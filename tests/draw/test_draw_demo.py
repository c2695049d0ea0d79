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
        _the_timeline_is_consistent(run, ceremony.signatures(session, run)[0][0], result)
    pages = [client.get("/a/beraad-a/loting").text, client.get("/a/beraad-a/").text]
    assert "07 12 19 33 41" in pages[0]
    for name in ("mensen.csv", "quota.csv", "loting.json", "report.json"):
        response = client.get(f"/a/beraad-a/loting/{name}")
        assert response.status_code == 200
        pages.append(response.data.decode())
    for page in pages:
        leaked = [value for value in personal if value in page]
        assert leaked == []


def _the_timeline_is_consistent(run, signature, result) -> None:
    """#11.14: the seed was entered at the moment the seed method announced, a week after
    the lottery was published; the signature and the invitations came after it."""
    from babel.dates import format_date

    from assembly.timeutil import as_utc, local_time

    seeded = local_time(as_utc(run.seeded_at))
    assert format_date(seeded.date(), "EEEE d MMMM", locale="nl") in run.seed_method
    assert "om 20.00 uur" in run.seed_method and (seeded.hour, seeded.minute // 10) == (20, 0)
    assert (as_utc(run.seeded_at) - as_utc(run.published_at)).days >= 6
    assert as_utc(run.finished_at) < as_utc(run.published_at)
    assert as_utc(run.seeded_at) < as_utc(signature.signed_at)
    for seat in result.seats + result.former:
        if seat.member.invited_at is not None and not seat.replaces:
            assert as_utc(seat.member.invited_at) > as_utc(run.seeded_at)
        if seat.member.responded_at is not None and seat.member.invited_at is not None:
            assert as_utc(seat.member.responded_at) >= as_utc(seat.member.invited_at)
