"""Forms: the registration form (built per assembly from its questions and session dates),
the code entry, and the organiser's settings for the form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from babel.dates import format_datetime
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import CategoryOption, CategoryQuestion, SessionDate
from ..questionnaire.questions import option_label, question_text
from ..timeutil import local_time
from .service import RegistrationData

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs, and warns about nothing

    def SelectChoice(value: Any, label: str) -> Any:  # type: ignore[no-redef]  # noqa: N802
        return (value, label)


Questions = Sequence[tuple[CategoryQuestion, Sequence[CategoryOption]]]

HONEYPOT = "website"
TIMING = "started"


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


class ConfirmForm(FlaskForm):
    """A form with only a button (and the CSRF token): withdraw, erase, join a household."""


def session_date_label(date: SessionDate) -> str:
    when = format_datetime(
        local_time(date.starts_at), "EEEE d MMMM y, HH:mm", locale=str(get_locale() or "nl")
    )
    parts = [p for p in (date.label, when, date.location) if p]
    return " – ".join(parts)


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


def data_from_form(
    form: FlaskForm, questions: Questions, session_dates: Sequence[SessionDate]
) -> RegistrationData:
    fields: Any = form
    answers: dict[int, int] = {}
    for question, _options in questions:
        value = fields[f"q_{question.id}"].data
        if isinstance(value, int):
            answers[question.id] = value  # type: ignore[index]
    chosen = frozenset(v for v in (fields.availability.data or []) if isinstance(v, int))
    return RegistrationData(
        name=fields.name.data or "",
        email=fields.email.data or "",
        phone=fields.phone.data or "",
        answers=answers,
        # Unknown ids are kept, so that validation can say so rather than drop them quietly.
        availability=chosen,
        accessibility_needs=fields.accessibility_needs.data or "",
        dietary_needs=fields.dietary_needs.data or "",
        consent_privacy=bool(fields.consent_privacy.data),
        consent_special=bool(fields.consent_special.data),
    )


def fill_form(form: FlaskForm, data: RegistrationData) -> None:
    """Prefill a registration form (for a correction)."""
    fields: Any = form
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


def attach_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    fields: Any = form
    for name, message in errors.items():
        field: Field | None = fields._fields.get(name)  # noqa: SLF001 - WTForms' own mapping
        if field is not None:
            field.errors = [*field.errors, message]  # type: ignore[list-item]


# --- the organiser's settings --------------------------------------------------------------

CATEGORY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\- ]*$"


class OptionRow(Form):
    """One answer option, a row of the question editor. An empty row is ignored."""

    option_id = HiddenField()
    value = StringField(_l("Category value"), validators=[Optional(), Length(max=100)])
    label = StringField(_l("Answer (Dutch)"), validators=[Optional(), Length(max=200)])
    label_en = StringField(_l("Answer (English)"), validators=[Optional(), Length(max=200)])
    share = StringField(
        _l("Population share (%)"),
        validators=[Optional(), Length(max=10)],
        description=_l("A percentage, for example 51 or 51%"),
    )
    prefer_not = BooleanField(_l("This is “Zeg ik liever niet”"))


class QuestionForm(FlaskForm):
    question_id = HiddenField()
    category = StringField(
        _l("Category name"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(CATEGORY_NAME, message=_l("Use letters, digits, spaces, - and _ only.")),
        ],
        description=_l("The name of this category in the sortition files, e.g. leeftijd."),
    )
    question = StringField(_l("Question (Dutch)"), validators=[DataRequired(), Length(max=500)])
    question_en = StringField(
        _l("Question (English)"),
        validators=[Optional(), Length(max=500)],
        description=_l("Shown when the page is in English; the Dutch text otherwise."),
    )
    special_category = BooleanField(
        _l("Special category (for example an opinion): needs separate permission"),
    )
    options = FieldList(FormField(OptionRow), min_entries=0)


class SessionDateForm(FlaskForm):
    session_date_id = HiddenField()
    label = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=200)],
        description=_l("For example Bijeenkomst 1"),
    )
    day = DateField(_l("Date"), validators=[DataRequired(_l("Fill in a date."))])
    time = TimeField(_l("Start time"), validators=[DataRequired(_l("Fill in a time."))])
    location = StringField(_l("Place"), validators=[Optional(), Length(max=200)])


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
    organiser_contact = StringField(
        _l("Contact for registrants"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "Shown on the registration page and in the privacy statement: a name, phone "
            "number and e-mail address."
        ),
    )
    retention_months = IntegerField(
        _l("Keep personal data for (months)"),
        validators=[DataRequired(), NumberRange(min=1, max=120)],
        description=_l(
            "After the panel is final, the details of people who were not selected are "
            "removed after this many months."
        ),
    )
