"""Command-line tasks: ``flask --app app create-admin | demo | verify-audit | send-mail``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from . import audit, mail
from . import demo as demo_data
from .auth import service as auth_service
from .db import get_session
from .models import Role


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
            f"The password needs at least {exc.params['n']} characters."
        ) from None
    except auth_service.DuplicateEmail:
        raise click.ClickException(f"An account for {email} already exists.") from None
    session.commit()
    click.echo(f"Administrator {user.email} created.")


@click.command("demo", help="Fill an empty database with the Zeeland demo assembly and users.")
@click.option("--password", default=None, help="One password for all demo users.")
@with_appcontext
def demo(password: str | None) -> None:
    try:
        made = demo_data.build(get_session(), password)
    except demo_data.DemoExists:
        raise click.ClickException(
            "The demo assembly already exists; start from an empty database."
        ) from None
    assembly, batch, drawn = made.assembly, made.batch, made.drawn
    click.echo(f"Demo assembly: {assembly.name}  (/a/{assembly.slug}/)")
    click.echo(
        f"Address list: {made.addresses} made-up addresses; letter batch {batch.number}: "
        f"{batch.letters} letters (seed {batch.seed})."
    )
    click.echo(f"Respondent pool: {made.registrations} made-up registrations.")
    if drawn is not None:
        click.echo(
            f"Panel draw: lottery over {drawn.run.pool_size} people computed in "
            f"{drawn.seconds:.1f} s, seed {drawn.run.seed!r}, {drawn.replaced} seats replaced "
            f"(/a/{assembly.slug}/loting)."
        )
    click.echo("Logins (shown once; the database only keeps password hashes):")
    for role, email, user_password in made.logins:
        click.echo(f"  {role:<10} {email:<26} {user_password}")
    if made.unused_code:
        click.echo(
            f"Try registering at /a/{assembly.slug}/aanmelden with the unused letter code "
            f"{made.unused_code}."
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
