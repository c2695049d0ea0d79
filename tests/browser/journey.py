"""The journey of one assembly, step by step, as far as it is built.

Each step is a small function of the :class:`~tests.browser.harness.Journey`, run in the
order written here. A later stage (sessions, voting, the akkoord) appends its steps at the
end of this file with ``@step("…")``, reading and adding ``journey.facts``. Where a page
is one a resident or organiser relies on, the step audits it (``journey.audit``); the
accessibility test then checks every audit (``test_accessibility.py``).
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess
import sys
import time
from datetime import date, timedelta

from playwright.sync_api import FilePayload, Locator, Page, expect
from sqlmodel import select

from assembly.auth.service import create_user
from assembly.dashboard.service import add_member
from assembly.db import get_session
from assembly.models import Assembly, Role

from .harness import PASSWORD, PEOPLE, Journey, journey_steps

JOURNEY, step = journey_steps()

ASSEMBLY_NAME = "Burgerberaad Klimaat Goes"
PANEL_SIZE = 4
RESERVES = 2
LETTERS = 20
# The registration questions: category, question, [(value, answer, population share %)];
# a share of None is the "Zeg ik liever niet" answer.
QUESTIONS: list[tuple[str, str, list[tuple[str, str, str | None]]]] = [
    ("geslacht", "Wat is uw geslacht?",
     [("vrouw", "Vrouw", "50"), ("man", "Man", "50"), ("onbekend", "Zeg ik liever niet", None)]),
    ("leeftijd", "Hoe oud bent u?",
     [("16-39", "16 tot 40 jaar", "35"), ("40-64", "40 tot 65 jaar", "40"),
      ("65+", "65 jaar of ouder", "25")]),
]  # fmt: skip
# People who registered on paper at the information evening: name, geslacht, leeftijd.
PAPER = [
    ("Jan Bakker", "man", "65+"), ("Fatima el Amrani", "vrouw", "16-39"),
    ("Kees Verhoeven", "man", "40-64"), ("Ineke Jansen", "vrouw", "65+"),
    ("Mehmet Yilmaz", "man", "16-39"), ("Lotte de Wit", "vrouw", "40-64"),
    ("Pieter Hoek", "man", "40-64"), ("Anouk Smit", "vrouw", "16-39"),
    ("Gerrit Dekker", "man", "65+"), ("Priya Ramdin", "vrouw", "40-64"),
    ("Bram Visser", "onbekend", "16-39"),
]  # fmt: skip
MUNICIPALITIES = (("Goes", "Goes", 40), ("Kapelle", "Kapelle", 20))


def address_list() -> bytes:
    """A registry extract of 60 made-up addresses in two municipalities."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["adres_id", "straat", "huisnummer", "postcode", "woonplaats", "gemeente",
                     "bewoners_16plus"])  # fmt: skip
    number = 0
    for city, municipality, count in MUNICIPALITIES:
        for house in range(1, count + 1):
            number += 1
            writer.writerow([f"0664{number:012d}", "Dorpsstraat", str(house),
                             f"44{number % 90 + 10:02d} AB", city, municipality, "2"])  # fmt: skip
    return out.getvalue().encode("utf-8")


def paper_registrations() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["naam", "e-mail", "telefoon", "geslacht", "leeftijd"])
    for number, (name, gender, age) in enumerate(PAPER):
        email = name.lower().replace(" ", ".") + "@voorbeeld.nl"
        writer.writerow([name, email, f"06{number + 20000000:08d}", gender, age])
    return out.getvalue().encode("utf-8")


def make_staff(journey: Journey, slug: str, *who: str) -> None:
    """Give ``who`` (organiser, observer) an account with access to assembly ``slug``.

    Staff management is being built in parallel (P3: the admin's "Nieuwe medewerker" form
    at /beheer/mensen with a set-password mail, and /beheer/a/<slug>/team). Until it is
    merged this goes to the database through the services those pages will call; replace
    this function's body by those pages' steps then, and nothing else changes.
    """
    with journey.server.app_context():
        session = get_session()
        assembly = session.exec(select(Assembly).where(Assembly.slug == slug)).one()
        for name in who:
            person = PEOPLE[name]
            user = create_user(
                session, person.email, PASSWORD, Role(person.role), name=person.name,
                actor="test:browser",
            )  # fmt: skip
            add_member(session, "test:browser", user, assembly)
        session.commit()
        session.close()


def upload(page: Page, name: str, content: bytes, field: str = "file") -> None:
    csv_file = FilePayload(name=name, mimeType="text/csv", buffer=content)
    page.set_input_files(f"input[name={field}]", files=[csv_file])


