from __future__ import annotations

import math
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from ..forms import csv_upload, optional_text

WEIGHT_LINE = re.compile(r"^(?P<name>.+?)\s*[=:]\s*(?P<weight>[0-9]+(?:[.,][0-9]+)?)$")


class CsvUploadForm(FlaskForm):
    """An upload of a CSV file whose rows are checked; the valid rows may go in alone."""

    only_valid = BooleanField(_l("If some rows have errors, import only the valid rows"))


class ImportForm(CsvUploadForm):
    file = csv_upload(
        _l("Address list (CSV)"),
        _l(
            "Columns: address_id, street, house_number, postcode, city, municipality; "
            "optional: district, residents_16plus. Separated by commas or semicolons."
        ),
    )


class DrawForm(FlaskForm):
    letters = IntegerField(
        _l("Number of letters"),
        validators=[DataRequired(), NumberRange(min=1, max=1_000_000)],
    )
    strata_kind = SelectField(
        _l("Strata"),
        choices=[("municipality", _l("Municipality")), ("district", _l("District"))],
        default="municipality",
    )
    weights = optional_text(
        _l("Extra weight per stratum (optional)"),
        max_length=5000,
        lines=True,
        description=_l(
            "One line per stratum, for example “Vlissingen = 1.5” to send half as many "
            "letters again as its population share where fewer people respond."
        ),
    )
    seed = optional_text(
        _l("Seed (optional)"),
        max_length=64,
        description=_l(
            "Leave empty to have one generated. The same seed and the same address list "
            "always give the same letters."
        ),
    )

    parsed_weights: dict[str, float]

    def validate_weights(self, field: TextAreaField) -> None:
        self.parsed_weights = {}
        for line in (field.data or "").splitlines():
            line = line.strip()
            if not line:
                continue
            match = WEIGHT_LINE.match(line)
            if not match:
                raise ValidationError(
                    _l("Write each line as “name = weight”, for example “Goes = 1.5”.")
                )
            weight = float(match.group("weight").replace(",", "."))
            if not math.isfinite(weight) or weight > 100:
                raise ValidationError(_l("A weight must be between 0 and 100."))
            self.parsed_weights[match.group("name").strip()] = weight


class LetterTextForm(FlaskForm):
    letter_text = TextAreaField(
        _l("Letter text"),
        validators=[Length(max=6000)],
        description=_l(
            "Leave a blank line between paragraphs. The placeholders are filled in for each "
            "letter. Leave the field empty to use the standard letter."
        ),
    )
