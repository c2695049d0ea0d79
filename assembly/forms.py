"""Form pieces every area uses: a button, a CSV upload, a confirmation box, a text field.

Each area's forms are built from these, so a rule such as "a CSV upload must have a file"
or "a confirmation must be ticked" reads the same everywhere.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

Text: TypeAlias = "str | LazyString"
TICK_TO_CONFIRM = _l("Tick the box to confirm.")


class ButtonForm(FlaskForm):
    """A form that is only a button (and the CSRF token): an action that changes something."""


def csv_upload(label: Text, columns: Text) -> Any:
    """A required CSV file field; ``columns`` tells which columns the file needs."""
    required = FileRequired(_l("Choose a CSV file."))
    return FileField(label, validators=[required], description=columns)


def confirm_box(label: Text, refusal: Text = TICK_TO_CONFIRM) -> Any:
    """A box that must be ticked before an action that cannot be undone."""
    return BooleanField(label, validators=[DataRequired(refusal)])


def optional_text(
    label: Text, *, max_length: int, description: Text | None = None, lines: bool = False
) -> Any:
    """A text field that may stay empty, at most ``max_length`` characters."""
    field = TextAreaField if lines else StringField
    return field(label, validators=[Optional(), Length(max=max_length)], description=description)