def download(page: Page, link: str, journey: Journey) -> bytes:
    """Click the download link named ``link`` and return what the browser saved."""
    with page.expect_download() as arriving:
        page.get_by_role("link", name=link, exact=True).first.click()
    saved = arriving.value
    assert journey.facts.downloads is not None
    target = journey.facts.downloads / saved.suggested_filename
    saved.save_as(target)
    return target.read_bytes()


def reload_until(page: Page, target: Locator, seconds: float = 30) -> None:
    """Reload ``page`` until ``target`` shows: the page of a background job (an import, a
    lottery). Such pages reload themselves every few seconds; a person in a hurry presses
    reload, and so does the journey, to stay fast."""
    deadline = time.monotonic() + seconds
    while not target.is_visible():
        if time.monotonic() > deadline:
            expect(target).to_be_visible(timeout=1)  # fails, naming what did not show
        page.wait_for_timeout(250)
        page.reload()


# --- opzet: the administrator sets up the assembly and its staff --------------------------


@step("the administrator's account is made on the command line")
def admin_account(journey: Journey) -> None:
    admin = PEOPLE["admin"]
    journey.server.flask("create-admin", "--email", admin.email, "--name", admin.name,
                         "--password", PASSWORD)  # fmt: skip
    journey.facts.downloads = journey.artifacts / "downloads"
    journey.facts.downloads.mkdir(exist_ok=True)


@step("the administrator logs in")
def admin_logs_in(journey: Journey) -> None:
    page = journey.log_in("admin", audit_as="login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Burgerberaden")
    journey.audit("admin", "dashboard")


@step("the administrator creates the assembly")
def admin_creates_assembly(journey: Journey) -> None:
    page = journey.page("admin")
    page.get_by_role("link", name="Nieuw burgerberaad").click()
    page.fill("input[name=name]", ASSEMBLY_NAME)
    page.fill("input[name=slug]", journey.facts.slug)
    page.fill("input[name=region]", "Goes en Kapelle")
    page.fill("input[name=commissioning_bodies]", "Gemeente Goes, Gemeente Kapelle")
    page.fill("textarea[name=description]",
              "Hoe worden onze gemeenten klimaatneutraal? Inwoners denken mee.")  # fmt: skip
    page.fill("input[name=panel_size]", str(PANEL_SIZE))
    page.fill("input[name=reserves]", str(RESERVES))
    page.select_option("select[name=stage]", "recruitment")
    journey.shot("admin", "assembly form")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ASSEMBLY_NAME)
    journey.audit("admin", "assembly (staff)")


@step("the administrator gives an organiser and an observer access")
def admin_adds_staff(journey: Journey) -> None:
    make_staff(journey, journey.facts.slug, "organiser", "observer")


# --- werving: questions, addresses, letters -----------------------------------------------


@step("the organiser writes the registration questions")
def organiser_writes_questions(journey: Journey) -> None:
    page = journey.log_in("organiser")
    page.get_by_role("link", name=ASSEMBLY_NAME).click()
    page.get_by_role("link", name="Werving").first.click()
    page.get_by_role("link", name="Vragen en antwoorden").click()
    for category, question, answers in QUESTIONS:
        page.get_by_role("link", name="Vraag toevoegen").click()
        page.fill("input[name=category]", category)
        page.fill("input[name=question]", question)
        for row, (value, label, share) in enumerate(answers):
            page.fill(f"input[name=options-{row}-value]", value)
            page.fill(f"input[name=options-{row}-label]", label)
            if share is None:
                page.check(f"input[name=options-{row}-prefer_not]")
            else:
                page.fill(f"input[name=options-{row}-share]", share)
        if category == QUESTIONS[0][0]:
            journey.audit("organiser", "question editor")
        page.get_by_role("button", name="Vraag opslaan").click()
        expect(page.get_by_role("heading", name=question)).to_be_visible()
    journey.audit("organiser", "questions")


@step("the organiser imports the address list")
def organiser_imports_addresses(journey: Journey) -> None:
    page = journey.page("organiser")
    page.get_by_role("link", name="Werving").first.click()
    journey.audit("organiser", "recruitment")
    upload(page, "brp-extract.csv", address_list())
    page.get_by_role("button", name="Importeren").click()
    reload_until(page, page.locator(".flash-success"))
    expect(page.locator(".flash-success")).to_contain_text("60")
    journey.shot("organiser", "import done")


