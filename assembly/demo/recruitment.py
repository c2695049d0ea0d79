"""Synthetic address list and letters for the demo assembly (made-up data only)."""

from __future__ import annotations

import io
import random

from sqlmodel import Session

from ..models import Assembly, InvitationBatch
from ..recruitment.addresses import AddressReport, import_addresses
from ..recruitment.lottery import DrawRequest, draw_batch

# The thirteen Zeeland municipalities: approximate population and a postcode range.
ZEELAND = (
    ("Middelburg", 49600, 4330),
    ("Vlissingen", 45000, 4380),
    ("Goes", 39000, 4460),
    ("Terneuzen", 55000, 4530),
    ("Hulst", 27600, 4560),
    ("Sluis", 23700, 4500),
    ("Borsele", 23100, 4450),
    ("Kapelle", 13200, 4420),
    ("Reimerswaal", 23400, 4410),
    ("Noord-Beveland", 7600, 4480),
    ("Veere", 22000, 4350),
    ("Schouwen-Duiveland", 34300, 4300),
    ("Tholen", 26600, 4690),
)
STREETS = (
    "Dorpsstraat",
    "Kerkstraat",
    "Molenweg",
    "Zeedijk",
    "Havenkade",
    "Stationsstraat",
    "Julianastraat",
    "Polderweg",
    "Schoolstraat",
    "Markt",
)
DEMO_SEED = "zeeland-demo-2025"


def address_csv(total: int = 20_000, seed: int = 2025) -> bytes:
    """About ``total`` addresses spread over the municipalities by population."""
    rng = random.Random(seed)  # our own generator: no global random state
    population = sum(p for _name, p, _pc in ZEELAND)
    out = io.StringIO()
    out.write(
        "address_id,street,house_number,postcode,city,municipality,district,residents_16plus\n"
    )
    n = 0
    for name, people, postcode in ZEELAND:
        for i in range(round(total * people / population)):
            n += 1
            number = f"{rng.randint(1, 250)}{rng.choice(('', '', '', 'a', 'b'))}"
            code = f"{postcode + rng.randint(0, 9)} {rng.choice('ABCDEGHJKLMNPRST')}"
            code += rng.choice("ABCDEGHJKLMNPRST")
            out.write(
                f"ZL{n:07d},{rng.choice(STREETS)},{number},{code},{name},{name},"
                f"{name} {'Noord' if i % 2 else 'Zuid'},{rng.choice((1, 1, 2, 2, 2, 3, 4))}\n"
            )
    return out.getvalue().encode()


def fill(
    session: Session, actor: str, assembly: Assembly, addresses: int = 20_000, letters: int = 10_000
) -> tuple[AddressReport, InvitationBatch]:
    report = import_addresses(session, actor, assembly, io.BytesIO(address_csv(addresses)))
    batch = draw_batch(session, actor, assembly, DrawRequest(letters=letters, seed=DEMO_SEED))
    return report, batch
