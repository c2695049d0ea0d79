"""Inviting the drawn members: a personal link each, sent by e-mail or printed on a letter.

The link's token is derived from the secret key and a nonce per seat, so a letter can be
printed again; only its digest is stored and looked up. Residents read Dutch, whatever
language the organiser works in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from .. import audit
from ..audit import Actor
from ..mail import queue_mail
from ..models import (
    Address,
    Assembly,
    DrawRun,
    Invitation,
    PanelMember,
    Registration,
    SeatStatus,
    SessionDate,
)
from ..questionnaire.session_dates import load_session_dates
from ..timeutil import end_of_day, local_day, local_time, utcnow
from ..tokens import token_digest
from .errors import NothingToInvite, NotSeeded
from .links import invitation_link, invitation_token
from .outcome import send_outcomes
from .results import result
from .runs import locked, seeded_run


def awaits_letter(member: PanelMember) -> bool:
    """Invited by a printed letter (no e-mail address) and not answered yet."""
    return (
        member.by_letter and member.invited_at is not None and member.status == SeatStatus.PENDING
    )


@dataclass
class Invited:
    emails: int
    letters: int
    others: int = 0  # reserves and people not drawn, told the outcome by e-mail


def send_invitations(
    session: Session, actor: Actor, assembly: Assembly, respond_by: date
) -> Invited:
    """Invite every member who has not been invited yet: by e-mail, or by a printed letter."""
    run = seeded_run(session, assembly)
    if run is None:
        raise NotSeeded()
    # Two clicks at once must not invite anyone twice (two mails, the first link dead).
    run = locked(session, run)
    run.respond_by = end_of_day(respond_by)
    session.add(run)
    found = result(session, run)
    dates = load_session_dates(session, assembly)
    sent = Invited(0, 0)
    for seat in found.seats:
        member = seat.member
        if member.invited_at is not None or member.status != SeatStatus.PENDING:
            continue
        member.token_nonce = secrets.token_hex(8)
        session.add(member)
        session.flush()
        token = invitation_token(member)
        member.token_hash = token_digest(token)
        member.invited_at = utcnow()
        member.by_letter = not seat.registration.email
        if member.by_letter:
            sent.letters += 1
        else:
            sent.emails += 1
            subject, body = invitation_mail(assembly, run, seat.registration, token, dates)
            queue_mail(session, seat.registration.email, subject, body, assembly_id=assembly.id)
    sent.others = send_outcomes(session, assembly, run)
    if not sent.emails and not sent.letters and not sent.others:
        raise NothingToInvite()
    audit.record(
        session,
        actor,
        "draw.invite",
        run,
        {
            "emails": sent.emails,
            "letters": sent.letters,
            "others": sent.others,
            "respond_by": respond_by.isoformat(),
        },
        assembly=assembly,
    )
    return sent


def invitation_mail(
    assembly: Assembly,
    run: DrawRun,
    registration: Registration,
    token: str,
    dates: list[SessionDate],
) -> tuple[str, str]:
    # Residents read Dutch, whatever language the organiser uses.
    with force_locale("nl"):
        subject = _("You have been drawn for %(name)s", name=assembly.name)
        # Straight from the Jinja environment: the mail may be written outside a request
        # (the demo, a job), where the app's request-bound template globals do not exist.
        template = current_app.jinja_env.get_template("draw/invitation_mail.txt")
        body = template.render(
            assembly=assembly,
            name=registration.name,
            link=invitation_link(assembly, token),
            respond_by=local_day(run.respond_by) if run.respond_by else None,
            dates=[(local_time(d.starts_at), d) for d in dates],
        )
    return subject, body


@dataclass
class Letter:
    registration: Registration
    address: Address | None
    link: str


def letters(session: Session, assembly: Assembly) -> list[Letter]:
    """Invitations to print: members without e-mail who were invited and did not answer."""
    run = seeded_run(session, assembly)
    if run is None:
        return []
    found = result(session, run)
    printed = []
    for seat in found.seats:
        member = seat.member
        if not awaits_letter(member):
            continue
        address = None
        if seat.registration.invitation_id is not None:
            invitation = session.get(Invitation, seat.registration.invitation_id)
            if invitation is not None:
                address = session.get(Address, invitation.address_id)
        printed.append(
            Letter(seat.registration, address, invitation_link(assembly, invitation_token(member)))
        )
    return printed


def record_letters(session: Session, actor: Actor, assembly: Assembly, count: int) -> None:
    audit.record(session, actor, "draw.letters", assembly, {"letters": count})


def member_by_token(
    session: Session, assembly: Assembly, token: str
) -> tuple[PanelMember, Registration, DrawRun] | None:
    """The seat whose personal link this is, on ``assembly``'s panel (None otherwise)."""
    if not token or len(token) > 100:
        return None
    member = session.exec(
        select(PanelMember).where(PanelMember.token_hash == token_digest(token))
    ).first()
    if member is None:
        return None
    run = session.get(DrawRun, member.run_id)
    registration = session.get(Registration, member.registration_id)
    if run is None or registration is None or run.assembly_id != assembly.id:
        return None
    return member, registration, run
