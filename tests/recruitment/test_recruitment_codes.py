from __future__ import annotations

import csv
import io
import json
import math
import re

from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly, AuditEntry, Invitation
from assembly.recruitment import codes

from ..conftest import login
from .test_recruitment_lottery import _draw, _setup

DISPLAY = re.compile(
    r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}(-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}){2}$"
)


def test_alphabet_has_no_look_alikes_and_enough_randomness() -> None:
    assert len(codes.ALPHABET) == len(set(codes.ALPHABET)) == 31
    assert not set("0O1IL") & set(codes.ALPHABET)
    assert codes.LENGTH * math.log2(len(codes.ALPHABET)) > 59


def test_code_format_and_normalisation() -> None:
    code = codes.new_code()
    assert len(code) == 12 and set(code) <= set(codes.ALPHABET)
    shown = codes.display(code)
    assert DISPLAY.match(shown)
    assert codes.normalise(shown.lower().replace("-", " ")) == code


def test_codes_are_unique() -> None:
    many = [codes.new_code() for _ in range(20000)]
    assert len(set(many)) == len(many)


def test_every_invitation_has_its_own_code(app, world) -> None:
    _setup(app)
    _draw(app, letters=60)
    _draw(app, letters=40)
    with app.app_context():
        stored = [i.code for i in get_session().exec(select(Invitation))]
    assert len(stored) == len(set(stored)) == 100
    assert all(len(c) == 12 and set(c) <= set(codes.ALPHABET) for c in stored)


def _export(client, query: str = ""):
    return client.get(f"/beheer/a/beraad-a/werving/brieven.csv{query}")


def test_mail_merge_export(client, app, world) -> None:
    _setup(app)
    _draw(app, letters=6, seed="een")
    _draw(app, letters=4, seed="twee")
    login(client, world.emails["organiser"])

    response = _export(client)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 10
    with app.app_context():
        stored = {i.code for i in get_session().exec(select(Invitation))}
    assert {codes.normalise(r["code"]) for r in rows} == stored
    first = rows[0]
    assert DISPLAY.match(first["code"])
    assert first["registration_url"] == (
        f"http://burgerberaad.test/a/beraad-a/aanmelden?code={first['code']}"
    )
    assert first["street"] == "Dorpsstraat" and first["postcode"] == "4331 AB"
    assert {r["batch"] for r in rows} == {"1", "2"}

    rows = list(csv.DictReader(io.StringIO(_export(client, "?batch=2").data.decode("utf-8-sig"))))
    assert len(rows) == 4 and {r["batch"] for r in rows} == {"2"}
    assert _export(client, "?batch=7").status_code == 404

    with app.app_context():
        entries = list(
            get_session().exec(select(AuditEntry).where(AuditEntry.action == "recruitment.export"))
        )
    assert [json.loads(e.payload) for e in entries] == [{"batch": "all"}, {"batch": 2}]
    assert not any(code in e.payload for e in entries for code in stored)


def test_export_is_for_organisers_of_this_assembly_only(client, app, world) -> None:
    _setup(app)
    _draw(app, letters=3)
    login(client, world.emails["observer"])
    assert _export(client).status_code == 403
    client.post("/uitloggen")
    login(client, world.emails["other_organiser"])
    assert _export(client, "?batch=1").status_code == 404
    assert client.get("/beheer/a/beraad-a/werving/").status_code == 404


def test_find_invitation_by_typed_code(app, world) -> None:
    _setup(app)
    _draw(app, letters=2)
    with app.app_context():
        session = get_session()
        invitation = session.exec(select(Invitation)).first()
        own = session.exec(select(Assembly).where(Assembly.slug == "beraad-a")).one()
        other = session.exec(select(Assembly).where(Assembly.slug == "beraad-b")).one()
        typed = " " + codes.display(invitation.code).lower() + " "
        assert codes.find_invitation(session, own, typed).id == invitation.id
        assert codes.find_invitation(session, other, typed) is None
        assert codes.find_invitation(session, own, "ABCD") is None
