"""Which program this is: the release and a digest of its own source files.

A draw is checked with "the same program": the release number alone does not say that
(a site may run a changed copy), so the version carries the SHA-256 of the package's
source files as a local label, e.g. ``0.1.0+3fa2c1d9e0``. The web application publishes
this package as a wheel with exactly that version, and ``python -m sortition --version``
prints it, so anyone can see that they run the program the site used.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

#: The distributions this package is installed as: the web application, or the engine
#: alone (the wheel the transparency page offers).
DISTRIBUTIONS = ("burgerberaad-sortition", "burgerberaad")
PACKAGE_DIR = Path(__file__).resolve().parent


def source_files() -> list[Path]:
    """The package's Python files (its sub-packages' too), in a fixed order."""
    return sorted(PACKAGE_DIR.rglob("*.py"))


def relative_name(path: Path) -> str:
    """The file's name inside the package, with ``/`` between folders (``tables/plan.py``)."""
    return path.relative_to(PACKAGE_DIR).as_posix()


@lru_cache(maxsize=1)
def source_digest() -> str:
    """The first 10 hex digits of SHA-256 over the names and bytes of :func:`source_files`."""
    digest = hashlib.sha256()
    for path in source_files():
        data = path.read_bytes()
        digest.update(f"{relative_name(path)}\x00{len(data)}\x00".encode())
        digest.update(data)
    return digest.hexdigest()[:10]


def release() -> str:
    """The release number of the installed distribution (without a local label)."""
    for name in DISTRIBUTIONS:
        try:
            return metadata.version(name).split("+")[0]
        except metadata.PackageNotFoundError:
            continue
    return "0"


def version() -> str:
    """``<release>+<source digest>``: names exactly this program."""
    return f"{release()}+{source_digest()}"


__all__ = ["DISTRIBUTIONS", "release", "source_digest", "source_files", "version"]
