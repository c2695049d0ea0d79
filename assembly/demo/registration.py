"""The demo assembly's registration form: the five fixed category questions (shared by the
pool, quota and draw demos) and four session dates. Made-up contact details only."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from ..models import Assembly, Invitation, InvitationBatch, Registration
from ..questionnaire.editor import OptionData, QuestionData, save_question
from ..questionnaire.session_dates import SessionDateData, save_session_date
from ..recruitment import codes
from ..registration.settings import SettingsData, update_settings

PREFER_NOT = ("onbekend", "Zeg ik liever niet", "I'd rather not say")
CONTACT = "Team Burgerberaad Zorg Zeeland, 0118 - 123 456, burgerberaad@example.org"

# category, question (nl, en), special category, options: (value, label nl, label en, share)
Option = tuple[str, str, str, float | None]
QUESTIONS: tuple[tuple[str, str, str, bool, tuple[Option, ...]], ...] = (
    (
        "geslacht",
        "Wat is uw geslacht?",
        "What is your gender?",
        False,
        (
            ("vrouw", "Vrouw", "Woman", 0.51),
            ("man", "Man", "Man", 0.485),
            ("anders", "Anders", "Other", 0.005),
            (*PREFER_NOT, None),
        ),
    ),
    (
        "leeftijd",
        "Hoe oud bent u?",
        "How old are you?",
        False,
        (
            ("16-24", "16 tot en met 24 jaar", "16 to 24 years", 0.12),
            ("25-34", "25 tot en met 34 jaar", "25 to 34 years", 0.13),
            ("35-49", "35 tot en met 49 jaar", "35 to 49 years", 0.20),
            ("50-64", "50 tot en met 64 jaar", "50 to 64 years", 0.26),
            ("65-79", "65 tot en met 79 jaar", "65 to 79 years", 0.22),
            ("80+", "80 jaar of ouder", "80 years or older", 0.07),
        ),
    ),
    (
        "opleiding",
        "Wat is uw hoogst afgeronde opleiding?",
        "What is the highest level of education you have completed?",
        False,
        (
            ("laag", "Basisschool, vmbo of mbo 1", "Primary school, vmbo or mbo level 1", 0.30),
            (
                "middelbaar",
                "Havo, vwo of mbo 2, 3 of 4",
                "Havo, vwo or mbo level 2, 3 or 4",
                0.40,
            ),
            ("hoog", "Hbo of universiteit", "Higher professional education or university", 0.30),
            (*PREFER_NOT, None),
        ),
    ),
    (
        "regio",
        "In welk deel van Zeeland woont u?",
        "In which part of Zeeland do you live?",
        False,
        (
            ("Walcheren", "Walcheren", "Walcheren", 0.30),
            ("Zeeuws-Vlaanderen", "Zeeuws-Vlaanderen", "Zeeuws-Vlaanderen", 0.27),
            ("Oosterschelderegio", "Oosterschelderegio", "Oosterschelde region", 0.27),
            (
                "Schouwen-Duiveland en Tholen",
                "Schouwen-Duiveland en Tholen",
                "Schouwen-Duiveland and Tholen",
                0.16,
            ),
        ),
    ),
    (
        "zorgen",
        "Hoe bezorgd bent u over de zorg in Zeeland in de toekomst?",
        "How concerned are you about healthcare in Zeeland in the future?",
        True,
        (
            ("zeer bezorgd", "Zeer bezorgd", "Very concerned", 0.35),
            ("enigszins bezorgd", "Enigszins bezorgd", "Somewhat concerned", 0.45),
            ("niet bezorgd", "Niet bezorgd", "Not concerned", 0.20),
            (*PREFER_NOT, None),
        ),
    ),
)

# (year, month, day, place) at 10:00 Dutch time.
SESSIONS = ((2027, 2, 6, "Goes"), (2027, 3, 6, "Middelburg"), (2027, 4, 10, "Terneuzen"),
            (2027, 5, 15, "Goes"))  # fmt: skip


def add_demo_form(session: Session, assembly: Assembly, actor: str = "cli:demo") -> None:
    """Questions, session dates and the contact; open registration stays off."""
    for category, text, text_en, special, options in QUESTIONS:
        rows = [
            OptionData(
                option_id=None,
                value=value,
                label=label,
                label_en=label_en,
                share="" if share is None else f"{share * 100:g}",
                prefer_not=value == PREFER_NOT[0],
            )
            for value, label, label_en, share in options
        ]
        data = QuestionData(None, category, text, text_en, special, rows)
        save_question(session, actor, assembly, data)
    dutch = ZoneInfo("Europe/Amsterdam")
    for number, (year, month, day, place) in enumerate(SESSIONS, start=1):
        starts = datetime(year, month, day, 10, 0, tzinfo=dutch).astimezone(UTC)
        save_session_date(
            session, actor, assembly, SessionDateData(None, f"Bijeenkomst {number}", starts, place)
        )
    settings = SettingsData(
        open_registration=False,
        registration_closes_at=assembly.registration_closes_at,
        organiser_contact=CONTACT,
        retention_months=assembly.retention_months,
    )
    update_settings(session, actor, assembly, settings)
    session.flush()


def unused_code(session: Session, assembly: Assembly) -> str | None:
    """A printed code nobody has registered with yet, for trying the registration page."""
    used = select(Registration.invitation_id).where(col(Registration.invitation_id).is_not(None))
    query = (
        select(Invitation.code)
        .join(InvitationBatch, col(Invitation.batch_id) == col(InvitationBatch.id))
        .where(InvitationBatch.assembly_id == assembly.id, col(Invitation.id).not_in(used))
        .order_by(col(Invitation.id))
        .limit(1)
    )
    code = session.exec(query).first()
    return codes.display(code) if code else None
