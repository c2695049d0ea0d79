"""The mail merge: the letters' rows for the print house (CSV) and for the PDF.

Every letter carries its registration code and the address of the registration page with
the code filled in (the QR code's link).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TypeAlias

from sqlalchemy import Select, select
from sqlmodel import Session, col

from ..models import Address, Assembly, Invitation, InvitationBatch
from . import codes

# Rows fetched from the database at a time.
BATCH_SIZE = 5000
# Batch, letter, street, house number, postcode, city and code of a letter.
LetterRows: TypeAlias = Select[int, int | None, str, str, str, str, str]

EXPORT_HEADER = (
    "batch",
    "letter",
    "street",
    "house_number",
    "postcode",
    "city",
    "code",
    "registration_url",
)


def registration_url(base_url: str, assembly: Assembly, code: str) -> str:
    return f"{base_url}/a/{assembly.slug}/aanmelden?code={codes.display(code)}"


def letter_rows_query(assembly: Assembly, batch_number: int | None = None) -> LetterRows:
    """Batch, letter, street, house number, postcode, city and code of every letter, in the
    order the print house gets them; the CSV and the PDF list letters the same way."""
    query = (
        select(
            col(InvitationBatch.number),
            col(Invitation.id),
            col(Address.street),
            col(Address.house_number),
            col(Address.postcode),
            col(Address.city),
            col(Invitation.code),
        )
        .join(InvitationBatch, col(Invitation.batch_id) == col(InvitationBatch.id))
        .join(Address, col(Invitation.address_id) == col(Address.id))
        .where(col(InvitationBatch.assembly_id) == assembly.id)
        .order_by(
            col(InvitationBatch.number),
            col(Address.postcode),
            col(Address.house_number),
            col(Invitation.id),
        )
        .execution_options(yield_per=BATCH_SIZE)
    )
    if batch_number is not None:
        query = query.where(col(InvitationBatch.number) == batch_number)
    return query


def mail_merge_rows(
    session: Session, assembly: Assembly, base_url: str, batch_number: int | None = None
) -> Iterable[str]:
    """The CSV for the print house, line by line: one letter per row."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(EXPORT_HEADER)
    yield flush()
    query = letter_rows_query(assembly, batch_number)
    for number, letter, street, house_number, postcode, city, code in session.execute(query):
        writer.writerow(
            (
                number,
                letter,
                street,
                house_number,
                postcode,
                city,
                codes.display(code),
                registration_url(base_url, assembly, code),
            )
        )
        if out.tell() > 65536:
            yield flush()
    yield flush()
