"""Address lists for the recruitment tests."""

from __future__ import annotations

import io

from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly

HEADER = "address_id,street,house_number,postcode,city,municipality,district,residents_16plus"


def csv_bytes(rows: list[str], header: str = HEADER, *, bom: bool = False, sep: str = ",") -> bytes:
    lines = [header, *rows]
    if sep != ",":
        lines = [line.replace(",", sep) for line in lines]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def address_rows(counts: dict[str, int], prefix: str = "A") -> list[str]:
    """``counts`` addresses per municipality, each with one adult."""
    rows = []
    for m, (municipality, n) in enumerate(sorted(counts.items())):
        for i in range(n):
            rows.append(
                f"{prefix}{m:02d}{i:06d},Dorpsstraat,{i + 1},4331 AB,{municipality},"
                f"{municipality},Wijk {i % 3},1"
            )
    return rows


def assembly(slug: str) -> Assembly:
    found = get_session().exec(select(Assembly).where(Assembly.slug == slug)).first()
    assert found is not None
    return found


def upload(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
