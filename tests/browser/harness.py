"""The harness of the journey in a real browser: the people, their browsers, the shared
state, screenshots and the accessibility audit of every page on the way.

A journey is a list of small steps (``journey.py``); each step is a function of the
:class:`Journey` that acts as one or more people through their own browser (a context of
its own: cookies, viewport) and leaves what later steps need in ``journey.facts``.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from .axe import Audit, audit
from .server import Server

PHONE = ViewportSize(width=375, height=812)
LAPTOP = ViewportSize(width=1280, height=900)
# Long enough for a slow, shared CI machine; short enough that a missing button fails fast.
TIMEOUT_MS = 15_000
PASSWORD = "een lang wachtwoord voor de test"


@dataclass(frozen=True)
class Person:
    """Someone in the journey: staff log in with ``email``; residents do not."""

    role: str
    email: str = ""
    name: str = ""
    phone: bool = False


# Everyone who takes part, by the name the steps use.
PEOPLE = {
    "admin": Person("admin", "beheerder@gemeente-goes.nl", "Anna Beheer"),
    "organiser": Person("organiser", "organisator@gemeente-goes.nl", "Olaf Organisator"),
    "observer": Person("observer", "notaris@notariaat-goes.nl", "Noor Notaris"),
    "resident": Person("resident", "sanne.dejong@voorbeeld.nl", "Sanne de Jong", phone=True),
    "member": Person("member", phone=True),
    "public": Person("public", phone=True),
    "neighbour": Person("neighbour", phone=True),
}


@dataclass
class Facts:
    """What earlier steps found out and later steps need. A new stage adds its fields."""

    slug: str = "klimaat-goes"
    letter_codes: list[str] = field(default_factory=list)
    personal_link: str = ""
    invitation_link: str = ""
    seed: str = "07 12 19 33 41"
    downloads: Path | None = None
    verified: str = ""


@dataclass
class Step:
    name: str
    run: Callable[[Journey], None]


@dataclass
class StepResult:
    name: str
    seconds: float


class Journey:
    """The people, their browsers and what they found, walked step by step."""

    def __init__(self, server: Server, browser: Browser, artifacts: Path) -> None:
        self.server = server
        self.browser = browser
        self.artifacts = artifacts
        self.facts = Facts()
        self.contexts: dict[str, BrowserContext] = {}
        self.pages: dict[str, Page] = {}
        self.audits: dict[str, Audit] = {}
        self.done: list[StepResult] = []
        self.failure: BaseException | None = None
        self.failed_step = ""
        self.trace = ""
        self.seconds = 0.0
        self.audit_seconds = 0.0
        self.shot_seconds = 0.0
        self.current = ""
        self.last_person = ""
        self._shots = 0

    # --- people and their browsers -----------------------------------------------------

    def page(self, who: str) -> Page:
        """The browser tab of ``who`` (a phone for residents, a laptop for staff)."""
        self.last_person = who
        if who not in self.pages:
            person = PEOPLE[who]
            context = self.browser.new_context(
                viewport=PHONE if person.phone else LAPTOP,
                is_mobile=person.phone,
                has_touch=person.phone,
                accept_downloads=True,
                locale="nl-NL",
                timezone_id="Europe/Amsterdam",
            )
            context.set_default_timeout(TIMEOUT_MS)
            self.contexts[who] = context
            self.pages[who] = context.new_page()
        return self.pages[who]

    def url(self, path: str) -> str:
        return self.server.url + path

    def open(self, who: str, path: str) -> Page:
        page = self.page(who)
        page.goto(path if path.startswith("http") else self.url(path))
        return page

    def log_in(self, who: str, *, audit_as: str = "") -> Page:
        """``who`` logs in (auditing the login page as ``audit_as`` when given)."""
        page = self.open(who, "/inloggen")
        if audit_as:
            self.audit(who, audit_as)
        page.fill("input[name=email]", PEOPLE[who].email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(re.compile(r"/beheer/"))
        return page

    # --- evidence ----------------------------------------------------------------------

    def shot(self, who: str, label: str = "") -> None:
        """A full-page screenshot of ``who``'s tab, numbered in the order taken."""
        began = time.monotonic()
        self._shots += 1
        name = _file_name(f"{self._shots:02d} {self.current} {label or who}")
        self.page(who).screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)
        self.shot_seconds += time.monotonic() - began

    def audit(self, who: str, name: str) -> None:
        """Run axe on ``who``'s page as it is now, and take its screenshot."""
        began = time.monotonic()
        self.audits[name] = audit(self.page(who), name)
        self.audit_seconds += time.monotonic() - began
        self.shot(who, name)

    # --- walking -----------------------------------------------------------------------

    def walk(self, steps: list[Step]) -> None:
        """Take the steps in order, stopping at the first that fails (kept in ``failure``)."""
        started = time.monotonic()
        for step in steps:
            self.current = step.name
            began, shots = time.monotonic(), self._shots
            try:
                step.run(self)
                if self._shots == shots and self.last_person:
                    self.shot(self.last_person)  # every step leaves a picture
            except Exception as error:  # noqa: BLE001 - reported by the journey test
                self.failure, self.failed_step = error, step.name
                self.trace = traceback.format_exc()
                for who in self.pages:
                    self._failure_shot(who)
                break
            self.done.append(StepResult(step.name, time.monotonic() - began))
        self.seconds = time.monotonic() - started

    @property
    def walk_seconds(self) -> float:
        """The time of the steps without the evidence taken on the way (the accessibility
        audits and the screenshots), which belong to the audit and to CI's record."""
        return self.seconds - self.audit_seconds - self.shot_seconds

    def _failure_shot(self, who: str) -> None:
        try:
            self.shot(who, f"FAILED {who}")
        except Exception:  # noqa: BLE001 - a page that cannot be photographed
            pass

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()

    def summary(self) -> str:
        lines = [f"{r.seconds:6.2f} s  {r.name}" for r in self.done]
        if self.failure is not None:
            lines.append(f"FAILED  {self.failed_step}: {self.failure}")
        lines.append(f"{self.walk_seconds:6.2f} s  the walk itself")
        lines.append(
            f"{self.seconds:6.2f} s  in all, of which {self.audit_seconds:.2f} s "
            f"in {len(self.audits)} accessibility audits, {self.shot_seconds:.2f} s in "
            f"{self._shots} screenshots"
        )
        return "\n".join(lines)


def _file_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


StepFunction = Callable[["Journey"], None]


def journey_steps() -> tuple[list[Step], Callable[[str], Callable[[StepFunction], StepFunction]]]:
    """A new, empty list of steps and the decorator that appends a step to it."""
    steps: list[Step] = []

    def step(name: str) -> Callable[[StepFunction], StepFunction]:
        def add(run: StepFunction) -> StepFunction:
            steps.append(Step(name, run))
            return run

        return add

    return steps, step
