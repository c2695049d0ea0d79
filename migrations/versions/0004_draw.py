"""draw: quotas on category options, draw runs, probabilities, panel members, signatures

Revision ID: 0004_draw
Revises: 0003_registration
Create Date: 2026-11-23 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004_draw'
down_revision: str | None = '0003_registration'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('draw_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assembly_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('progress_message', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('panel_size', sa.Integer(), nullable=False),
    sa.Column('reserves', sa.Integer(), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('pool_size', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('people_csv', sa.Text(), nullable=False),
    sa.Column('categories_csv', sa.Text(), nullable=False),
    sa.Column('id_map_json', sa.Text(), nullable=False),
    sa.Column('settings_json', sa.Text(), nullable=False),
    sa.Column('targets_json', sa.Text(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('report_json', sa.Text(), nullable=True),
    sa.Column('lottery_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('diagnosis_json', sa.Text(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('min_probability', sa.Float(), nullable=True),
    sa.Column('max_probability', sa.Float(), nullable=True),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('seed_method', sa.Text(), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('seeded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('final_report_json', sa.Text(), nullable=True),
    sa.Column('respond_by', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('draw_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_run_assembly_id'), ['assembly_id'], unique=False)

    op.create_table('draw_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('report_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['draw_run.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'user_id')
    )
    with op.batch_alter_table('draw_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_signature_run_id'), ['run_id'], unique=False)

    op.create_table('draw_person',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('reserve_rank', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['draw_run.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'registration_id')
    )
    with op.batch_alter_table('draw_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_person_registration_id'), ['registration_id'], unique=False)

    op.create_table('panel_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('invited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('by_letter', sa.Boolean(), nullable=False),
    sa.Column('responded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('token_nonce', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], ),
    sa.ForeignKeyConstraint(['replaces_id'], ['panel_member.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['draw_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'registration_id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_member_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_member_run_id'), ['run_id'], unique=False)

    # Existing options get the default tolerance of 3 percentage points.
    with op.batch_alter_table('category_option', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tolerance', sa.Float(), nullable=False, server_default='0.03'))
        batch_op.add_column(sa.Column('quota_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quota_max', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('category_option', schema=None) as batch_op:
        batch_op.drop_column('quota_max')
        batch_op.drop_column('quota_min')
        batch_op.drop_column('tolerance')

    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_member_run_id'))
        batch_op.drop_index(batch_op.f('ix_panel_member_registration_id'))

    op.drop_table('panel_member')
    with op.batch_alter_table('draw_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_person_registration_id'))

    op.drop_table('draw_person')
    with op.batch_alter_table('draw_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_signature_run_id'))

    op.drop_table('draw_signature')
    with op.batch_alter_table('draw_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_run_assembly_id'))

    op.drop_table('draw_run')
