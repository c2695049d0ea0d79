"""#12.3: the audit log's head goes into each published draw file and onto the public page,
and an observer's countersignature records it, so a log cut short or rewritten afterwards no
longer matches what was published."""

from __future__ import annotations

import json
from html import unescape

from sqlmodel import select

from assembly import audit
from assembly.db import get_session
from assembly.draw import ceremony, runs
from assembly.models import AuditEntry, DrawSignature

from ..conftest import login
from .conftest import compute
from .helpers import assembly

PAGE = "/beheer/a/beraad-a/loting/"
PUBLIC = "/a/beraad-a/loting"


def test_the_head_is_in_the_published_files_and_on_the_page(client, world, app, pool) -> None:
    compute(app)
    with app.app_context():
        session = get_session()
        at_publication = audit.head(session, assembly())
        ceremony.publish(session, "test", assembly(), "Live op 12 maart.")
        session.commit()
        at_draw = audit.head(session, assembly())
        ceremony.enter_seed(session, "test", assembly(), "07 12 19 33 41")
        session.commit()
        run = runs.seeded_run(session, assembly())
    lottery = json.loads(client.get(PUBLIC + "/loting.json").data)
    report = json.loads(client.get(PUBLIC + "/report.json").data)
    assert lottery["audit_head"] == {"entries": at_publication[0], "sha256": at_publication[1]}
    assert report["audit_head"] == lottery["audit_head"]
    assert report["draw"]["audit_head"] == {"entries": at_draw[0], "sha256": at_draw[1]}
    # The published lottery's fingerprint covers the head.
    assert run.lottery_sha256 in client.get(PUBLIC).text
    page = unescape(client.get(PUBLIC).text)
    assert at_publication[1] in page and at_draw[1] in page

    # A log cut short to before the draw no longer reaches the head published with it.
    with app.app_context():
        session = get_session()
        for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)):
            session.delete(entry)
        session.commit()
        count, _hash = audit.head(session, assembly())
        assert count < at_draw[0]


def test_an_observer_records_the_head_when_countersigning(client, world, app, pool) -> None:
    from .conftest import draw

    draw(app)
    with app.app_context():
        expected = audit.head(get_session(), assembly())
    login(client, world.emails["observer"])
    assert client.post(PAGE + "medeondertekenen").status_code == 303
    with app.app_context():
        signature = get_session().exec(select(DrawSignature)).one()
        entry = get_session().exec(
            select(AuditEntry).where(AuditEntry.action == "draw.countersign")
        ).one()
    assert (signature.audit_count, signature.audit_hash) == expected
    head = {"entries": expected[0], "sha256": expected[1]}
    assert json.loads(entry.payload)["audit_head"] == head
    assert expected[1][:16] in client.get(PAGE).text
