"""The category questions of an assembly, each with its options, in their order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import get_locale
from sqlmodel import Session, col, select

from ..models import Assembly, CategoryOption, CategoryQuestion

Questions = list[tuple[CategoryQuestion, list[CategoryOption]]]


def load_questions(session: Session, assembly: Assembly) -> Questions:
    """The assembly's questions in their order, each with its options in order."""
    questions = list(
        session.exec(
            select(CategoryQuestion)
            .where(CategoryQuestion.assembly_id == assembly.id)
            .order_by(col(CategoryQuestion.position), col(CategoryQuestion.id))
        )
    )
    options: dict[int | None, list[CategoryOption]] = {q.id: [] for q in questions}
    if questions:
        query = (
            select(CategoryOption)
            .where(col(CategoryOption.question_id).in_(list(options)))
            .order_by(col(CategoryOption.position), col(CategoryOption.id))
        )
        for option in session.exec(query):
            options[option.question_id].append(option)
    return [(q, options[q.id]) for q in questions]


def current_language() -> str:
    """The reader's language ("nl" outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else "nl"


def option_label(option: CategoryOption, locale: str | None = None) -> str:
    """The option as the reader reads it: the English label on English pages when given."""
    if locale is None:
        locale = current_language()
    return option.label_en if locale == "en" and option.label_en else option.label


def question_text(question: CategoryQuestion, locale: str | None = None) -> str:
    if locale is None:
        locale = current_language()
    return question.question_en if locale == "en" and question.question_en else question.question


def chosen_option(
    question: CategoryQuestion, options: Sequence[CategoryOption], answers: Mapping[int, int]
) -> CategoryOption | None:
    """The option of ``question`` chosen in ``answers`` (question id -> option id)."""
    chosen = answers.get(question.id) if question.id is not None else None
    return next((o for o in options if o.id == chosen), None) if chosen is not None else None
