"""The packages' layers, checked on every import statement in the source.

- ``sortition`` (the engine) imports neither the web application nor Flask or a database.
- The core of the application (database, models, jobs, audit, mail, access, settings and
  the other shared helpers) imports no stage.
- The stages follow the journey: a stage may use an earlier stage's services (the draw
  reads the registrations), never a later one's (a later stage reacts through
  ``assembly.signals``), and no stage imports another stage's views.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The stages in the order of the journey; each may import the ones before it.
JOURNEY = (
    "dashboard",
    "recruitment",
    "questionnaire",
    "registration",
    "pool",
    "draw",
    "public",
    "demo",
)
# Modules above the journey, which may import every stage.
ABOVE = {"assembly", "assembly.cli"}
FORBIDDEN_IN_ENGINE = ("assembly", "flask", "sqlalchemy", "sqlmodel", "werkzeug")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, source: str | None = None) -> list[str]:
    """Every module ``path`` imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(source if source is not None else path.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
            # "from . import views" imports a module too
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "assembly" and parts[1] in JOURNEY:
        return parts[1]
    return None


def violations(path: Path, source: str | None = None) -> list[str]:
    name = module_name(path)
    problems = []
    for imported in imports_of(path, source):
        if name.startswith("sortition"):
            if imported.split(".")[0] in FORBIDDEN_IN_ENGINE:
                problems.append(f"{name} imports {imported}: the engine stays pure")
            continue
        if name in ABOVE or not name.startswith("assembly"):
            continue
        target = stage_of(imported)
        if target is None:
            continue
        own = stage_of(name)
        if own is None:
            problems.append(f"{name} (core) imports the stage {imported}")
        elif own != target and ".views" in imported + ".":
            problems.append(f"{name} imports another stage's views: {imported}")
        elif own != target and JOURNEY.index(target) > JOURNEY.index(own):
            problems.append(f"{name} imports the later stage {imported}: use a signal")
    return problems


def sources() -> list[Path]:
    return sorted([*(ROOT / "assembly").rglob("*.py"), *(ROOT / "sortition").rglob("*.py")])


def test_the_layers_hold() -> None:
    found = [problem for path in sources() for problem in violations(path)]
    assert found == []


def test_a_forbidden_import_is_found() -> None:
    engine = ROOT / "sortition" / "leximin.py"
    assert violations(engine, "import flask\n")
    core = ROOT / "assembly" / "mail" / "__init__.py"
    assert violations(core, "from ..draw import service\n")
    earlier = ROOT / "assembly" / "registration" / "service.py"
    assert violations(earlier, "from ..draw.service import give_up_seat\n")
    assert violations(earlier, "def f():\n    from ..pool import service\n")
    later = ROOT / "assembly" / "draw" / "engine.py"
    assert violations(later, "from ..registration import views\n")
    assert not violations(later, "from ..pool.eligibility import eligible_pool\n")