@step("the organiser draws the letters and downloads them for the print house")
def organiser_draws_letters(journey: Journey) -> None:
    page = journey.page("organiser")
    page.get_by_role("link", name="Werving").first.click()
    page.fill("input[name=letters]", str(LETTERS))
    page.fill("input[name=seed]", "klimaat-goes-brieven")
    page.get_by_role("button", name="Loten", exact=True).click()
    expect(page.get_by_role("table", name="Rondes brieven")).to_be_visible()
    journey.audit("organiser", "recruitment with letters")
    rows = list(csv.DictReader(io.StringIO(
        download(page, "CSV voor de drukker (ronde 1)", journey).decode("utf-8-sig")
    )))  # fmt: skip
    assert len(rows) == LETTERS
    journey.facts.letter_codes = [row["code"] for row in rows]
    assert all(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", c) for c in
               journey.facts.letter_codes)  # fmt: skip


# --- aanmelden: a resident registers on a phone --------------------------------------------


@step("a resident finds the assembly's page on a phone")
def resident_finds_the_page(journey: Journey) -> None:
    page = journey.open("resident", f"/a/{journey.facts.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ASSEMBLY_NAME)
    journey.audit("resident", "public assembly page")
    page.get_by_role("link", name="Aanmelden").click()
    journey.audit("resident", "registration: code")


@step("the resident mistypes the code from the letter, and is told so")
def resident_mistypes_code(journey: Journey) -> None:
    page = journey.page("resident")
    code = journey.facts.letter_codes[0]
    page.fill("input[name=code]", code[:-1] + ("A" if code[-1] != "A" else "B"))
    page.get_by_role("button", name="Verder").click()
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    journey.audit("resident", "registration: wrong code")


@step("the resident types the code from the letter")
def resident_types_code(journey: Journey) -> None:
    page = journey.page("resident")
    # Typed as people type it: lower case, without the hyphens.
    page.fill("input[name=code]", journey.facts.letter_codes[0].replace("-", "").lower())
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    journey.audit("resident", "registration form")


@step("the resident forgets to agree to the privacy notice, and is told so")
def resident_makes_a_mistake(journey: Journey) -> None:
    page = journey.page("resident")
    resident = PEOPLE["resident"]
    page.fill("input[name=name]", resident.name)
    page.fill("input[name=email]", resident.email)
    page.fill("input[name=phone]", "06 1234 5678")
    page.get_by_label("Vrouw", exact=True).check()
    page.get_by_label("40 tot 65 jaar").check()
    page.get_by_role("button", name="Aanmelding versturen").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(1)
    journey.audit("resident", "registration form with an error")


@step("the resident corrects it and registers")
def resident_registers(journey: Journey) -> None:
    page = journey.page("resident")
    page.get_by_role("alert").get_by_role("link").click()
    consent = page.locator("input[name=consent_privacy]")
    expect(consent).to_be_focused()
    consent.check()
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt voor uw aanmelding")
    journey.audit("resident", "thank-you page")
    journey.facts.personal_link = page.locator(".personal-link a").get_attribute("href") or ""
    assert "/aanmelding/" in journey.facts.personal_link


@step("the resident opens the personal link")
def resident_opens_personal_link(journey: Journey) -> None:
    page = journey.open("resident", journey.facts.personal_link)
    expect(page.locator("main")).to_contain_text(PEOPLE["resident"].name)
    journey.audit("resident", "personal page")


# --- de aanmeldingen: the pool ---------------------------------------------------------------


@step("the organiser imports the paper registrations")
def organiser_imports_paper(journey: Journey) -> None:
    page = journey.open("organiser", f"/beheer/a/{journey.facts.slug}/aanmeldingen/import")
    upload(page, "papieren-aanmeldingen.csv", paper_registrations())
    page.check("input[name=consent]")
    page.get_by_role("button", name="Importeren").click()
    expect(page.locator(".flash-success")).to_contain_text(str(len(PAPER)))
    # The pool shows the imported people; clearing the filter shows everyone.
    page.get_by_role("link", name="Wissen").click()
    expect(page.locator("main table")).to_contain_text(PEOPLE["resident"].name)
    journey.audit("organiser", "pool")


# --- de loting: quotas, the lottery, the seed, the observer ----------------------------------


@step("the organiser sets the quotas and checks them")
def organiser_sets_quotas(journey: Journey) -> None:
    page = journey.open("organiser", f"/beheer/a/{journey.facts.slug}/loting/")
    page.get_by_role("link", name="Quota", exact=True).click()
    # Older residents answer letters more often: allow them a wider margin.
    tolerance = page.get_by_role("row", name=re.compile("^65\\+")).locator("input").nth(1)
    tolerance.fill("10")
    page.get_by_role("button", name="De quota opslaan").click()
    expect(page.locator(".flash-success")).to_be_visible()
    journey.audit("organiser", "quota")
    page.get_by_role("link", name="Haalbaarheidscontrole").first.click()
    expect(page.locator(".flash-success")).to_contain_text(f"{len(PAPER) + 1} mensen")
    journey.audit("organiser", "check")


@step("the organiser computes the lottery and publishes it")
def organiser_computes(journey: Journey) -> None:
    page = journey.page("organiser")
    page.get_by_role("link", name="Loting", exact=True).first.click()
    journey.audit("organiser", "draw overview")
    page.get_by_role("button", name="De loterij berekenen").click()
    reload_until(page, page.locator("textarea[name=seed_method]"))
    journey.shot("organiser", "lottery computed")
    page.fill("textarea[name=seed_method]",
              "Vijf getallen van 1 tot 99, live getrokken door de burgemeester.")  # fmt: skip
    page.check("input[name=confirm]")
    page.get_by_role("button", name="Openbaar maken").click()
    expect(page.locator("input[name=seed]")).to_be_visible()


@step("the organiser enters the seed and draws the panel")
def organiser_enters_seed(journey: Journey) -> None:
    page = journey.page("organiser")
    page.fill("input[name=seed]", journey.facts.seed)
    page.check("input[name=witnessed]")
    page.get_by_role("button", name="Het panel loten").click()
    expect(page.get_by_role("table", name="Leden")).to_be_visible()
    expect(page.get_by_role("table", name="Leden").locator("tbody tr")).to_have_count(PANEL_SIZE)
    journey.audit("organiser", "draw overview with the panel")


@step("the observer countersigns the result")
def observer_countersigns(journey: Journey) -> None:
    page = journey.log_in("observer")
    page.goto(journey.url(f"/beheer/a/{journey.facts.slug}/loting/"))
    page.get_by_role("button", name="De uitslag mede ondertekenen").click()
    expect(page.locator("main")).to_contain_text(PEOPLE["observer"].name)
    journey.audit("observer", "draw overview (observer)")


@step("the organiser invites the panel by e-mail")
def organiser_invites(journey: Journey) -> None:
    page = journey.page("organiser")
    page.reload()
    page.fill("input[name=respond_by]", (date.today() + timedelta(days=14)).isoformat())
    page.check("form:has(input[name=respond_by]) input[name=confirm]")
    page.get_by_role("button", name="Iedereen uitnodigen die nog geen uitnodiging heeft").click()
    expect(page.locator(".flash-success")).to_be_visible()
    journey.shot("organiser", "invited")
    page.goto(journey.url("/dev/outbox"))
    found = re.search(rf"{re.escape(journey.server.url)}/a/{journey.facts.slug}/uitnodiging/\S+",
                      page.locator("main").inner_text())  # fmt: skip
    assert found, "no invitation in the outbox"
    journey.facts.invitation_link = found.group(0)
    journey.shot("organiser", "outbox")


@step("a member accepts the seat through the link in the e-mail")
def member_accepts(journey: Journey) -> None:
    page = journey.open("member", journey.facts.invitation_link)
    journey.audit("member", "invitation")
    page.get_by_role("button", name="Ja, ik doe mee").click()
    expect(page.locator(".lead")).to_contain_text("U doet mee")
    journey.shot("member", "accepted")
    organiser = journey.page("organiser")
    organiser.goto(journey.url(f"/beheer/a/{journey.facts.slug}/loting/"))
    expect(organiser.get_by_role("table", name="Leden")).to_contain_text("doet mee")


@step("anyone reads how the panel was drawn and verifies the downloads")
def public_verifies(journey: Journey) -> None:
    page = journey.open("public", f"/a/{journey.facts.slug}/")
    page.get_by_role("link", name="Hoe het panel is geloot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hoe het panel is geloot")
    expect(page.locator("main")).to_contain_text(journey.facts.seed)
    expect(page.locator("main")).to_contain_text("Een waarnemer heeft deze uitslag ondertekend.")
    journey.audit("public", "how the panel was drawn")
    check = page.get_by_role("region", name="Zelf controleren")
    files = check.get_by_role("listitem").get_by_role("link")
    # mensen.csv, quota.csv, loting.json, report.json, the replacements and the program
    assert files.count() == 6
    assert journey.facts.downloads is not None
    folder = journey.facts.downloads / "loting"
    folder.mkdir(exist_ok=True)
    for index in range(files.count()):
        with page.expect_download() as arriving:
            files.nth(index).click()
        arriving.value.save_as(folder / arriving.value.suggested_filename)
    # The program is installed by the page's first commands (the slow fresh-environment
    # test does that); here the suite's own environment runs the page's check.
    command = shlex.split(check.locator("pre").last.inner_text())
    assert command[:3] == ["python", "-m", "sortition"], command
    done = subprocess.run([sys.executable, *command[1:]], cwd=folder, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: the draw reproduces the report" in done.stdout, done.stdout
    journey.facts.verified = done.stdout
