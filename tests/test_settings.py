"""Every setting is declared once (assembly.settings), read only through it, and documented."""

from __future__ import annotations

import re
from pathlib import Path

from assembly.settings import DEFAULT_SECRET_KEY, Settings, defaults, keys, settings

ROOT = Path(__file__).resolve().parent.parent
# Reading the configuration by key, e.g. app.config["X"] or current_app.config.get("X").
DIRECT_READ = re.compile(r"\.config(?:\[|\.get\()\s*[\"']([A-Z_][A-Z0-9_]*)[\"']")
ALLOWED_READERS = {"assembly/config.py", "assembly/settings.py"}


def direct_reads(source: str) -> list[str]:
    return DIRECT_READ.findall(source)


def test_the_scan_finds_a_direct_read() -> None:
    # The check below is only as good as this pattern.
    assert direct_reads('x = current_app.config.get("DRAW_SPEED", 3)') == ["DRAW_SPEED"]
    assert direct_reads("y = app.config['SECRET_KEY']") == ["SECRET_KEY"]


def test_code_reads_settings_only_through_the_settings_object() -> None:
    found = []
    for path in sorted((ROOT / "assembly").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED_READERS:
            continue
        found += [f"{relative}: {key}" for key in direct_reads(path.read_text())]
    assert found == [], "read these through assembly.settings.settings() (declare them there)"


def test_every_setting_is_in_readmes_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    missing = [k.name for k in keys() if k.documented and f"`BURGERBERAAD_{k.name}`" not in table]
    assert missing == []


def test_settings_are_typed_and_have_their_defaults(app) -> None:
    with app.app_context():
        config = settings()
        assert config.draw_time_limit is None
        assert config.login_max_failures_per_account == 5
        assert config.timezone.key == "Europe/Amsterdam"
    loose = Settings({"MAIL_PORT": "587", "DEV_OUTBOX": "true", "DRAW_TIME_LIMIT": "60"})
    assert loose.mail_port == 587 and loose.dev_outbox is True and loose.draw_time_limit == 60.0
    assert defaults("/srv/instance")["HUEY_PATH"] == "/srv/instance/jobs.db"
    assert defaults("/srv")["SECRET_KEY"] == DEFAULT_SECRET_KEY
