"""Forms: the registration form (built per assembly from its questions and session dates),
the code entry, and the organiser's registration settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..errors import ServiceError
from ..forms import ButtonForm, optional_text
from ..models import Assembly, SessionDate
from ..questionnaire.questions import Questions, load_questions, option_label, question_text
from ..questionnaire.session_dates import load_session_dates, session_date_label
from .bots import HONEYPOT, TIMING
from .registrations import RegistrationData, RegistrationInvalid
from .settings import MAX_RETENTION_MONTHS

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs, and warns about nothing

    def SelectChoice(value: Any, label: str) -> Any:  # noqa: N802
        return (value, label)


class CheckboxListField(SelectMultipleField):
    """Several checkboxes, one per choice (rendered inside a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your letter"),
        validators=[DataRequired(_l("Fill in the code from your letter.")), Length(max=40)],
        description=_l("12 letters and digits, for example K7QM-R2XT-9VDA."),
    )


# Withdraw, erase, join a household: buttons.
ConfirmForm = ButtonForm


def registration_form_class(
    questions: Questions, session_dates: Sequence[SessionDate], *, staff: bool = False
) -> type[FlaskForm]:
    """The form for one assembly. ``staff``: entered by an organiser on someone's behalf,
    without the bot checks, and the consent boxes record that the person consented by
    phone or on paper."""

    class RegistrationForm(FlaskForm):
        pass

    form: Any = RegistrationForm
    form.name = StringField(
        _l("Name"),
        description=_l("Your first name and last name."),
        render_kw={"maxlength": 200, "autocomplete": "name"},
    )
    form.email = StringField(
        _l("E-mail address"),
        description=_l("We send you a confirmation with a personal link."),
        render_kw={"maxlength": 254, "autocomplete": "email", "type": "email",
                   "spellcheck": "false"},
    )  # fmt: skip
    form.phone = StringField(
        _l("Phone number"),
        description=_l(
            "For example 06 12345678. Fill in an e-mail address, a phone number or both."
        ),
        render_kw={"maxlength": 40, "autocomplete": "tel", "type": "tel"},
    )
    for question, options in questions:
        setattr(
            form,
            f"q_{question.id}",
            RadioField(
                question_text(question),
                choices=[SelectChoice(o.id, option_label(o)) for o in options],
                coerce=int,
                validate_choice=False,
            ),
        )
    form.availability = CheckboxListField(
        _l("On which dates can you come?"),
        choices=[SelectChoice(d.id, session_date_label(d)) for d in session_dates],
        coerce=int,
        validate_choice=False,
    )
    form.accessibility_needs = TextAreaField(
        _l("Do you need anything to take part? (optional)"),
        description=_l(
            "For example a wheelchair-accessible room, a sign language interpreter, large "
            "print, or help with travel."
        ),
        render_kw={"maxlength": 2000},
    )
    form.dietary_needs = TextAreaField(
        _l("Do you have dietary wishes? (optional)"),
        description=_l("For example vegetarian, halal, or an allergy."),
        render_kw={"maxlength": 2000},
    )
    if staff:
        form.consent_privacy = BooleanField(
            _l("The person agreed to the privacy statement (by phone or on paper)")
        )
        form.consent_special = BooleanField(
            _l("The person gave separate permission to store their opinion")
        )
    else:
        form.consent_privacy = BooleanField(
            _l("I have read the privacy statement and agree that my details are stored")
        )
        form.consent_special = BooleanField(
            _l("I give permission to store my answer about my opinion")
        )
        # A field people never see; bots fill in every field they find.
        setattr(
            form,
            HONEYPOT,
            StringField(
                _l("Leave this field empty"),
                render_kw={"autocomplete": "off", "tabindex": "-1"},
            ),
        )
        setattr(form, TIMING, HiddenField())
    return RegistrationForm


FormClass = Callable[[Questions, Sequence[SessionDate]], type[FlaskForm]]


@dataclass
class PersonForm:
    """A registration form of one assembly, with the questions and dates it asks about."""

    questions: Questions
    dates: list[SessionDate]
    form: Any

    @classmethod
    def build(
        cls, session: Session, assembly: Assembly, form_class: FormClass = registration_form_class
    ) -> PersonForm:
        questions = load_questions(session, assembly)
        dates = load_session_dates(session, assembly)
        return cls(questions, dates, form_class(questions, dates)())

    def data(self) -> RegistrationData:
        """What was filled in."""
        fields = self.form
        answers: dict[int, int] = {}
        for question, _options in self.questions:
            value = fields[f"q_{question.id}"].data
            if isinstance(value, int) and question.id is not None:
                answers[question.id] = value
        chosen = frozenset(v for v in (fields.availability.data or []) if isinstance(v, int))
        return RegistrationData(
            name=fields.name.data or "",
            email=fields.email.data or "",
            phone=fields.phone.data or "",
            answers=answers,
            # Unknown ids are kept, so that validation can say so rather than drop them.
            availability=chosen,
            accessibility_needs=fields.accessibility_needs.data or "",
            dietary_needs=fields.dietary_needs.data or "",
            consent_privacy=bool(fields.consent_privacy.data),
            consent_special=bool(fields.consent_special.data),
        )

    def fill(self, data: RegistrationData) -> None:
        """Prefill the form (for a correction)."""
        fields = self.form
        fields.name.data = data.name
        fields.email.data = data.email
        fields.phone.data = data.phone
        for question_id, option_id in data.answers.items():
            if f"q_{question_id}" in fields:
                fields[f"q_{question_id}"].data = option_id
        fields.availability.data = sorted(data.availability)
        fields.accessibility_needs.data = data.accessibility_needs
        fields.dietary_needs.data = data.dietary_needs
        fields.consent_privacy.data = data.consent_privacy
        fields.consent_special.data = data.consent_special

    def refused(self, error: ServiceError) -> None:
        """Put the messages of a refused registration next to their fields."""
        if isinstance(error, RegistrationInvalid):
            messages = error.errors
        elif error.field is not None:
            messages = {error.field: error.text()}
        else:
            return
        for name, message in messages.items():
            field: Field | None = self.form._fields.get(name)  # noqa: SLF001 - WTForms' mapping
            if field is not None:
                field.errors = [*field.errors, message]


# --- the organiser's settings --------------------------------------------------------------


class SettingsForm(FlaskForm):
    open_registration = BooleanField(
        _l("Open registration: people can also register without a code"),
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes at (optional)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
        description=_l("Dutch time. Leave empty to keep registration open."),
    )
    organiser_contact = optional_text(
        _l("Contact for registrants"),
        max_length=300,
        description=_l(
            "Shown on the registration page and in the privacy statement: a name, phone "
            "number and e-mail address."
        ),
    )
    retention_months = IntegerField(
        _l("Keep personal data for (months)"),
        validators=[DataRequired(), NumberRange(min=1, max=MAX_RETENTION_MONTHS)],
        description=_l(
            "After the panel is final, the details of people who were not selected are "
            "removed after this many months."
        ),
    )
