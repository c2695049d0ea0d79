"""The draw's forms: the quota editor, the population figures upload, the ceremony's steps,
invitations and answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from ..forms import ButtonForm, confirm_box, csv_upload
from ..questionnaire.shares import ShareInvalid, format_share, parse_share
from .answers import ANSWERS
from .ceremony import MAX_SEED, MAX_SEED_METHOD
from .engine import QuotaLine
from .feasibility import Relaxation


class PercentField(StringField):
    """A percentage as people type it (12, 12.5, 12,5 or 12,5 %), stored as a fraction."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        try:
            self.data = parse_share(str(valuelist[0]) if valuelist else "")
        except ShareInvalid as error:
            raise ValueError(error.text()) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_share(None if self.data is None else float(self.data))


def _required_percent(form: FlaskForm, field: Field) -> None:
    if field.data is None and not field.errors:
        raise ValidationError(_l("Enter a percentage."))


class QuotaForm(FlaskForm):
    """Share, tolerance, min and max per category value; fields are added per option."""

    lines: list[QuotaLine]

    def rows(self) -> list[tuple[QuotaLine, Field, Field, Field, Field]]:
        return [
            (
                line,
                self[f"share_{line.option_id}"],
                self[f"tolerance_{line.option_id}"],
                self[f"min_{line.option_id}"],
                self[f"max_{line.option_id}"],
            )
            for line in self.lines
        ]


def quota_form(lines: Sequence[QuotaLine], panel_size: int, **kwargs: Any) -> QuotaForm:
    """A form with four fields per category value, filled from ``lines``."""

    class Form(QuotaForm):
        pass

    for line in lines:
        name = f"{line.category} {line.value}"
        bound = [InputRequired(), NumberRange(min=0, max=panel_size)]
        fields = {
            "share": PercentField(
                _l("Population share (%%) of %(name)s", name=name), default=line.share
            ),
            "tolerance": PercentField(
                _l("Tolerance (percentage points) of %(name)s", name=name),
                default=line.tolerance,
                validators=[_required_percent],
            ),
            "min": IntegerField(
                _l("Minimum of %(name)s", name=name), default=line.min, validators=bound
            ),
            "max": IntegerField(
                _l("Maximum of %(name)s", name=name), default=line.max, validators=bound
            ),
        }
        for kind, unbound in fields.items():
            setattr(Form, f"{kind}_{line.option_id}", unbound)
    form = Form(**kwargs)
    form.lines = list(lines)
    return form


class SharesImportForm(FlaskForm):
    file = csv_upload(
        _l("Population figures (CSV)"),
        _l(
            "Columns: category, value, share. The share as a percentage of the population "
            "(12, 12,5 or 12%). Separated by commas or semicolons."
        ),
    )


# Starting, cancelling, publishing, replacing: buttons.
ActionForm = ButtonForm


class RelaxForm(FlaskForm):
    changes = HiddenField(validators=[DataRequired()])
    state = HiddenField(validators=[DataRequired()])

    parsed: list[Relaxation]

    def validate_changes(self, field: HiddenField) -> None:
        try:
            items = json.loads(field.data or "")
            self.parsed = [
                Relaxation(
                    str(i["category"]),
                    str(i["value"]),
                    str(i["bound"]),
                    int(i["old"]),
                    int(i["new"]),
                )
                for i in items
            ]
        except (ValueError, TypeError, KeyError):
            raise ValidationError(_l("The suggestion could not be read; check again.")) from None


class PublishForm(FlaskForm):
    seed_method = TextAreaField(
        _l("How the seed will be chosen"),
        validators=[DataRequired(), Length(max=MAX_SEED_METHOD)],
        description=_l(
            "For example: “Five numbers from 1 to 99, drawn live by the mayor on 12 March "
            "at 20:00 during the livestream, written with spaces: 07 12 19 33 41.”"
        ),
    )
    confirm = confirm_box(
        _l(
            "I understand that the lottery and its inputs are public from now on and can no "
            "longer change."
        )
    )
    # Only asked (and required by the service) when someone would have no chance at all.
    accept_zero_chance = BooleanField(
        _l("Publish anyway: I accept that these people have no chance of being drawn.")
    )


class SeedForm(FlaskForm):
    seed = StringField(
        _l("The seed"),
        validators=[DataRequired(), Length(max=MAX_SEED)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l(
            "Type it exactly as it was chosen in public. Spaces between the characters "
            "count; spaces at the beginning or the end are left out."
        ),
    )
    witnessed = BooleanField(
        _l("This seed was chosen in public as announced, with the observer present."),
        validators=[DataRequired(_l("Confirm that the seed was chosen as announced."))],
    )


class InviteForm(FlaskForm):
    respond_by = DateField(
        _l("Answer before (date)"),
        validators=[DataRequired(_l("Enter a date."))],
        description=_l("The invited people can accept or decline until the end of this day."),
    )

    confirm = confirm_box(
        _l(
            "Send the invitations now. Everyone else in the lottery is told by e-mail that "
            "they were not drawn, or that they are a reserve."
        )
    )

    def validate_respond_by(self, field: DateField) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("Choose a date that is not in the past."))


class AnswerForm(FlaskForm):
    """The answer an organiser records for one seat (the select is in the table row)."""

    member_id = IntegerField(validators=[DataRequired()])
    answer = StringField(_l("Answer"), validators=[DataRequired(), AnyOf(tuple(ANSWERS))])


class RespondForm(FlaskForm):
    accept = SubmitField(_l("Yes, I will take part"))
    decline = SubmitField(_l("No, I will not take part"))
    # Declining cannot be undone: the second step of a decline ticks this.
    sure = BooleanField(_l("Yes, I give up my seat."))
