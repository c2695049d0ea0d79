"""About 800 made-up registrations for the demo assembly, with realistic self-selection.

People who answer an invitation to a citizens' assembly are not a sample of the
population: older, higher-educated and more concerned people answer more often; young
people and people with less formal education less often. The pool made here shows that
bias, so the composition page and the panel draw have something to correct. Everyone is
invented: Dutch names from common lists, e-mail addresses at example.org/example.nl.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from .. import audit
from ..models import (
    Address,
    Assembly,
    CategoryOption,
    CategoryQuestion,
    Channel,
    Invitation,
    InvitationBatch,
    Registration,
    RegistrationAnswer,
    RegistrationAvailability,
    SessionDate,
)
from ..questionnaire.questions import load_questions
from ..recruitment import codes
from ..registration.household import household_key
from ..timeutil import utcnow
from ..tokens import new_token, token_digest

DEMO_SEED = 2025
ACTOR = "cli:demo"

FIRST_NAMES_FEMALE = (
    "Anna", "Emma", "Sophie", "Julia", "Lotte", "Sanne", "Lisa", "Eva", "Anouk", "Fleur",
    "Maria", "Johanna", "Cornelia", "Wilhelmina", "Elisabeth", "Ingrid", "Marja", "Annelies",
    "Petra", "Monique", "Linda", "Esther", "Marieke", "Ilse", "Kim", "Nicole", "Sandra",
    "Yvonne", "Gerda", "Truus", "Riet", "Joke", "Henny", "Ans", "Tineke", "Willemijn",
    "Noor", "Tess", "Mila", "Saskia", "Fatima", "Samira", "Nadia", "Hanneke", "Jolanda",
)  # fmt: skip
FIRST_NAMES_MALE = (
    "Jan", "Piet", "Kees", "Willem", "Hendrik", "Cornelis", "Johannes", "Adriaan", "Marinus",
    "Pieter", "Jacob", "Dirk", "Gerrit", "Henk", "Bram", "Daan", "Lucas", "Thijs", "Sem",
    "Ruben", "Jeroen", "Martijn", "Sander", "Bas", "Erik", "Frank", "Hans", "Rob", "Ton",
    "Wim", "Koen", "Niels", "Joost", "Maarten", "Mohamed", "Ahmed", "Youssef", "Jesse",
    "Tim", "Stefan", "Leen", "Izaak", "Arie", "Teun", "Jaap",
)  # fmt: skip
FIRST_NAMES_OTHER = ("Alex", "Robin", "Sam", "Kim", "Charlie", "Noa", "Jip", "Luca")
SURNAMES = (
    "de Jonge", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
    "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk",
    "Dekker", "Verhoeven", "de Koning", "Kramer", "van der Meer", "Brouwer", "de Wit",
    "Dijkstra", "Schouten", "de Ruiter", "van der Linden", "Hoekstra", "Koster", "Prins",
    "Huisman", "Sinke", "Minnaard", "Verburg", "de Kam", "Louwerse", "Wisse", "Cijsouw",
    "Kodde", "Boone", "Geense", "Hamelink", "Janse", "Dregmans", "van Overbeeke",
    "Dieleman", "Quist", "Rijk", "Kosten", "Verstraate", "Harinck", "Lievense", "Baart",
    "Goedegebuure", "de Kok", "Moens", "de Smet", "Verhelst", "Schippers", "Adriaansen",
    "Maas", "Steketee", "Polderman", "Oggel", "Koppejan", "Roelse", "van Hoepen",
    "Yilmaz", "El Amrani", "Öztürk", "Bouzid", "Nguyen", "Kowalski",
)  # fmt: skip
EMAIL_DOMAINS = ("example.nl", "example.org", "example.nl", "example.nl")
ACCESSIBILITY = (
    "Ik gebruik een rolstoel.",
    "Ik hoor slecht; graag een ringleiding.",
    "Ik heb vervoer nodig, ik heb geen auto.",
    "Ik zie slecht; graag de stukken in grote letters.",
    "Ik loop met een rollator.",
    "Ik kan niet lang achter elkaar zitten.",
    "Ik lees niet zo goed; graag uitleg in gewone taal.",
)
DIETS = (
    "Vegetarisch",
    "Veganistisch",
    "Glutenvrij",
    "Halal",
    "Geen varkensvlees",
    "Lactosevrij",
    "Notenallergie",
    "Diabetes: graag suikervrij",
)

# Which part of Zeeland each municipality is in (the demo's "regio" category).
REGIONS = {
    "Middelburg": "Walcheren",
    "Vlissingen": "Walcheren",
    "Veere": "Walcheren",
    "Terneuzen": "Zeeuws-Vlaanderen",
    "Hulst": "Zeeuws-Vlaanderen",
    "Sluis": "Zeeuws-Vlaanderen",
    "Goes": "Oosterschelderegio",
    "Borsele": "Oosterschelderegio",
    "Kapelle": "Oosterschelderegio",
    "Reimerswaal": "Oosterschelderegio",
    "Noord-Beveland": "Oosterschelderegio",
    "Schouwen-Duiveland": "Schouwen-Duiveland en Tholen",
    "Tholen": "Schouwen-Duiveland en Tholen",
}
# Households that answer a letter, by municipality (about 6.8% on average; Zorg Zeeland
# 2023 had 750+ sign-ups from 10,000 letters).
RESPONSE = {
    "Middelburg": 0.076,
    "Vlissingen": 0.053,
    "Veere": 0.082,
    "Terneuzen": 0.055,
    "Hulst": 0.058,
    "Sluis": 0.063,
    "Goes": 0.074,
    "Borsele": 0.069,
    "Kapelle": 0.078,
    "Reimerswaal": 0.061,
    "Noord-Beveland": 0.084,
    "Schouwen-Duiveland": 0.077,
    "Tholen": 0.064,
}
# How much more (or less) likely than average someone with this value registers.
PROPENSITY = {
    "geslacht": {"vrouw": 1.05, "man": 0.96, "anders": 1.0},
    "leeftijd": {
        "16-24": 0.40, "25-34": 0.65, "35-49": 0.85, "50-64": 1.20, "65-79": 1.50, "80+": 0.65,
    },
    "opleiding": {"laag": 0.55, "middelbaar": 0.95, "hoog": 1.55},
    "zorgen": {"zeer bezorgd": 1.45, "enigszins bezorgd": 1.0, "niet bezorgd": 0.55},
}  # fmt: skip
# Chance of "zeg ik liever niet" where it is offered.
PREFER_NOT = {"geslacht": 0.01, "opleiding": 0.025, "zorgen": 0.04}
TWO_PERSON_HOUSEHOLDS = 0.12
STAFF = 40
STAFF_WITH_LETTER = 22
OPEN = 30
WITHDRAWN = 10


@dataclass
class _Question:
    question: CategoryQuestion
    options: list[CategoryOption]

    def by_value(self, value: str) -> CategoryOption | None:
        return next((o for o in self.options if o.value == value), None)


def _questions(session: Session, assembly: Assembly) -> dict[str, _Question]:
    return {q.category: _Question(q, options) for q, options in load_questions(session, assembly)}


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in " -"))


class _People:
    """Draws people: answers with the self-selection bias, names, contact details."""

    def __init__(self, rng: random.Random, questions: dict[str, _Question]) -> None:
        self.rng = rng
        self.questions = questions

    def answer(self, category: str, fixed: str | None = None) -> CategoryOption | None:
        q = self.questions.get(category)
        if q is None:
            return None
        if fixed is not None:
            return q.by_value(fixed)
        prefer_not = next((o for o in q.options if o.prefer_not), None)
        if prefer_not is not None and self.rng.random() < PREFER_NOT.get(category, 0.0):
            return prefer_not
        bias = PROPENSITY.get(category, {})
        real = [o for o in q.options if not o.prefer_not]
        weights = [(o.population_share or 0.0) * bias.get(o.value, 1.0) for o in real]
        if not any(weights):
            return self.rng.choice(real) if real else None
        return self.rng.choices(real, weights=weights)[0]

    def name(self, gender: str, surname: str | None = None) -> str:
        pool: tuple[str, ...] | None = {"vrouw": FIRST_NAMES_FEMALE, "man": FIRST_NAMES_MALE}.get(
            gender
        )
        if pool is None:
            pool = self.rng.choice((FIRST_NAMES_FEMALE, FIRST_NAMES_MALE, FIRST_NAMES_OTHER))
        return f"{self.rng.choice(pool)} {surname or self.rng.choice(SURNAMES)}"

    def contact(self, name: str, age: str) -> tuple[str, str]:
        rng = self.rng
        older = age in ("80+", "65-79")
        has_email = rng.random() < (0.55 if age == "80+" else 0.75 if older else 0.93)
        has_phone = rng.random() < (0.9 if older else 0.55) or not has_email
        email = ""
        if has_email:
            first, _, last = name.partition(" ")
            local = rng.choice(
                (
                    f"{first}.{last}",
                    f"{first[0]}.{last}",
                    f"{first}{rng.randint(1, 99)}",
                    f"{last}.{first[0]}",
                )
            )
            local = _ascii(local).lower().replace(" ", "").replace("-", "")
            email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        phone = f"+316{rng.randint(10_000_000, 99_999_999)}" if has_phone else ""
        return email, phone


def _value_of(option: CategoryOption | None) -> str:
    return option.value if option is not None else ""


def add_demo_registrations(session: Session, assembly: Assembly, seed: int = DEMO_SEED) -> int:
    """Fill the pool of ``assembly`` from its first letter batch; returns how many people.

    Rows are inserted in bulk (a few hundred milliseconds), not one by one through the
    registration service: no confirmation e-mails, one audit entry for the whole demo.
    """
    rng = random.Random(seed)  # our own generator: no global random state
    questions = _questions(session, assembly)
    people = _People(rng, questions)
    dates = list(
        session.exec(
            select(col(SessionDate.id)).where(SessionDate.assembly_id == assembly.id)
        )
    )
    letters = list(
        session.exec(
            select(Invitation.id, Address.municipality)
            .join(InvitationBatch, col(Invitation.batch_id) == col(InvitationBatch.id))
            .join(Address, col(Invitation.address_id) == col(Address.id))
            .where(InvitationBatch.assembly_id == assembly.id)
            .order_by(col(Invitation.id))
        )
    )
    now = utcnow()
    letters_out = now - timedelta(days=35)
    taken_references = set(session.exec(select(Registration.reference)))
    rows: list[dict[str, Any]] = []
    answers: dict[str, list[CategoryOption]] = {}

    def reference() -> str:
        while True:
            ref = "".join(rng.choice(codes.ALPHABET) for _ in range(8))
            if ref not in taken_references:
                taken_references.add(ref)
                return ref

    def person(
        channel: Channel, invitation_id: int | None, municipality: str | None, surname: str | None
    ) -> str:
        region = REGIONS.get(municipality or "")
        chosen = {
            category: people.answer(category, region if category == "regio" else None)
            for category in questions
        }
        gender, age = (_value_of(chosen.get("geslacht")), _value_of(chosen.get("leeftijd")))
        zorgen = chosen.get("zorgen")
        special_consent = zorgen is not None and not zorgen.prefer_not
        name = people.name(gender, surname)
        email, phone = people.contact(name, age)
        if channel == Channel.LETTER:
            # Most answer in the first week after the letters arrive.
            created = letters_out + timedelta(hours=min(rng.expovariate(1 / 160), 34 * 24))
        else:
            created = letters_out + timedelta(hours=rng.uniform(24, 34 * 24))
        ref = reference()
        rows.append(
            {
                "assembly_id": assembly.id,
                "invitation_id": invitation_id,
                "reference": ref,
                "household_key": household_key(invitation_id),
                "channel": channel,
                "name": name,
                "email": email,
                "phone": phone,
                "accessibility_needs": (
                    rng.choice(ACCESSIBILITY)
                    if rng.random() < (0.2 if age == "80+" else 0.05)
                    else ""
                ),
                "dietary_needs": rng.choice(DIETS) if rng.random() < 0.15 else "",
                "consent_privacy_at": created,
                "consent_special_at": created if special_consent else None,
                "created_at": created,
                "updated_at": created,
                "withdrawn_at": None,
                "purged_at": None,
                "token_hash": token_digest(new_token()),
            }
        )
        answers[ref] = [o for o in chosen.values() if o is not None]
        return name.split(" ", 1)[1]

    for invitation_id, municipality in letters:
        if rng.random() >= RESPONSE.get(municipality, 0.065):
            continue
        surname = person(Channel.LETTER, invitation_id, municipality, None)
        if rng.random() < TWO_PERSON_HOUSEHOLDS:
            same_surname = surname if rng.random() < 0.6 else None
            person(Channel.LETTER, invitation_id, municipality, same_surname)
    # Some people phone in with their letter at hand: staff enter them with its code.
    answered = {r["invitation_id"] for r in rows}
    unanswered = [letter for letter in letters if letter[0] not in answered]
    for invitation_id, municipality in rng.sample(
        unanswered, min(STAFF_WITH_LETTER, len(unanswered))
    ):
        person(Channel.STAFF, invitation_id, municipality, None)
    municipalities = sorted(REGIONS)
    for _ in range(STAFF - STAFF_WITH_LETTER):
        person(Channel.STAFF, None, rng.choice(municipalities), None)
    for _ in range(OPEN):
        person(Channel.OPEN, None, rng.choice(municipalities), None)
    for row in rng.sample(rows, min(WITHDRAWN, len(rows))):
        row["withdrawn_at"] = row["created_at"] + timedelta(days=rng.uniform(1, 10))
        row["updated_at"] = row["withdrawn_at"]

    if not rows:
        return 0
    # Core rows through the session's connection: no ORM bookkeeping per person.
    connection = session.connection()
    connection.execute(insert(Registration), rows)
    ids = dict(
        session.exec(
            select(Registration.reference, Registration.id).where(
                Registration.assembly_id == assembly.id
            )
        ).all()
    )
    answer_rows = [
        {"registration_id": ids[ref], "question_id": option.question_id, "option_id": option.id}
        for ref, options in answers.items()
        for option in options
    ]
    connection.execute(insert(RegistrationAnswer), answer_rows)
    availability_rows = []
    for ref in answers:
        if not dates:
            break
        free = [d for d in dates if rng.random() < 0.85] or [rng.choice(dates)]
        availability_rows += [{"registration_id": ids[ref], "session_date_id": d} for d in free]
    if availability_rows:
        connection.execute(insert(RegistrationAvailability), availability_rows)
    audit.record(
        session,
        ACTOR,
        "pool.demo",
        assembly,
        {
            "registrations": len(rows),
            "withdrawn": sum(1 for r in rows if r["withdrawn_at"]),
            "seed": seed,
        },
    )
    return len(rows)
