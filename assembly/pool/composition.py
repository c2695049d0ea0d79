"""What the pool looks like: its composition against the population, and how many people
answered the letters, per batch and per stratum of its lottery."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Invitation,
    InvitationBatch,
    PoolCountSnapshot,
    Registration,
    RegistrationAnswer,
)
from ..questionnaire.questions import load_questions
from ..recruitment.lottery import batches, stratum_column


@dataclass
class ValueCount:
    option: CategoryOption
    count: int
    share: float | None  # of everyone in the pool who answered the question
    target: float | None  # the population share

    @property
    def difference(self) -> float | None:
        if self.share is None or self.target is None:
            return None
        return self.share - self.target


@dataclass
class CategoryCount:
    question: CategoryQuestion
    values: list[ValueCount]
    total: int


def composition(session: Session, assembly: Assembly) -> list[CategoryCount]:
    """Per category value: people in the pool, their share and the population's share.

    The pool is everyone not withdrawn; people whose data was purged are counted from the
    anonymous counts kept at the purge.
    """
    live = session.exec(
        select(RegistrationAnswer.option_id, func.count())
        .join(Registration, col(RegistrationAnswer.registration_id) == col(Registration.id))
        .where(
            Registration.assembly_id == assembly.id,
            col(Registration.withdrawn_at).is_(None),
            col(Registration.purged_at).is_(None),
        )
        .group_by(col(RegistrationAnswer.option_id))
    )
    per_option: dict[int | None, int] = defaultdict(int)
    for option_id, n in live:
        per_option[option_id] += n
    snapshot = session.exec(
        select(PoolCountSnapshot.option_id, PoolCountSnapshot.people).where(
            PoolCountSnapshot.assembly_id == assembly.id
        )
    )
    for option_id, n in snapshot:
        per_option[option_id] += n
    result = []
    for question, options in load_questions(session, assembly):
        total = sum(per_option.get(o.id, 0) for o in options)
        values = [
            ValueCount(
                option=o,
                count=per_option.get(o.id, 0),
                share=per_option.get(o.id, 0) / total if total else None,
                target=None if o.prefer_not else o.population_share,
            )
            for o in options
        ]
        result.append(CategoryCount(question, values, total))
    return result


@dataclass
class StratumResponse:
    name: str
    letters: int = 0
    households: int = 0  # letters with at least one registration
    people: int = 0

    @property
    def rate(self) -> float | None:
        return self.households / self.letters if self.letters else None


@dataclass
class BatchResponse:
    batch: InvitationBatch
    strata: list[StratumResponse]
    total: StratumResponse


def response_rates(session: Session, assembly: Assembly) -> list[BatchResponse]:
    """Per letter batch and per stratum of its lottery: letters, households, people.

    Everyone who registered counts, also those who withdrew later or whose data was
    purged (the link to the letter stays; the address list keeps municipality and
    district after its purge).
    """
    result = []
    for batch in batches(session, assembly):
        column = stratum_column(batch.strata_kind)
        strata: dict[str, StratumResponse] = {}
        letters = session.exec(
            select(column, func.count())
            .select_from(Invitation)
            .join(Address, col(Invitation.address_id) == col(Address.id))
            .where(Invitation.batch_id == batch.id)
            .group_by(column)
        )
        for name, n in letters:
            strata[name] = StratumResponse(name, letters=n)
        registered = session.exec(
            select(
                column,
                func.count(func.distinct(Registration.invitation_id)),
                func.count(col(Registration.id)),
            )
            .select_from(Registration)
            .join(Invitation, col(Registration.invitation_id) == col(Invitation.id))
            .join(Address, col(Invitation.address_id) == col(Address.id))
            .where(Invitation.batch_id == batch.id, Registration.assembly_id == assembly.id)
            .group_by(column)
        )
        for name, households, people in registered:
            stratum = strata.setdefault(name, StratumResponse(name))
            stratum.households, stratum.people = households, people
        rows = [strata[name] for name in sorted(strata)]
        total = StratumResponse(
            "",
            letters=sum(s.letters for s in rows),
            households=sum(s.households for s in rows),
            people=sum(s.people for s in rows),
        )
        result.append(BatchResponse(batch, rows, total))
    return result


def other_channels(session: Session, assembly: Assembly) -> dict[str, int]:
    """People who registered without a letter, per channel."""
    query = (
        select(Registration.channel, func.count())
        .where(Registration.assembly_id == assembly.id, col(Registration.invitation_id).is_(None))
        .group_by(col(Registration.channel))
    )
    return {channel: n for channel, n in session.exec(query)}
