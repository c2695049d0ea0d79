"""Command-line tasks: ``flask --app app create-admin | demo | verify-audit | send-mail``."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlmodel import select

from . import audit, mail
from .auth import service as auth_service
from .dashboard import service as assembly_service
from .db import get_session
from .draw import demo as draw_demo
from .models import Assembly, Role, Stage
from .pool import demo as pool_demo
from .recruitment import demo as recruitment_demo
from .registration import demo as registration_demo

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


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(verify_audit)
    app.cli.add_command(send_mail)


@click.command("create-admin", help="Create an administrator account.")
@click.option("--email", prompt=True)
@click.option("--name", default="")
@click.password_option(help="At least 10 characters; asked for when not given.")
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    session = get_session()
    try:
        user = auth_service.create_user(
            session, email, password, Role.ADMIN, name=name, actor="cli:create-admin"
        )
    except auth_service.WeakPassword as exc:
        raise click.ClickException(
            f"The password needs at least {exc.args[0]} characters."
        ) from None
    except auth_service.DuplicateEmail:
        raise click.ClickException(f"An account for {email} already exists.") from None
    session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("demo", help="Fill an empty database with the Zeeland demo assembly and users.")
@click.option("--password", default=None, help="One password for all demo users.")
@with_appcontext
def demo(password: str | None) -> None:
    session = get_session()
    if session.exec(select(Assembly).where(Assembly.slug == DEMO_SLUG)).first() is not None:
        raise click.ClickException(
            "The demo assembly already exists; start from an empty database."
        )
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

    click.echo(f"Demo assembly: {assembly.name}  (/a/{assembly.slug}/)")
    click.echo(
        f"Address list: {report.imported} made-up addresses; letter batch {batch.number}: "
        f"{batch.letters} letters (seed {batch.seed})."
    )
    click.echo(f"Respondent pool: {registrations} made-up registrations.")
    if drawn is not None:
        click.echo(
            f"Panel draw: lottery over {drawn.run.pool_size} people computed in "
            f"{drawn.seconds:.1f} s, seed {drawn.run.seed!r}, {drawn.replaced} seats replaced "
            f"(/a/{assembly.slug}/loting)."
        )
    click.echo("Logins (shown once; the database only keeps password hashes):")
    for role, email, user_password in logins:
        click.echo(f"  {role:<10} {email:<26} {user_password}")
    demo_code = registration_demo.unused_code(session, assembly)
    if demo_code:
        click.echo(
            f"Try registering at /a/{assembly.slug}/aanmelden with the unused letter code "
            f"{demo_code}."
        )


@click.command("verify-audit", help="Check that no past audit entry was changed or removed.")
@with_appcontext
def verify_audit() -> None:
    result = audit.verify(get_session())
    if not result.ok:
        raise click.ClickException(
            f"Audit log broken at entry {result.broken_at}: {result.reason}."
        )
    click.echo(f"Audit log intact: {result.entries} entries verified.")


@click.command("send-mail", help="Try to send every message in the outbox that is due now.")
@with_appcontext
def send_mail() -> None:
    sent = mail.sweep()
    click.echo(f"{sent} message(s) sent.")
