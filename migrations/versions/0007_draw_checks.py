"""draw checks: the published replacements (draw_replacement), a seat taken over once
(panel_member.replaces_id unique), the audit head an observer signed, and when the people
who were not drawn were told (draw_run.outcomes_sent_at)

Revision ID: 0007_draw_checks
Revises: 0006_public_version
Create Date: 2026-11-25 19:13:02.988444
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007_draw_checks'
down_revision: str | None = '0006_public_version'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('draw_replacement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['draw_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'position')
    )
    with op.batch_alter_table('draw_replacement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_replacement_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('draw_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcomes_sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('draw_signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('audit_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_panel_member_replaces_id', ['replaces_id'])



def downgrade() -> None:
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_constraint('uq_panel_member_replaces_id', type_='unique')

    with op.batch_alter_table('draw_signature', schema=None) as batch_op:
        batch_op.drop_column('audit_hash')
        batch_op.drop_column('audit_count')

    with op.batch_alter_table('draw_run', schema=None) as batch_op:
        batch_op.drop_column('outcomes_sent_at')

    with op.batch_alter_table('draw_replacement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_replacement_run_id'))

    op.drop_table('draw_replacement')
