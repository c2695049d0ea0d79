"""axe-core, the accessibility engine, injected into a page under test.

The script is vendored (``vendor/axe.min.js``, see ``vendor/README.md``) and evaluated
through Playwright's DevTools connection, so a Content-Security-Policy that forbids inline
scripts does not stop the audit and the page needs no change to be audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

VENDOR = Path(__file__).parent / "vendor"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
# The impacts that fail the audit; "moderate" and "minor" ones are reported only.
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def axe_checksum() -> str:
    return hashlib.sha256((VENDOR / "axe.min.js").read_bytes()).hexdigest()


@dataclass(frozen=True)
class Violation:
    """One axe rule that fails on a page, with the elements where it fails."""

    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.page}: {self.rule} ({self.impact}) {self.help} at {where}"


@dataclass
class Audit:
    """The result of axe on one page."""

    page: str
    url: str
    violations: list[Violation] = field(default_factory=list)
    # What axe could not decide by itself (for example contrast over an image): reported
    # for a person to look at, never a failure.
    needs_review: list[Violation] = field(default_factory=list)
    rules_passed: int = 0

    @property
    def blocking(self) -> list[Violation]:
        return [v for v in self.violations if v.impact in BLOCKING]


def audit(page: Page, name: str) -> Audit:
    """Run every axe rule (WCAG 2.0/2.1 A and AA and axe's best practices) on ``page`` as it
    is now, and return what fails."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']},
            resultTypes: ['violations', 'incomplete'],
        })"""
    )
    result = Audit(name, page.url, rules_passed=len(found.get("passes", [])))
    result.violations = [_violation(name, rule) for rule in found["violations"]]
    result.needs_review = [_violation(name, rule) for rule in found["incomplete"]]
    sideways = page.evaluate(SIDEWAYS_JS)
    if sideways:
        result.violations.append(Violation(
            name, "reflow", "serious",
            "The page must not scroll sideways (WCAG 1.4.10); what sticks out:",
            tuple(sideways),
        ))  # fmt: skip
    return result


# WCAG 1.4.10 (reflow), which axe does not check: the page fits the width of the screen, so
# nobody on a phone scrolls sideways to read a line. A wide table may scroll inside its own
# box (.table-scroll), never the page. Returns the outermost elements that stick out.
SIDEWAYS_JS = r"""() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [...document.body.querySelectorAll('*')].filter(el =>
    el.getBoundingClientRect().right > width + 1 &&
    !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1));
  return out.slice(0, 10).map(el => el.tagName.toLowerCase() +
    (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/).join('.') : ''));
}"""


def _violation(page: str, rule: dict[str, Any]) -> Violation:
    targets = tuple(
        " ".join(str(part) for part in node.get("target", [])) for node in rule["nodes"]
    )
    return Violation(page, rule["id"], rule.get("impact") or "minor", rule["help"], targets)
