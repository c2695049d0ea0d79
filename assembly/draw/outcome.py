"""What the draw meant for each registrant: on their personal page, and by e-mail.

- The personal page (the registration stage's) asks through
  :data:`assembly.signals.registration_outcome_requested`; the answer is an
  :class:`Outcome` it shows in a block of its own.
- When the members are invited, everyone else in the lottery with an e-mail address is
  told too: reserves that they may still be asked, the others that they were not drawn.
- A member who accepts gets a confirmation with the sessions: date, time and place, and
  which of them they said they could come to.

Residents read Dutch in mail, whatever language the organiser works in.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from .. import signals
from ..mail import queue_mail
from ..models import (
    Assembly,
    DrawPerson,
    DrawRun,
    PanelMember,
    Registration,
    SeatStatus,
)
from ..questionnaire.session_dates import load_session_dates, session_date_label
from ..registration.registrations import availability_of
from ..settings import settings as configured
from ..timeutil import local_day, utcnow
from .links import invitation_link, invitation_token
from .results import holds_seat, result
from .runs import published_run


@dataclass(frozen=True)
class Outcome:
    """What the personal page says: ``kind`` (drawn, accepted, left, reserve, not_drawn,
    not_in_lottery, announced), a sentence, and a link to act on (the invitation)."""

    kind: str
    text: str
    link: str = ""
    link_text: str = ""


@signals.registration_outcome_requested.connect
def _on_outcome_requested(registration: Registration, *, session: Session) -> Outcome | None:
    return outcome_of(session, registration)


def _deadline(run: DrawRun) -> str:
    return format_date(local_day(run.respond_by), "long") if run.respond_by else ""


def outcome_of(session: Session, registration: Registration) -> Outcome | None:
    """The registrant's outcome once the lottery is published (None before, or withdrawn)."""
    assembly = session.get(Assembly, registration.assembly_id)
    run = published_run(session, assembly) if assembly is not None else None
    if run is None or assembly is None or registration.withdrawn_at is not None:
        return None
    person = session.exec(
        select(DrawPerson).where(
            DrawPerson.run_id == run.id, DrawPerson.registration_id == registration.id
        )
    ).first()
    if run.seed is None:
        return Outcome(
            "announced",
            _(
                "The lottery has been published; the panel will be drawn in public. "
                "How the seed is chosen: %(method)s",
                method=run.seed_method,
            ),
        )
    if person is None:
        return Outcome(
            "not_in_lottery",
            _(
                "The panel has been drawn. You were not in this lottery: the people in it "
                "were fixed before you registered or completed your answers."
            ),
        )
    member = session.exec(
        select(PanelMember)
        .where(PanelMember.run_id == run.id, PanelMember.registration_id == registration.id)
        .order_by(col(PanelMember.id).desc())
    ).first()
    if member is not None:
        return _member_outcome(assembly, run, member)
    if person.reserve_rank is not None:
        return Outcome(
            "reserve",
            _(
                "You were not drawn for the panel, but you are on the reserve list (number "
                "%(rank)s). If a member cannot take part, we may still invite you.",
                rank=person.reserve_rank,
            ),
        )
    return Outcome(
        "not_drawn",
        _(
            "You were not drawn for the panel. Thank you for signing up! If members cannot "
            "take part, we may draw again among everyone else, so you might still be invited."
        ),
    )


def _member_outcome(assembly: Assembly, run: DrawRun, member: PanelMember) -> Outcome:
    link = (
        invitation_link(assembly, invitation_token(member))
        if member.token_hash is not None
        else ""
    )
    if member.status == SeatStatus.ACCEPTED:
        return Outcome(
            "accepted",
            _("You were drawn for the panel and you have accepted your seat. Welcome!"),
            link,
            _("Your invitation and the sessions"),
        )
    if holds_seat(member):
        if not link:
            return Outcome(
                "drawn",
                _("You have been drawn for the panel! You will receive an invitation soon."),
            )
        deadline = _deadline(run)
        return Outcome(
            "drawn",
            _(
                "You have been drawn for the panel! Please answer the invitation before the "
                "end of %(date)s.",
                date=deadline,
            )
            if deadline
            else _("You have been drawn for the panel! Please answer the invitation."),
            link,
            _("Answer the invitation"),
        )
    return Outcome(
        "left",
        _(
            "You were drawn for the panel, but you are not taking part. Your seat went to "
            "someone else."
        ),
    )


# --- e-mail ------------------------------------------------------------------------------------


def _render(template: str, **context: object) -> str:
    # Straight from the Jinja environment: mail may be written outside a request.
    return current_app.jinja_env.get_template(template).render(**context)


def send_outcomes(session: Session, assembly: Assembly, run: DrawRun) -> int:
    """Tell everyone in the lottery who is not on the panel: reserve, or not drawn.

    Once per run (``outcomes_sent_at``); returns how many messages were queued.
    """
    if run.outcomes_sent_at is not None:
        return 0
    found = result(session, run)
    on_panel = {s.registration.id for s in found.seats + found.former}
    reserve_rank = {r.registration.id: r.rank for r in found.reserves}
    sent = 0
    with force_locale("nl"):
        for _person, registration in found.people:
            if (
                registration.id in on_panel
                or not registration.email
                or registration.withdrawn_at is not None
                or registration.purged_at is not None
            ):
                continue
            rank = reserve_rank.get(registration.id)
            subject = (
                _("You are a reserve for %(name)s", name=assembly.name)
                if rank is not None
                else _("The outcome of the lottery for %(name)s", name=assembly.name)
            )
            body = _render(
                "draw/outcome_mail.txt",
                assembly=assembly,
                name=registration.name,
                rank=rank,
                link_base=configured().base_url,
            )
            queue_mail(session, registration.email, subject, body, assembly_id=assembly.id)
            sent += 1
    run.outcomes_sent_at = utcnow()
    session.add(run)
    return sent


def send_acceptance(
    session: Session, assembly: Assembly, registration: Registration
) -> bool:
    """After "yes, I will take part": a confirmation with the sessions (when there is an
    e-mail address); returns whether a message was queued."""
    if not registration.email:
        return False
    available = availability_of(session, registration)
    with force_locale("nl"):
        sessions = [
            (session_date_label(item), item.id in available)
            for item in load_session_dates(session, assembly)
        ]
        subject = _("Confirmation: you take part in %(name)s", name=assembly.name)
        body = _render(
            "draw/accepted_mail.txt",
            assembly=assembly,
            name=registration.name,
            sessions=sessions,
            asked=bool(available),
        )
    queue_mail(session, registration.email, subject, body, assembly_id=assembly.id)
    return True
