"""#11.10 (the draw of letters): the batch table shows when a batch was drawn on the local
clock (not "Geloot op (UTC)") and names the seed in Dutch (not an untranslated "Seed")."""

from __future__ import annotations

from datetime import UTC, datetime

from assembly.db import get_session
from assembly.recruitment import addresses, lottery
from assembly.recruitment.lottery import DrawRequest

from ..conftest import login
from .helpers import address_rows, assembly, csv_bytes, upload


def test_the_batch_table_shows_local_time_and_dutch_headings(client, world, app) -> None:
    with app.app_context():
        session = get_session()
        addresses.import_addresses(
            session, None, assembly("beraad-a"), upload(csv_bytes(address_rows({"Goes": 30})))
        )
        batch = lottery.draw_batch(
            session, None, assembly("beraad-a"), DrawRequest(letters=5, seed="zeeland")
        )
        # Drawn at 19:05 UTC on a winter day: 20:05 in the Netherlands.
        batch.created_at = datetime(2026, 12, 2, 19, 5, tzinfo=UTC)
        session.add(batch)
        session.commit()
    login(client, world.emails["organiser"])
    page = client.get("/beheer/a/beraad-a/werving/").text
    assert "(UTC)" not in page and "<th scope=\"col\">Seed</th>" not in page
    assert "<th scope=\"col\">Het toevalsgetal</th>" in page
    assert "2 dec 2026, 20:05" in page
