"""The organiser's forms for the questions (with their answers) and the session dates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Regexp

from ..forms import ButtonForm, optional_text

CATEGORY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\- ]*$"


class OptionRow(Form):
    """One answer option, a row of the question editor. An empty row is ignored."""

    option_id = HiddenField()
    value = optional_text(_l("Category value"), max_length=100)
    label = optional_text(_l("Answer (Dutch)"), max_length=200)
    label_en = optional_text(_l("Answer (English)"), max_length=200)
    share = optional_text(
        _l("Population share (%)"),
        max_length=10,
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
    question_en = optional_text(
        _l("Question (English)"),
        max_length=500,
        description=_l("Shown when the page is in English; the Dutch text otherwise."),
    )
    special_category = BooleanField(
        _l("Special category (for example an opinion): needs separate permission"),
    )
    options = FieldList(FormField(OptionRow), min_entries=0)


class SessionDateForm(FlaskForm):
    session_date_id = HiddenField()
    label = optional_text(
        _l("Name"), max_length=200, description=_l("For example Bijeenkomst 1")
    )
    day = DateField(_l("Date"), validators=[DataRequired(_l("Fill in a date."))])
    time = TimeField(_l("Start time"), validators=[DataRequired(_l("Fill in a time."))])
    location = optional_text(_l("Place"), max_length=200)


# Moving or deleting a question or date is a button.
ActionForm = ButtonForm
