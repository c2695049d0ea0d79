"""The organiser's editor of the category questions: add, change, reorder and delete
questions with their answers (each answer a category value with its population share).

An answer someone chose, and a question someone answered, cannot be removed: the pool and
its anonymous counts refer to them. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from .. import audit
from ..audit import Actor
from ..errors import ServiceError
from ..models import (
    Assembly,
    CategoryOption,
    CategoryQuestion,
    PoolCountSnapshot,
    RegistrationAnswer,
)
from .questions import load_questions
from .shares import ShareInvalid, check_category_total, parse_share


class QuestionInvalid(ServiceError):
    """``errors`` maps ``field`` or ``options-<row>-<field>`` to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__()
        self.errors = errors


class QuestionInUse(ServiceError):
    """People answered this question (or one of its options), so it cannot go."""

    message = _l(
        "This question has already been answered by people who registered, so it "
        "cannot be deleted. You can still change its text."
    )


@dataclass(frozen=True)
class OptionData:
    option_id: int | None
    value: str
    label: str
    label_en: str = ""
    share: str = ""  # a percentage as typed: "51", "51,5" or "51%"
    prefer_not: bool = False

    @property
    def empty(self) -> bool:
        return not (self.value or self.label or self.label_en or self.share)


@dataclass(frozen=True)
class QuestionData:
    question_id: int | None
    category: str
    question: str
    question_en: str = ""
    special_category: bool = False
    options: list[OptionData] = field(default_factory=list)


# An answer row that will be saved: its row in the editor, what was typed, its share.
_Row = tuple[int, OptionData, float | None]


def _key(value: str) -> str:
    # The sortition engine matches values regardless of case and spaces, so must we.
    return " ".join(value.split()).casefold()


def _tidy(value: str) -> str:
    return " ".join(value.split())


def answered_questions(session: Session, assembly: Assembly) -> dict[int, int]:
    """Per question id: how many registrations answered it."""
    query = (
        select(RegistrationAnswer.question_id, func.count())
        .join(CategoryQuestion, col(RegistrationAnswer.question_id) == col(CategoryQuestion.id))
        .where(CategoryQuestion.assembly_id == assembly.id)
        .group_by(col(RegistrationAnswer.question_id))
    )
    return {question_id: int(n) for question_id, n in session.exec(query)}


def _options_in_use(session: Session, option_ids: list[int]) -> set[int]:
    if not option_ids:
        return set()
    query = select(RegistrationAnswer.option_id).where(
        col(RegistrationAnswer.option_id).in_(option_ids)
    )
    used = set(session.exec(query.distinct()))
    # Anonymous counts kept after a purge still refer to their options.
    kept = select(PoolCountSnapshot.option_id).where(
        col(PoolCountSnapshot.option_id).in_(option_ids)
    )
    return used | set(session.exec(kept.distinct()))


def _check_question(
    session: Session, assembly: Assembly, data: QuestionData, existing: list[CategoryOption]
) -> tuple[dict[str, str], list[_Row]]:
    errors: dict[str, str] = {}
    others = session.exec(
        select(CategoryQuestion.category).where(
            CategoryQuestion.assembly_id == assembly.id,
            CategoryQuestion.id != (data.question_id or 0),
        )
    ).all()
    if _key(data.category) in {_key(c) for c in others}:
        errors["category"] = _("Another question already has this category name.")
    rows: list[_Row] = []
    seen: set[str] = set()
    prefer_not_seen = False
    known = {o.id for o in existing}
    for index, option in enumerate(data.options):
        if option.empty:
            continue
        prefix = f"options-{index}-"
        if option.option_id is not None and option.option_id not in known:
            errors[prefix + "value"] = _("This answer does not belong to this question.")
        if not option.value:
            errors[prefix + "value"] = _("Fill in the category value.")
        elif _key(option.value) in seen:
            errors[prefix + "value"] = _("This value occurs twice.")
        seen.add(_key(option.value))
        if not option.label:
            errors[prefix + "label"] = _("Fill in the answer as people read it.")
        if option.prefer_not:
            if prefer_not_seen:
                errors[prefix + "prefer_not"] = _("Only one answer can be “Zeg ik liever niet”.")
            prefer_not_seen = True
        share = None
        try:
            share = parse_share(option.share)
        except ShareInvalid as error:
            errors[prefix + "share"] = error.text()
        rows.append((index, option, share))
    if len(rows) < 2:
        errors["options"] = _("Give at least two answers.")
    try:
        check_category_total(data.category, (share for _i, _o, share in rows))
    except ServiceError as error:
        errors["options"] = error.text()
    kept = {o.option_id for _i, o, _s in rows if o.option_id is not None}
    removed = [o for o in existing if o.id not in kept]
    in_use = _options_in_use(session, [o.id for o in removed if o.id is not None])
    if in_use:
        labels = ", ".join(o.label for o in removed if o.id in in_use)
        errors["options"] = _(
            "These answers were already chosen by people who registered and cannot be "
            "removed: %(labels)s.",
            labels=labels,
        )
    return errors, rows


