"""Words people read for the codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import Role, Stage

STAGE_LABELS = {
    Stage.SETUP.value: _l("Set-up"),
    Stage.RECRUITMENT.value: _l("Recruitment"),
    Stage.DRAW.value: _l("Panel draw"),
    Stage.SESSIONS.value: _l("Sessions"),
    Stage.VOTING.value: _l("Proposals and voting"),
    Stage.AGREEMENT.value: _l("Citizens' agreement"),
}

ROLE_LABELS = {
    Role.ADMIN.value: _l("Administrator"),
    Role.ORGANISER.value: _l("Organiser"),
    Role.OBSERVER.value: _l("Observer"),
}
