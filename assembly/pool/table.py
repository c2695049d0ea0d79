"""The respondent pool as the organiser's table: search, filter, sort, a page at a time,
with each person's answers and household, and the counts above it."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_
from sqlmodel import Session, col, select

from ..models import Assembly, CategoryOption, Channel, Registration, RegistrationAnswer
from ..registration.contact import HOME_PREFIX, national_digits

PAGE_SIZE = 50
SORTS = ("newest", "oldest")
# A typed number is searched when it has at least this many digits.
MIN_PHONE_DIGITS = 4


class PoolStatus(StrEnum):
    """Where a registration stands, as the table shows and filters it."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    PURGED = "purged"


def status_of(registration: Registration) -> PoolStatus:
    if registration.purged_at is not None:
        return PoolStatus.PURGED
    if registration.withdrawn_at is not None:
        return PoolStatus.WITHDRAWN
    return PoolStatus.ACTIVE


def find(session: Session, assembly: Assembly, reference: str) -> Registration | None:
    query = select(Registration).where(
        Registration.assembly_id == assembly.id, Registration.reference == reference
    )
    return session.exec(query).first()


@dataclass(frozen=True)
class PoolQuery:
    """What the organiser asked the table for (all parts optional)."""

    search: str = ""
    options: tuple[int, ...] = ()  # CategoryOption ids; a person must have every one
    channel: str = ""
    status: str = ""
    sort: str = "newest"
    page: int = 1


@dataclass
class PoolRow:
    registration: Registration
    answers: dict[int, CategoryOption]  # question id -> the chosen option
    household_size: int

    @property
    def status(self) -> PoolStatus:
        return status_of(self.registration)


@dataclass
class PoolPage:
    rows: list[PoolRow]
    total: int
    page: int
    pages: int


def _stored_national_phone() -> ColumnElement[str]:
    # Numbers are stored in international form; staff type them the Dutch way.
    return func.replace(col(Registration.phone), HOME_PREFIX, "0")


def _conditions(assembly: Assembly, query: PoolQuery, *, personal: bool) -> list[Any]:
    conditions: list[Any] = [Registration.assembly_id == assembly.id]
    term = query.search.strip()
    if term:
        matches = [col(Registration.reference).icontains(term, autoescape=True)]
        if personal:
            matches += [
                col(Registration.name).icontains(term, autoescape=True),
                col(Registration.email).icontains(term, autoescape=True),
            ]
            digits = national_digits(term)
            if len(digits) >= MIN_PHONE_DIGITS:
                matches.append(_stored_national_phone().contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    for option_id in query.options:
        # IN (subquery) rather than a correlated EXISTS: SQLite then reads the option's
        # answers once instead of once per registration.
        chosen = select(RegistrationAnswer.registration_id).where(
            RegistrationAnswer.option_id == option_id
        )
        conditions.append(col(Registration.id).in_(chosen))
    if query.channel in set(Channel):
        conditions.append(Registration.channel == query.channel)
    withdrawn, purged = col(Registration.withdrawn_at), col(Registration.purged_at)
    if query.status == PoolStatus.ACTIVE:
        conditions += [withdrawn.is_(None), purged.is_(None)]
    elif query.status == PoolStatus.WITHDRAWN:
        conditions += [withdrawn.is_not(None), purged.is_(None)]
    elif query.status == PoolStatus.PURGED:
        conditions.append(purged.is_not(None))
    return conditions


def pool_page(
    session: Session, assembly: Assembly, query: PoolQuery, *, personal: bool = True
) -> PoolPage:
    """One page of the pool, with answers and household sizes in two extra queries.

    ``personal`` False searches only references (for observers, who see no names).
    """
    conditions = _conditions(assembly, query, personal=personal)
    total = session.exec(select(func.count()).select_from(Registration).where(*conditions)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, query.page), pages)
    created, key = col(Registration.created_at), col(Registration.id)
    order = (created.asc(), key.asc()) if query.sort == "oldest" else (created.desc(), key.desc())
    registrations = list(
        session.exec(
            select(Registration)
            .where(*conditions)
            .order_by(*order)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    answers: dict[int | None, dict[int, CategoryOption]] = defaultdict(dict)
    ids = [r.id for r in registrations]
    if ids:
        rows = session.exec(
            select(
                RegistrationAnswer.registration_id, RegistrationAnswer.question_id, CategoryOption
            )
            .join(CategoryOption, col(RegistrationAnswer.option_id) == col(CategoryOption.id))
            .where(col(RegistrationAnswer.registration_id).in_(ids))
        )
        for registration_id, question_id, option in rows:
            answers[registration_id][question_id] = option
    sizes = household_sizes(session, assembly, {r.household_key for r in registrations})
    return PoolPage(
        rows=[
            PoolRow(r, answers.get(r.id, {}), sizes.get(r.household_key, 0)) for r in registrations
        ],
        total=total,
        page=page,
        pages=pages,
    )


def household_sizes(session: Session, assembly: Assembly, keys: set[str]) -> dict[str, int]:
    """People in the pool (not withdrawn) per household key."""
    if not keys:
        return {}
    query = (
        select(Registration.household_key, func.count())
        .where(
            Registration.assembly_id == assembly.id,
            col(Registration.household_key).in_(sorted(keys)),
            col(Registration.withdrawn_at).is_(None),
        )
        .group_by(col(Registration.household_key))
    )
    return {key: n for key, n in session.exec(query)}


def household_of(session: Session, registration: Registration) -> list[Registration]:
    """Everyone else registered in the same household (with the same letter)."""
    query = (
        select(Registration)
        .where(
            Registration.assembly_id == registration.assembly_id,
            Registration.household_key == registration.household_key,
            Registration.id != registration.id,
        )
        .order_by(col(Registration.created_at))
    )
    return list(session.exec(query))


def counts(session: Session, assembly: Assembly) -> dict[str, int]:
    """How many people per status, for the summaries above the table and the composition.

    ``pool`` is everyone who did not withdraw, also those whose data was purged after the
    draw (the composition counts them from the snapshot); ``households`` are theirs.
    """
    withdrawn, purged = col(Registration.withdrawn_at), col(Registration.purged_at)
    total, withdrawn_count, purged_count, households = session.exec(
        select(
            func.count(),
            func.count(withdrawn),
            func.count(purged),
            func.count(func.distinct(case((withdrawn.is_(None), Registration.household_key)))),
        ).where(Registration.assembly_id == assembly.id)
    ).one()
    # Erased on request counts as both withdrawn and purged.
    both = session.exec(
        select(func.count()).where(
            Registration.assembly_id == assembly.id, purged.is_not(None), withdrawn.is_not(None)
        )
    ).one()
    return {
        "total": total,
        "active": total - withdrawn_count - purged_count + both,
        "withdrawn": withdrawn_count - both,
        "purged": purged_count,
        "pool": total - withdrawn_count,
        "households": households,
    }
