"""The invitation letters: the organiser's text with placeholders, and print-ready PDFs.

One A4 page per letter: the address block where a window envelope shows it, the letter
text, the registration code in large monospace type and a QR code to the registration page
with the code filled in. Letters go to residents of Dutch addresses, so they are always
written in Dutch, whatever language the organiser reads the site in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import IO, Any

import segno
from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session

from .. import audit
from ..errors import ServiceError
from ..models import Assembly
from ..timeutil import local_time
from . import codes
from .mail_merge import letter_rows_query

LETTER_LOCALE = "nl"
PLACEHOLDERS = ("aanhef", "code", "url", "sluitingsdatum", "assemblee")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The standard PDF fonts (no font files to ship) print the Windows-1252 character set.
PDF_ENCODING = "cp1252"
# Letters with a stroke have no decomposition into letter + accent; print the plain letter.
STROKED = str.maketrans("ŁłĐđĦħı", "LlDdHhi")

# --- the page (PDF points, origin bottom left) -------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
# The address block sits where the window of a Dutch window envelope shows it. Common
# windows (EA5/6 and C5/6 "venstercouverts", DIN C6/5, C5) start 15-20 mm from the left edge
# of the folded A4 and 39-45 mm from its top, and are 30-45 mm high and 90-105 mm wide
# (officeconsult.no, "Brevmaler: plassering av mottakerfelt i vinduskonvolutter", listing
# E6/5 40 mm, C6/5 39 mm, C5 44 mm from the top; DIN 5008 form B puts the address field
# 20 mm from the left and 45 mm from the top, 85 x 45 mm). Text from 22 mm and 49-64 mm
# from the top, at most 85 mm wide, is inside all of them with room for the letter to shift.
ADDRESS_X = 22 * mm
ADDRESS_TOP = 49 * mm
ADDRESS_WIDTH = 85 * mm
ADDRESS_SIZE, ADDRESS_LEADING = 11, 13.5
BODY_TOP = 98 * mm
BODY_SIZE, BODY_LEADING, MIN_BODY_SIZE = 11, 15, 8
PARAGRAPH_GAP = 8
CODE_BOX_BOTTOM = 24 * mm
CODE_BOX_HEIGHT = 52 * mm
BODY_BOTTOM = CODE_BOX_BOTTOM + CODE_BOX_HEIGHT + 6 * mm
BODY_TOP_Y = PAGE_HEIGHT - BODY_TOP
QR_SIZE = 40 * mm  # with the quiet zone of 4 modules: about 0.9 mm per module at version 5
QR_BORDER = 4
QR_ERROR = "m"  # 15% of the code may be damaged (a fold, a coffee ring) and it still reads


class LetterTextError(ServiceError):
    """The letter text cannot be printed as it stands."""

    field = "letter_text"


class UnknownPlaceholder(LetterTextError):
    """``args[0]``: the unknown names, in the order they occur."""

    message = _l("Unknown placeholder: %(names)s. You can use %(known)s.")

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            names=", ".join(f"{{{name}}}" for name in names),
            known=", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
        )
        self.args = (names,)


class StrayBrace(LetterTextError):
    """A ``{`` or ``}`` that is not part of a placeholder."""

    message = _l("A { or } that is not part of a placeholder. Remove it.")


class UnprintableCharacters(LetterTextError):
    """``args[0]``: the characters the letter fonts cannot print."""

    message = _l(
        "These characters cannot be printed in the letter: %(chars)s. Remove or replace them."
    )

    def __init__(self, chars: str) -> None:
        super().__init__(chars=" ".join(chars))
        self.args = (chars,)


class LetterTooLong(LetterTextError):
    """The text does not fit on the page, even in the smallest type."""

    message = _l("The text is too long for one page. Make it shorter.")


# --- the letter text ------------------------------------------------------------------------


def default_text(assembly: Assembly) -> str:
    """The standard letter, in plain Dutch, for assemblies that did not write their own."""
    with force_locale(LETTER_LOCALE):
        paragraphs = [
            "{aanhef},",
            _(
                "You have been invited! We are looking for residents who want to take part "
                "in {assemblee}. In a citizens' assembly, residents talk with each other about "
                "an important subject. Together they give advice to the politicians."
            ),
            _(
                "Your address was chosen by lot. Everyone aged 16 or over who lives at this "
                "address may sign up. You do not need to know anything about the subject. "
                "Your opinion and experience count."
            ),
            _(
                "How do you sign up? Scan the QR code at the bottom of this letter with the "
                "camera of your phone. Or go to the web page at the bottom of this letter and "
                "type in your personal code: {code}."
            ),
        ]
        if assembly.registration_closes_at is not None:
            paragraphs.append(_("You can sign up until {sluitingsdatum}."))
        paragraphs.append(
            _(
                "Not everyone who signs up takes part. After the sign-up period we choose the "
                "members by lot, so that together they are a good mix of all residents."
            )
        )
        paragraphs.append(_("Kind regards,\n\nThe organisers of {assemblee}"))
    return "\n\n".join(paragraphs)


def text_of(assembly: Assembly) -> str:
    """The text the letters print: the organiser's own, or the standard letter."""
    return assembly.letter_text or default_text(assembly)


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def check_text(text: str) -> list[str]:
    """The placeholders used in ``text``; raises a :class:`LetterTextError` when it cannot
    be printed as it stands."""
    used: list[str] = []
    unknown: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name in PLACEHOLDERS:
            if name not in used:
                used.append(name)
        elif name not in unknown:
            unknown.append(name)
    if unknown:
        raise UnknownPlaceholder(unknown)
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        raise StrayBrace()
    unprintable = sorted({ch for ch in text if ch != "\n" and not _printable_char(ch)})
    if unprintable:
        raise UnprintableCharacters("".join(unprintable))
    return used