def _options_of(session: Session, question: CategoryQuestion) -> list[CategoryOption]:
    query = select(CategoryOption).where(CategoryOption.question_id == question.id)
    return list(session.exec(query))


def save_question(
    session: Session, actor: Actor, assembly: Assembly, data: QuestionData
) -> CategoryQuestion:
    """Add a question or change one, with its options (in the order given; empty rows are
    skipped). Raises :class:`QuestionInvalid`."""
    assert assembly.id is not None
    if data.question_id is None:
        question = CategoryQuestion(assembly_id=assembly.id, category="", question="")
        last = session.exec(
            select(func.max(CategoryQuestion.position)).where(
                CategoryQuestion.assembly_id == assembly.id
            )
        ).one()
        question.position = (last or 0) + 1
        existing: list[CategoryOption] = []
    else:
        found = session.get(CategoryQuestion, data.question_id)
        if found is None or found.assembly_id != assembly.id:
            raise QuestionInvalid({"category": _("This question no longer exists.")})
        question = found
        existing = _options_of(session, question)
    errors, rows = _check_question(session, assembly, data, existing)
    if errors:
        raise QuestionInvalid(errors)

    question.category = _tidy(data.category)
    question.question = data.question
    question.question_en = data.question_en
    question.special_category = data.special_category
    session.add(question)
    session.flush()
    assert question.id is not None
    _save_options(session, question.id, existing, rows)
    audit.record(
        session,
        actor,
        "registration.question_saved" if data.question_id else "registration.question_added",
        question,
        {
            "category": question.category,
            "special_category": question.special_category,
            "values": [_tidy(r.value) for _i, r, _s in rows],
        },
        assembly=assembly,
    )
    return question


def _save_options(
    session: Session, question_id: int, existing: list[CategoryOption], rows: list[_Row]
) -> None:
    by_id = {o.id: o for o in existing}
    kept = {o.option_id for _i, o, _s in rows}
    for option in existing:
        if option.id not in kept:
            session.delete(option)
    # Values are unique per question: move the kept ones out of the way first, so that two
    # options can swap values in one save.
    new_values = {r.option_id: _tidy(r.value) for _i, r, _s in rows}
    for option in existing:
        if option.id in kept and new_values[option.id] != option.value:
            option.value = f"(moving {option.id})"
            session.add(option)
    session.flush()
    for position, (_index, row, share) in enumerate(rows, start=1):
        found = by_id.get(row.option_id) if row.option_id is not None else None
        option = found or CategoryOption(question_id=question_id, value="", label="")
        option.position = position
        option.value = _tidy(row.value)
        option.label = row.label
        option.label_en = row.label_en
        option.prefer_not = row.prefer_not
        option.population_share = share
        session.add(option)
    session.flush()


def delete_question(session: Session, actor: Actor, question: CategoryQuestion) -> None:
    """Raises :class:`QuestionInUse` when someone answered it."""
    answered = session.exec(
        select(RegistrationAnswer.registration_id).where(
            RegistrationAnswer.question_id == question.id
        )
    ).first()
    options = _options_of(session, question)
    if answered is not None or _options_in_use(session, [o.id for o in options if o.id]):
        raise QuestionInUse()
    for option in options:
        session.delete(option)
    session.flush()
    audit.record(
        session,
        actor,
        "registration.question_deleted",
        question,
        {"category": question.category},
        assembly=question.assembly_id,
    )
    session.delete(question)


def move_question(session: Session, actor: Actor, question: CategoryQuestion, step: int) -> None:
    """Swap the question with its neighbour above (``step`` -1) or below (+1)."""
    assembly = session.get(Assembly, question.assembly_id)
    assert assembly is not None
    ordered = [q for q, _o in load_questions(session, assembly)]
    index = next(i for i, q in enumerate(ordered) if q.id == question.id)
    other = index + step
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
        session.add(item)
    audit.record(
        session,
        actor,
        "registration.questions_reordered",
        assembly,
        {"order": [q.category for q in ordered]},
    )
