from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from ..forms import confirm_box, csv_upload, optional_text
from ..models import SessionDate
from ..questionnaire.questions import Questions
from ..recruitment.forms import CsvUploadForm
from ..registration.forms import registration_form_class
from ..registration.settings import MAX_RETENTION_MONTHS


def staff_form_class(
    questions: Questions, session_dates: Sequence[SessionDate], *, with_code: bool
) -> type[FlaskForm]:
    """The registration helper's staff form, plus the letter's code for a new entry."""
    base = registration_form_class(questions, session_dates, staff=True)
    if not with_code or hasattr(base, "code"):
        return base
    parent: Any = base  # a class made at run time, which mypy cannot follow

    class StaffRegistrationForm(parent):
        code = optional_text(
            _l("Code from the letter (optional)"),
            max_length=20,
            description=_l(
                "When the person has their letter at hand, the code puts them in the "
                "household of that letter, like K7QM-R2XT-9VDA."
            ),
        )

    return StaffRegistrationForm


class ImportForm(CsvUploadForm):
    file = csv_upload(
        _l("Registrations (CSV)"),
        _l(
            "Columns: name, email, phone, and one column per category named like the "
            "category; optional: code, availability. Separated by commas or semicolons."
        ),
    )
    consent = confirm_box(
        _l("These people gave their consent on the paper form"),
        _l("Confirm that these people gave their consent."),
    )


class RetentionForm(FlaskForm):
    retention_months = IntegerField(
        _l("Retention period in months"),
        validators=[
            InputRequired(_l("Enter a number of months.")),
            NumberRange(min=1, max=MAX_RETENTION_MONTHS),
        ],
        description=_l(
            "How long after the panel is final the personal data of people who were not "
            "selected is kept."
        ),
    )


class PurgeAddressesForm(FlaskForm):
    confirm = confirm_box(
        _l("I understand that street, house number and postcode are removed for good")
    )


class PurgeUnselectedForm(FlaskForm):
    confirm = confirm_box(
        _l("I understand that the personal data of people not selected is removed for good")
    )