def _printable_char(ch: str) -> bool:
    if not ch.isprintable():
        return False
    try:
        ch.encode(PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` in characters the PDF fonts have: accents that are missing are dropped
    (``ł`` → ``l``), anything else becomes ``?``. For data from the registry, which the
    organiser cannot edit. Line breaks are kept."""
    try:
        text.encode(PDF_ENCODING)
    except UnicodeEncodeError:
        pass
    else:
        if text.replace("\n", "").isprintable():
            return text
    out = []
    for ch in text:
        if ch == "\n" or _printable_char(ch):
            out.append(ch)
            continue
        ch = ch.translate(STROKED)
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if _printable_char(c))
        out.append(plain or "?")
    return "".join(out)


def save_text(session: Session, actor: audit.Actor, assembly: Assembly, text: str) -> bool:
    """Store the letter text (empty, or the standard text: use the standard letter).

    Returns whether the standard letter is used. The audit entry says what changed in
    outline only: the text may hold an organiser's name or telephone number.
    """
    text = _normalise(text)
    used = check_text(text)
    if text == _normalise(default_text(assembly)):
        # Kept empty, so the standard letter follows later changes such as a closing date.
        text = ""
    if text:
        _layout_fits(assembly, text)
    assembly.letter_text = text
    session.add(assembly)
    audit.record(
        session,
        actor,
        "recruitment.letter_text",
        assembly,
        {"characters": len(text), "placeholders": used, "standard_text": not text},
    )
    return not text


def closing_date(assembly: Assembly) -> str:
    """The last day to sign up as the letter prints it ("15 maart 2027"), or "".

    Registration closes at a moment; the letter says "until and including" a day, so a
    closing time of midnight (Dutch time) makes the day before the last day.
    """
    closes = assembly.registration_closes_at
    if closes is None:
        return ""
    local = local_time(closes)
    day = local.date() - timedelta(days=1) if local.time() == time(0, 0) else local.date()
    return format_date(day, format="d MMMM y", locale=LETTER_LOCALE)


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder by its value; ``text`` must have passed :func:`check_text`."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# --- the letters of a batch -----------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    street: str
    house_number: str
    postcode: str
    city: str
    code: str  # stored form, without hyphens


def letters_from_rows(rows: Iterable[Any]) -> list[Letter]:
    """Letters from rows of :func:`.mail_merge.letter_rows_query`."""
    return [
        Letter(street, house_number, postcode, city, code)
        for _batch, _letter, street, house_number, postcode, city, code in rows
    ]


def letters_of(session: Session, assembly: Assembly, batch_number: int | None) -> list[Letter]:
    """The letters in the order of the mail-merge CSV (batch, postcode, house number)."""
    return letters_from_rows(session.execute(letter_rows_query(assembly, batch_number)))


def registration_page(base_url: str, assembly: Assembly) -> str:
    return f"{base_url}/a/{assembly.slug}/aanmelden"


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The QR code's modules (1 = dark), rows top to bottom, without the quiet zone."""
    return tuple(segno.make(url, error=QR_ERROR, micro=False).matrix)


# --- drawing --------------------------------------------------------------------------------


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break one line of text into lines that fit ``width``; overlong words (a web
    address) are broken where they must."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while stringWidth(word, font, size) > width:
            cut = len(word) - 1
            while cut > 1 and stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _body_lines(text: str, size: float) -> list[str | None]:
    """The wrapped lines of the letter text; ``None`` marks a paragraph break."""
    out: list[str | None] = []
    for number, paragraph in enumerate(re.split(r"\n\s*\n", text)):
        if number:
            out.append(None)
        for line in paragraph.split("\n"):
            out.extend(_wrap(line, "Helvetica", size, TEXT_WIDTH))
    return out


def _body_height(lines: list[str | None], size: float) -> float:
    leading = BODY_LEADING * size / BODY_SIZE
    return sum(PARAGRAPH_GAP if line is None else leading for line in lines)


def _fit_body(text: str) -> tuple[float, list[str | None]] | None:
    """The largest type size (11 down to 8 pt) at which the text fits, and its lines."""
    size = float(BODY_SIZE)
    while size >= MIN_BODY_SIZE:
        lines = _body_lines(text, size)
        if _body_height(lines, size) <= BODY_TOP_Y - BODY_BOTTOM:
            return size, lines
        size -= 0.5
    return None


def sample_values(
    assembly: Assembly, base_url: str = "https://burgerberaad.example.nl"
) -> dict[str, str]:
    """Placeholder values for a preview, with a long street name so that a text that fits
    here fits on every letter."""
    code = "K7QM-R2XT-9VDA"
    with force_locale(LETTER_LOCALE):
        return {
            "aanhef": f"{_('To the residents of')} Burgemeester Van Walsumweg 120-B",
            "code": code,
            "url": f"{registration_page(base_url, assembly)}?code={code}",
            "sluitingsdatum": closing_date(assembly) or "30 september 2027",
            "assemblee": assembly.name,
        }


def _layout_fits(assembly: Assembly, text: str) -> None:
    if _fit_body(printable(fill(text, sample_values(assembly)))) is None:
        raise LetterTooLong()


class _Renderer:
    """Draws letters one page at a time; the parts that are the same on every page are
    prepared once."""

    def __init__(self, canvas: Canvas, assembly: Assembly, base_url: str, text: str) -> None:
        self.canvas = canvas
        self.assembly = assembly
        self.base_url = base_url
        self.text = text
        self.page_url = registration_page(base_url, assembly)
        self.closing = closing_date(assembly)
        self.labels = {
            "residents": _("To the residents of"),
            "code": _("Your personal code"),
            "go_to": _("Go to this web page and type in your code:"),
            "scan": _("Or scan the QR code with the camera of your phone."),
            "keep": _("Keep this letter: you need the code to sign up."),
        }
        self.contact = (
            printable(_("Questions? %(contact)s", contact=assembly.organiser_contact))
            if assembly.organiser_contact
            else ""
        )
        self.title = printable(assembly.name)

    def page(self, letter: Letter, *, sample: bool = False) -> None:
        c = self.canvas
        display = codes.display(letter.code)
        url = f"{self.page_url}?code={display}"
        street = printable(f"{letter.street} {letter.house_number}")
        values = {
            "aanhef": f"{self.labels['residents']} {street}",
            "code": display,
            "url": url,
            "sluitingsdatum": self.closing,
            "assemblee": self.assembly.name,
        }

        c.setFillGray(0)
        c.setFont("Helvetica-Bold", 13)
        c.drawString(MARGIN_LEFT, PAGE_HEIGHT - 22 * mm, self.title[:90])
        if sample:
            c.setFont("Helvetica-Bold", 13)
            c.setFillGray(0.35)
            c.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 22 * mm, _("SAMPLE"))
            c.setFillGray(0)

        address = [
            self.labels["residents"],
            street,
            printable(f"{letter.postcode}  {letter.city.upper()}"),
        ]
        size = float(ADDRESS_SIZE)
        while size > 7 and max(stringWidth(s, "Helvetica", size) for s in address) > ADDRESS_WIDTH:
            size -= 0.5
        block = c.beginText(ADDRESS_X, PAGE_HEIGHT - ADDRESS_TOP - size)
        block.setFont("Helvetica", size, ADDRESS_LEADING * size / ADDRESS_SIZE)
        for line in address:
            block.textLine(line)
        c.drawText(block)

        text = printable(fill(self.text, values))
        fitted = _fit_body(text)
        if fitted is None:
            # Only an extreme street name gets here (the text was checked with a long one):
            # print what fits rather than fail the whole batch.
            lines = _body_lines(text, MIN_BODY_SIZE)
            while lines and _body_height(lines, MIN_BODY_SIZE) > BODY_TOP_Y - BODY_BOTTOM:
                lines.pop()
            fitted = (MIN_BODY_SIZE, lines)
        body_size, lines = fitted
        leading = BODY_LEADING * body_size / BODY_SIZE
        y = BODY_TOP_Y - body_size
        body = c.beginText(MARGIN_LEFT, y)
        body.setFont("Helvetica", body_size, leading)
        for line in lines:
            if line is None:
                body.moveCursor(0, PARAGRAPH_GAP)
            else:
                body.textLine(line)
        c.drawText(body)

        self._code_box(display, url)
        if self.contact:
            c.setFont("Helvetica", 9)
            c.setFillGray(0.25)
            c.drawString(MARGIN_LEFT, 14 * mm, self.contact[:140])
            c.setFillGray(0)
        c.showPage()

    def _code_box(self, display: str, url: str) -> None:
        c = self.canvas
        top = CODE_BOX_BOTTOM + CODE_BOX_HEIGHT
        c.setLineWidth(1.2)
        c.setStrokeGray(0)
        c.roundRect(MARGIN_LEFT, CODE_BOX_BOTTOM, TEXT_WIDTH, CODE_BOX_HEIGHT, 3 * mm)
        x = MARGIN_LEFT + 6 * mm
        c.setFont("Helvetica-Bold", 12)
        c.drawString(x, top - 11 * mm, self.labels["code"])
        c.setFont("Courier-Bold", 26)
        c.drawString(x, top - 23 * mm, display)
        info = c.beginText(x, top - 32 * mm)
        info.setFont("Helvetica", 10, 13)
        width = TEXT_WIDTH - QR_SIZE - 14 * mm
        info.textLine(self.labels["go_to"])
        info.setFont("Helvetica-Bold", 10, 13)
        for line in _wrap(printable(self.page_url), "Helvetica-Bold", 10, width):
            info.textLine(line)
        info.setFont("Helvetica", 10, 13)
        for line in _wrap(self.labels["scan"], "Helvetica", 10, width):
            info.textLine(line)
        c.drawText(info)
        draw_qr(
            c,
            qr_matrix(url),
            MARGIN_LEFT + TEXT_WIDTH - QR_SIZE - 6 * mm,
            CODE_BOX_BOTTOM + (CODE_BOX_HEIGHT - QR_SIZE) / 2,
            QR_SIZE,
        )
        c.setFont("Helvetica", 9)
        c.drawString(MARGIN_LEFT, CODE_BOX_BOTTOM - 5 * mm, self.labels["keep"])


def draw_qr(canvas: Canvas, matrix: tuple[bytearray, ...], x: float, y: float, size: float) -> None:
    """Draw the modules as filled rectangles, one per run of dark modules in a row: sharp at
    any print resolution and much faster than an image per page."""
    count = len(matrix) + 2 * QR_BORDER
    rects: list[str] = []
    for row_index, row in enumerate(matrix):
        top = row_index + QR_BORDER
        start = -1
        for col, dark in enumerate(row):
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                rects.append(f"{start + QR_BORDER} {top} {col - start} 1 re")
                start = -1
        if start >= 0:
            rects.append(f"{start + QR_BORDER} {top} {len(row) - start} 1 re")
    canvas.saveState()
    canvas.translate(x, y + size)
    # One unit is one module, y downwards, so every coordinate is a small whole number;
    # written as PDF operators directly, which is several times faster than path.rect().
    canvas.scale(size / count, -size / count)
    canvas.setFillGray(0)
    canvas.addLiteral("\n".join(rects) + "\nf")
    canvas.restoreState()


def write_pdf(
    out: IO[bytes],
    assembly: Assembly,
    letters: Iterable[Letter],
    base_url: str,
    *,
    title: str = "",
    sample: bool = False,
    compress: bool = True,
) -> int:
    """Write one A4 page per letter to ``out``; returns the number of pages."""
    canvas = Canvas(
        out,
        pagesize=A4,
        pageCompression=1 if compress else 0,
        # Without compression (tests) the text can be read from the file; invariant output
        # leaves out the creation time, so the same letters give the same bytes.
        invariant=0 if compress else 1,
    )
    canvas.setTitle(title or assembly.name)
    canvas.setCreator("Burgerberaad")
    pages = 0
    with force_locale(LETTER_LOCALE):
        renderer = _Renderer(canvas, assembly, base_url, text_of(assembly))
        for letter in letters:
            renderer.page(letter, sample=sample)
            pages += 1
        if not pages:
            canvas.setFont("Helvetica", 12)
            canvas.drawString(MARGIN_LEFT, PAGE_HEIGHT - 30 * mm, _("There are no letters yet."))
            canvas.showPage()
    # ASCII85 on top of compression only serves 7-bit mail transports and costs a quarter
    # of the rendering time; the setting is read while saving.
    a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = a85
    return pages


def sample_letter() -> Letter:
    return Letter("Voorbeeldstraat", "12a", "4331 AB", "Middelburg", "K7QMR2XT9VDA")
