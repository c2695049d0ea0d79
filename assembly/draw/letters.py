"""Printable invitations for panel members without e-mail: one letter per page (PDF)."""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

from ..models import Assembly, DrawRun, SessionDate
from ..timeutil import local_day, local_time
from .invitations import Letter

QR_SIZE = 32 * mm


def _qr(link: str) -> Drawing:
    widget = QrCodeWidget(link)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x2 - x1), 0, 0, QR_SIZE / (y2 - y1), 0, 0]
    )
    drawing.add(widget)
    return drawing


def render_pdf(
    assembly: Assembly,
    run: DrawRun | None,
    letters: list[Letter],
    dates: list[SessionDate],
) -> bytes:
    """The letters in Dutch (the residents' language), whatever the organiser's language."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        title=assembly.name,
        author=assembly.commissioning_bodies or assembly.name,
    )
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    body.fontSize = 11
    body.leading = 15
    story: list[object] = []
    with force_locale("nl"):
        deadline = (
            format_date(local_day(run.respond_by), "long") if run and run.respond_by else ""
        )
        planned: list[tuple[datetime, SessionDate]] = [
            (local_time(d.starts_at), d) for d in dates
        ]
        if not letters:
            story.append(Paragraph(escape(_("There are no letters to print.")), body))
        for index, letter in enumerate(letters):
            if index:
                story.append(PageBreak())
            story.append(Paragraph(escape(assembly.name), styles["Title"]))
            story.append(Spacer(1, 6 * mm))
            address = [letter.registration.name]
            if letter.address is not None and letter.address.street:
                address.append(f"{letter.address.street} {letter.address.house_number}")
                address.append(f"{letter.address.postcode}  {letter.address.city}")
            story.append(Paragraph("<br/>".join(escape(line) for line in address), body))
            story.append(Spacer(1, 10 * mm))
            greeting = _("Dear %(name)s,", name=letter.registration.name)
            story.append(Paragraph(escape(greeting), body))
            story.append(Spacer(1, 3 * mm))
            story.append(
                Paragraph(
                    escape(
                        _(
                            "Good news: you have been drawn by lot to take part in %(name)s. "
                            "Thank you for signing up!",
                            name=assembly.name,
                        )
                    ),
                    body,
                )
            )
            story.append(Spacer(1, 3 * mm))
            if deadline:
                ask = _(
                    "Will you take part? Please let us know before %(date)s. Go to the "
                    "address below or scan the code with your phone, and choose yes or no.",
                    date=deadline,
                )
            else:
                ask = _(
                    "Will you take part? Go to the address below or scan the code with your "
                    "phone, and choose yes or no."
                )
            story.append(Paragraph(escape(ask), body))
            story.append(Spacer(1, 3 * mm))
            story.append(Paragraph(f"<font face='Courier'>{escape(letter.link)}</font>", body))
            story.append(Spacer(1, 3 * mm))
            story.append(_qr(letter.link))
            if planned:
                story.append(Spacer(1, 4 * mm))
                story.append(Paragraph(escape(_("The sessions:")), body))
                for starts_at, item in planned:
                    when = format_datetime(starts_at, "EEEE d MMMM y, HH:mm", rebase=False)
                    where = f", {item.location}" if item.location else ""
                    story.append(Paragraph(escape(f"• {when}{where}"), body))
            if assembly.organiser_contact:
                story.append(Spacer(1, 4 * mm))
                story.append(
                    Paragraph(
                        escape(
                            _(
                                "Questions, or no internet? Contact us: %(contact)s",
                                contact=assembly.organiser_contact,
                            )
                        ),
                        body,
                    )
                )
            story.append(Spacer(1, 8 * mm))
            story.append(Paragraph(escape(_("Kind regards,")), body))
            story.append(Paragraph(escape(assembly.commissioning_bodies or assembly.name), body))
    document.build(story)
    return out.getvalue()
