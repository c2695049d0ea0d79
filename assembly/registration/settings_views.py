"""The organiser's registration settings page (in the recruitment part of the organisers'
area): open registration, the closing time, the contact and the retention period."""

from __future__ import annotations

from types import SimpleNamespace

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from ..access import EDITORS, current_staff
from ..actions import act, current_assembly, requires, staff_blueprint
from ..db import get_session
from ..timeutil import from_local, local_time
from .forms import SettingsForm
from .settings import SettingsData, update_settings

bp = staff_blueprint("registration_settings", __name__, url_prefix="/werving")


def _page(form: SettingsForm) -> str:
    item = current_assembly()
    user = current_staff()
    closes = item.registration_closes_at
    return render_template(
        "registration/settings.html",
        assembly=item,
        form=form,
        can_edit=user is not None and user.role in EDITORS,
        closes_local=local_time(closes) if closes else None,
    )


def _form() -> SettingsForm:
    """The form as posted, filled in with the current settings where nothing was posted."""
    item = current_assembly()
    closes = item.registration_closes_at
    # The form shows and takes Dutch wall-clock time; the database keeps UTC.
    current = SimpleNamespace(
        open_registration=item.open_registration,
        registration_closes_at=local_time(closes).replace(tzinfo=None) if closes else None,
        organiser_contact=item.organiser_contact,
        retention_months=item.retention_months,
    )
    return SettingsForm(obj=current)


@bp.get("/instellingen")
def settings() -> str:
    return _page(_form())


@bp.post("/instellingen")
@requires(*EDITORS)
def settings_post() -> ResponseReturnValue:
    item = current_assembly()
    form = _form()

    def save() -> None:
        closes = form.registration_closes_at.data
        data = SettingsData(
            open_registration=bool(form.open_registration.data),
            registration_closes_at=from_local(closes) if closes else None,
            organiser_contact=(form.organiser_contact.data or "").strip(),
            retention_months=form.retention_months.data or item.retention_months,
        )
        update_settings(get_session(), current_staff(), item, data)

    return act(
        form,
        save,
        success=_l("The settings have been saved."),
        to=url_for(".settings"),
        on_invalid=lambda: _page(form),
    )
