"""The privacy page in the organisers' area: the retention period, and removing the
address list and the details of people who were not selected."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..access import EDITORS, current_staff
from ..actions import act, current_assembly, requires, staff_blueprint
from ..db import get_session
from . import privacy
from .forms import PurgeAddressesForm, PurgeUnselectedForm, RetentionForm

bp = staff_blueprint("privacy", __name__, url_prefix="/privacy")


def _page(retention_form: RetentionForm | None = None) -> str:
    item = current_assembly()
    user = current_staff()
    state = privacy.status(get_session(), item)
    if retention_form is None:
        retention_form = RetentionForm(formdata=None, retention_months=item.retention_months)
    return render_template(
        "pool/privacy.html",
        assembly=item,
        state=state,
        due_on=privacy.purge_due_on(item, state.panel.final_at) if state.panel else None,
        retention_form=retention_form,
        addresses_form=PurgeAddressesForm(formdata=None),
        unselected_form=PurgeUnselectedForm(formdata=None),
        can_edit=user is not None and user.role in EDITORS,
    )


@bp.get("")
def page() -> str:
    return _page()


@bp.post("/bewaartermijn")
@requires(*EDITORS)
def retention() -> ResponseReturnValue:
    form = RetentionForm()
    return act(
        form,
        lambda: privacy.set_retention(
            get_session(),
            current_assembly(),
            form.retention_months.data or 0,
            actor=current_staff(),
        ),
        success=_l("The retention period has been saved."),
        to=url_for(".page"),
        on_invalid=lambda: _page(form),
    )


@bp.post("/adressen")
@requires(*EDITORS)
def purge_addresses() -> ResponseReturnValue:
    def removed(count: int) -> str:
        return str(
            _("Street, house number and postcode removed from %(count)s addresses.", count=count)
        )

    return act(
        PurgeAddressesForm(),
        lambda: privacy.purge_addresses(get_session(), current_assembly(), actor=current_staff()),
        success=removed,
        to=url_for(".page"),
    )


@bp.post("/niet-gekozen")
@requires(*EDITORS)
def purge_unselected() -> ResponseReturnValue:
    def removed(result: privacy.PurgeResult) -> str:
        return str(
            _(
                "The personal data of %(count)s people who were not selected has been removed.",
                count=result.purged,
            )
        )

    return act(
        PurgeUnselectedForm(),
        lambda: privacy.purge_not_selected(
            get_session(), current_assembly(), actor=current_staff()
        ),
        success=removed,
        to=url_for(".page"),
    )
