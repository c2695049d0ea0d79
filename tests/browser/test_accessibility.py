"""Accessibility: axe-core on every page the journey passes (public, participant and the
main organiser pages), and a keyboard-only pass through registration."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict

import pytest
from playwright.sync_api import Page, expect

from .axe import AXE_SHA256, AXE_VERSION, axe_checksum, axe_source
from .conftest import fresh_folder
from .harness import Facts, Journey

pytestmark = pytest.mark.browser

# Every page that must pass the audit, by the name the journey audits it under.
PAGES = [
    # public and participants (on a phone)
    "public assembly page",
    "registration: code",
    "registration: wrong code",
    "registration form",
    "registration form with an error",
    "thank-you page",
    "personal page",
    "invitation",
    "how the panel was drawn",
    "login",
    # staff (on a laptop)
    "dashboard",
    "assembly (staff)",
    "questions",
    "question editor",
    "recruitment",
    "recruitment with letters",
    "pool",
    "quota",
    "check",
    "draw overview",
    "draw overview with the panel",
    "draw overview (observer)",
]

# Pages the journey passes without looking (or not at all), audited after it: who opens
# them, and where.
MORE_PAGES: dict[str, tuple[str, Callable[[Facts], str]]] = {
    "registration: change": ("resident", lambda f: f"{f.personal_link}/wijzigen"),
    "registration: withdraw": ("resident", lambda f: f"{f.personal_link}/afmelden"),
    "registration: erase": ("resident", lambda f: f"{f.personal_link}/wissen"),
    "home page": ("public", lambda f: "/"),
    "page not found": ("public", lambda f: f"/a/{f.slug}/bestaat-niet"),
    "forgot password": ("public", lambda f: "/wachtwoord-vergeten"),
    "pool: register someone": ("organiser", lambda f: f"/beheer/a/{f.slug}/aanmeldingen/nieuw"),
    "pool: composition": ("organiser", lambda f: f"/beheer/a/{f.slug}/aanmeldingen/samenstelling"),
    "registration settings": ("organiser", lambda f: f"/beheer/a/{f.slug}/werving/instellingen"),
    "session dates": ("organiser", lambda f: f"/beheer/a/{f.slug}/werving/bijeenkomsten"),
    "privacy": ("organiser", lambda f: f"/beheer/a/{f.slug}/privacy"),
    "audit log": ("organiser", lambda f: f"/beheer/a/{f.slug}/audit"),
    "outbox": ("organiser", lambda f: "/dev/outbox"),
}

# Serious or critical findings accepted for now: (axe rule, page or "*") -> why.
# Every entry needs its reason; remove it when the page is fixed.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def test_the_vendored_axe_is_the_one_named_in_its_readme() -> None:
    assert axe_checksum() == AXE_SHA256
    assert axe_source().startswith(f"/*! axe v{AXE_VERSION}\n")


@pytest.fixture(scope="module")
def audited(walked: Journey) -> Journey:
    """The journey's audits and those of ``MORE_PAGES``."""
    if walked.failure is None:
        walked.current = "more pages"
        for name, (who, path) in MORE_PAGES.items():
            walked.open(who, path(walked.facts))
            walked.audit(who, name)
    return walked


def test_no_serious_or_critical_violations(audited: Journey) -> None:
    walked = audited
    report = walked.artifacts / "accessibility.json"
    report.write_text(
        json.dumps(
            {
                name: {
                    "url": found.url,
                    "violations": [asdict(v) for v in found.violations],
                    "needs_review": [asdict(v) for v in found.needs_review],
                }
                for name, found in walked.audits.items()
            },
            indent=1,
        )
    )
    missing = [name for name in [*PAGES, *MORE_PAGES] if name not in walked.audits]
    if missing and walked.failure is not None:
        pytest.fail(f"the journey stopped at “{walked.failed_step}”, so these pages were "
                    f"not audited: {', '.join(missing)}")  # fmt: skip
    assert not missing, f"pages never audited: {missing}"
    found = [
        str(v)
        for a in walked.audits.values()
        for v in a.blocking
        if (v.rule, v.page) not in EXCEPTIONS and (v.rule, "*") not in EXCEPTIONS
    ]
    assert not found, "axe finds serious or critical problems:\n" + "\n".join(found)


def test_every_exception_still_occurs(audited: Journey) -> None:
    """An exception whose problem is gone is removed, so the table stays true."""
    occurring = {(v.rule, v.page) for a in audited.audits.values() for v in a.blocking}
    rules = {rule for rule, _page in occurring}
    stale = [
        key
        for key in EXCEPTIONS
        if key not in occurring and not (key[1] == "*" and key[0] in rules)
    ]
    assert not stale, f"exceptions that no longer occur: {stale}"


# --- the keyboard ------------------------------------------------------------------------

