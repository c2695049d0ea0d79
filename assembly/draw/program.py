"""The program that checks a draw, as a wheel the transparency page offers for download.

``pip install <the wheel's address>`` installs exactly the engine this site runs
(``sortition/``, named ``burgerberaad-sortition``, version ``<release>+<digest of its
sources>``), with numpy, SciPy, HiGHS and threadpoolctl from the package index. The wheel is
built here from the package's own files, the same bytes every time (fixed timestamps and
order), so its address and content depend only on the code that runs.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from functools import lru_cache
from importlib import metadata

import sortition.version as engine_version

DISTRIBUTION = "burgerberaad-sortition"
# The engine's own dependencies, as the application declares them.
DEPENDENCIES = ("numpy", "scipy", "highspy", "threadpoolctl")
_EPOCH = (1980, 1, 1, 0, 0, 0)


def version() -> str:
    return engine_version.version()


def wheel_name() -> str:
    """``burgerberaad_sortition-<version>-py3-none-any.whl`` (the wheel naming rules)."""
    return f"{DISTRIBUTION.replace('-', '_')}-{version()}-py3-none-any.whl"


def _requirements() -> list[str]:
    try:
        declared = metadata.requires("burgerberaad") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - the application is installed
        declared = []
    found = []
    for requirement in declared:
        name = requirement.split(";")[0].strip()
        bare = name.split("[")[0]
        for separator in "<>=!~ ":
            bare = bare.split(separator)[0]
        if bare.lower() in DEPENDENCIES and ";" not in requirement:
            found.append(name)
    return found


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


@lru_cache(maxsize=1)
def wheel() -> bytes:
    """The wheel's bytes (built once per process)."""
    info = f"{DISTRIBUTION.replace('-', '_')}-{version()}.dist-info"
    files: list[tuple[str, bytes]] = [
        (f"sortition/{engine_version.relative_name(path)}", path.read_bytes())
        for path in engine_version.source_files()
    ]
    metadata_text = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {DISTRIBUTION}",
            f"Version: {version()}",
            "Summary: The sortition engine of Burgerberaad: fair panel draws (LEXIMIN), "
            "their check and replacements (python -m sortition).",
            "Requires-Python: >=3.11",
            *(f"Requires-Dist: {requirement}" for requirement in _requirements()),
            "",
        ]
    )
    files.append((f"{info}/METADATA", metadata_text.encode()))
    files.append(
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: burgerberaad\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
        )
    )
    record = [_record_line(name, data) for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return out.getvalue()
