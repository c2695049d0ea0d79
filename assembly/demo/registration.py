"""The demo assembly's registration form: the five fixed category questions (shared by the
pool, quota and draw demos) and four session dates. Made-up contact details only."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from ..models import Assembly, Invitation, InvitationBatch, Registration
from ..questionnaire.editor import OptionData, QuestionData, save_question
from ..questionnaire.session_dates import SessionDateData, save_session_date
from ..recruitment import codes
from ..registration.settings import SettingsData, update_settings
from ..tabular import Table
from ..timeutil import from_local

CONTACT = "Team Burgerberaad Zorg Zeeland, 0118 - 123 456, burgerberaad@example.org"
# The five questions, one row per answer: category, question (nl, en), special category,
# value, answer (nl, en), population share (a percentage), "zeg ik liever niet".
QUESTIONS = Path(__file__).with_name("questions.csv")
COLUMNS = "category question question_en special value label label_en share prefer_not".split()
YES = "ja"

# (year, month, day, place) at 10:00 local time.
SESSIONS = ((2027, 2, 6, "Goes"), (2027, 3, 6, "Middelburg"), (2027, 4, 10, "Terneuzen"),
            (2027, 5, 15, "Goes"))  # fmt: skip


def demo_questions() -> list[QuestionData]:
    """The demo's questions with their answers, as the organiser's editor takes them."""
    questions: dict[str, QuestionData] = {}
    with QUESTIONS.open("rb") as stream:
        for row in Table(stream, columns={name: () for name in COLUMNS}).rows():
            category = row.get("category")
            question = questions.setdefault(
                category,
                QuestionData(
                    question_id=None,
                    category=category,
                    question=row.get("question"),
                    question_en=row.get("question_en"),
                    special_category=row.get("special") == YES,
                ),
            )
            question.options.append(
                OptionData(
                    option_id=None,
                    value=row.get("value"),
                    label=row.get("label"),
                    label_en=row.get("label_en"),
                    share=row.get("share"),
                    prefer_not=row.get("prefer_not") == YES,
                )
            )
    return list(questions.values())


def add_demo_form(session: Session, assembly: Assembly, actor: str = "cli:demo") -> None:
    """Questions, session dates and the contact; open registration stays off."""
    for question in demo_questions():
        save_question(session, actor, assembly, question)
    for number, (year, month, day, place) in enumerate(SESSIONS, start=1):
        starts = from_local(datetime(year, month, day, 10, 0))
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