# The outline and shadow of an element: what shows focus (static/style.css, :focus-visible).
FOCUS_STYLE_JS = """el => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0
    ? 'none' : [s.outlineStyle, s.outlineWidth, s.outlineColor].join(' ');
  return outline + ' | ' + s.boxShadow;
}"""
# Every control a person fills in or presses, numbered in document order (the honeypot,
# which is taken out of the tab order on purpose, is not one).
MARK_CONTROLS_JS = """() => {
  const controls = [...document.querySelectorAll(
    'main form input, main form select, main form textarea, main form button')]
    .filter(el => el.type !== 'hidden' && el.tabIndex >= 0 && !el.closest('.hp'));
  controls.forEach((el, i) => el.dataset.kb = i);
  return controls.map(el => ({kb: String(controls.indexOf(el)), type: el.type, name: el.name,
                               id: el.id}));
}"""
ACTIVE_JS = """() => {
  const el = document.activeElement;
  return {kb: el.dataset.kb ?? null, tag: el.tagName.toLowerCase(), type: el.type ?? '',
          name: el.name ?? '', label: el.name || el.id || el.textContent.trim(),
          inViewport: (() => {
            const r = el.getBoundingClientRect();
            return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
          })()};
}"""


def focus_style(page: Page, mark: str) -> str:
    return str(page.locator(f"[data-kb='{mark}']").evaluate(FOCUS_STYLE_JS))


def test_registration_with_the_keyboard_only(walked: Journey) -> None:
    """A neighbour, with the second letter's code, registers on a phone using only keys."""
    if len(walked.facts.letter_codes) < 2:
        pytest.fail(f"the journey stopped at “{walked.failed_step}”, before the letters")
    folder = fresh_folder("keyboard")
    phone = walked.open("neighbour", f"/a/{walked.facts.slug}/aanmelden")

    # The first Tab reaches the skip link, which shows itself and jumps to the content.
    phone.keyboard.press("Tab")
    skip = phone.locator(".skip-link")
    expect(skip).to_be_focused()
    assert phone.evaluate(ACTIVE_JS)["inViewport"], "the focused skip link is off the screen"
    phone.screenshot(path=str(folder / "01-skip-link.png"))
    phone.keyboard.press("Enter")
    expect(phone.locator("main")).to_be_focused()
    assert phone.url.endswith("#main")

    # From the content, Tab reaches the code field; Enter sends it.
    phone.keyboard.press("Tab")
    expect(phone.locator("input[name=code]")).to_be_focused()
    phone.keyboard.type(walked.facts.letter_codes[1])
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Aanmelden")

    controls = phone.evaluate(MARK_CONTROLS_JS)
    unfocused = {c["kb"]: focus_style(phone, c["kb"]) for c in controls}
    radio_groups = {c["name"] for c in controls if c["type"] == "radio"}
    reached: set[str] = set()
    groups_reached: set[str] = set()
    not_visible: list[str] = []
    values = {"name": "Tim Toetsenbord", "email": "tim.toetsenbord@voorbeeld.nl",
              "phone": "0612345679"}  # fmt: skip
    for _press in range(3 * len(controls) + 20):
        phone.keyboard.press("Tab")
        active = phone.evaluate(ACTIVE_JS)
        if active["kb"] is None:
            continue  # a link, or the page's header
        mark = active["kb"]
        if mark in reached:
            break
        reached.add(mark)
        if focus_style(phone, mark) == unfocused[mark]:
            not_visible.append(f"{active['tag']} {active['label']}")
        if active["type"] == "radio":
            # One Tab stop per group; the arrow keys choose within it, Space ticks.
            groups_reached.add(active["name"])
            phone.keyboard.press("ArrowDown")
            phone.keyboard.press("ArrowUp")
            expect(phone.locator(":focus")).to_be_checked()
        elif active["type"] == "checkbox" and active["name"] == "consent_privacy":
            phone.keyboard.press("Space")
        elif active["name"] in values:
            phone.keyboard.type(values[active["name"]])
        if active["type"] == "submit":
            phone.screenshot(path=str(folder / "02-submit-button-focused.png"), full_page=True)
            break

    radios = {c["kb"] for c in controls if c["type"] == "radio"}
    unreached = [
        f"{c['type']} {c['name'] or c['id']}"
        for c in controls
        if c["kb"] not in reached and c["kb"] not in radios
    ]
    assert not unreached, f"controls the Tab key never reaches: {unreached}"
    assert groups_reached == radio_groups, (
        f"radio groups never reached: {radio_groups - groups_reached}"
    )
    assert not not_visible, f"controls without a visible focus: {not_visible}"

    expect(phone.locator(":focus")).to_have_attribute("type", "submit")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bedankt voor uw aanmelding")
    phone.screenshot(path=str(folder / "03-registered.png"), full_page=True)
    assert re.search(r"/aanmelden/bedankt", phone.url)
