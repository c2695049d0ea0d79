"""Files that staff download: exports, mail merges and letters."""

from __future__ import annotations

import io
from typing import IO

from flask import Response, send_file


def private_download(body: bytes | IO[bytes], *, mimetype: str, name: str) -> Response:
    """``body`` as an attachment named ``name`` that no cache may keep.

    Every staff download holds personal data or registration codes, so none of them may
    stay in a shared or browser cache.
    """
    source = io.BytesIO(body) if isinstance(body, bytes) else body
    response = send_file(source, mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
