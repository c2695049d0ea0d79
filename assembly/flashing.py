"""Form errors as flash messages, for forms posted from a page that redirects back."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm


def flash_form_errors(*forms: FlaskForm) -> None:
    for form in forms:
        for field_errors in form.errors.values():
            for error in field_errors:
                flash(str(error), "error")
