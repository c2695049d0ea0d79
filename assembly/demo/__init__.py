"""The demo: the Zeeland care assembly with made-up data, showing every stage built so far.

``flask --app app demo`` (and ``make demo``) calls :func:`build`. Each stage's builder is
a module of this package, and calls the same services as the pages do, never copies of
their workflows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ..auth import service as auth_service
from ..dashboard import service as assembly_service
from ..models import Assembly, InvitationBatch, Role, Stage
from . import draw as draw_demo
from . import pool as pool_demo
from . import recruitment as recruitment_demo
from . import registration as registration_demo

DEMO_SLUG = "zorg-zeeland-demo"
DEMO_DESCRIPTION = (
    "Hoe houden we de zorg in Zeeland goed en bereikbaar, nu er steeds meer ouderen zijn en "
    "steeds minder zorgmedewerkers? 150 inwoners van 16 jaar en ouder, gekozen door loting "
    "uit alle dertien Zeeuwse gemeenten, praten in zes bijeenkomsten met elkaar en met "
    "deskundigen over preventie en gezond leven, mantelzorg, het tekort aan personeel, "
    "bestaanszekerheid en zorg dichtbij huis op het platteland. Voorstellen die door "
    "ten minste de helft van de deelnemers worden gesteund, komen in het Inwonerakkoord "
    "Zorg Zeeland.\n\n"
    "Dit is een demonstratie met verzonnen gegevens."
)
DEMO_PLANS = {
    Stage.SETUP.value: "september 2026",
    Stage.RECRUITMENT.value: "oktober – november 2026 (10.000 brieven)",
    Stage.DRAW.value: "december 2026, openbare loting",
    Stage.SESSIONS.value: "februari – mei 2027, vier zaterdagen in Goes, Middelburg en Terneuzen",
    Stage.VOTING.value: "juni 2027",
    Stage.AGREEMENT.value: "juli 2027",
}
DEMO_USERS = (
    ("admin@example.org", "Beheerder", Role.ADMIN),
    ("organisator@example.org", "Organisator Zeeland", Role.ORGANISER),
    ("waarnemer@example.org", "Waarnemer (notaris)", Role.OBSERVER),
)



class DemoExists(Exception):
    """The demo assembly is already in this database."""


@dataclass
class DemoReport:
    """What the demo made, for the command to print."""

    assembly: Assembly
    addresses: int
    batch: InvitationBatch
    registrations: int
    drawn: draw_demo.DemoDraw | None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    unused_code: str | None = None


def build(session: Session, password: str | None = None) -> DemoReport:
    """Create the demo assembly, its users and every stage's data; commits as it goes."""
    if session.exec(select(Assembly).where(Assembly.slug == DEMO_SLUG)).first() is not None:
        raise DemoExists()
    actor = "cli:demo"
    assembly = assembly_service.create_assembly(
        session,
        None,
        assembly_service.AssemblyData(
            name="Burgerberaad Zorg Zeeland (demo)",
            slug=DEMO_SLUG,
            region="Zeeland",
            commissioning_bodies="Provincie Zeeland, CZ Zorgverzekeraar, Zeeuwse gemeenten",
            description=DEMO_DESCRIPTION,
            panel_size=150,
            reserves=30,
            stage=Stage.RECRUITMENT.value,
            plans=DEMO_PLANS,
        ),
    )
    logins = []
    for email, name, role in DEMO_USERS:
        user_password = password or secrets.token_urlsafe(9)
        user = auth_service.create_user(session, email, user_password, role, name=name, actor=actor)
        if role != Role.ADMIN:
            assembly_service.add_member(session, actor, user, assembly)
        logins.append((role.value, email, user_password))
    session.commit()
    report, batch = recruitment_demo.fill(session, actor, assembly)
    session.commit()
    registration_demo.add_demo_form(session, assembly, actor)
    session.commit()
    registrations = pool_demo.add_demo_registrations(session, assembly)
    session.commit()
    drawn = draw_demo.add_demo_draw(session, assembly, actor)
    if drawn is not None:
        # The demo shows every stage built so far, the panel draw being the latest.
        assembly.stage = Stage.DRAW.value
        session.add(assembly)
        session.commit()
    return DemoReport(
        assembly=assembly,
        addresses=report.imported,
        batch=batch,
        registrations=registrations,
        drawn=drawn,
        logins=logins,
        unused_code=registration_demo.unused_code(session, assembly),
    )
