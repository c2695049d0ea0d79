"""public_version: what the public pages show changes with this counter (the page cache)

Revision ID: 0006_public_version
Revises: 0005_attempts
Create Date: 2026-11-25 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_public_version'
down_revision: str | None = '0005_attempts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('assembly', schema=None) as batch_op:
        batch_op.drop_column('public_version')
