from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..forms import optional_text
from ..labels import STAGE_LABELS
from ..models import STAGE_ORDER


class AssemblyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Web address"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use lower-case letters, digits and hyphens only."),
            ),
        ],
        description=_l("Part of the public address /a/…/, for example zorg-zeeland-2025."),
    )
    region = optional_text(_l("Region"), max_length=200)
    commissioning_bodies = optional_text(
        _l("Commissioned by"),
        max_length=500,
        description=_l("The bodies that asked for this assembly, separated by commas."),
    )
    description = optional_text(_l("Description"), max_length=20000, lines=True)
    panel_size = IntegerField(
        _l("Panel size"), validators=[DataRequired(), NumberRange(min=1, max=10000)]
    )
    reserves = IntegerField(
        _l("Number of reserves"), validators=[Optional(), NumberRange(min=0, max=10000)], default=0
    )
    stage = SelectField(_l("Current stage"), choices=[])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.stage.choices = [(s.value, STAGE_LABELS[s.value]) for s in STAGE_ORDER]
        # One optional "when" per stage for the public timeline.
        self.plan_fields = [(s.value, getattr(self, f"plan_{s.value}")) for s in STAGE_ORDER]


for _stage in STAGE_ORDER:
    setattr(
        AssemblyForm,
        f"plan_{_stage.value}",
        optional_text(STAGE_LABELS[_stage.value], max_length=200),
    )
