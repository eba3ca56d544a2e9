"""council sessions that can be changed: a planned hour, optimistic locking, and cancellation with a reason

Revision ID: 0018_session_cancel
Revises: 0018_attachment_internal
Create Date: 2026-11-29 20:30:00

Issue 14 (finding 1): a session is rescheduled (date, hour, place) and its title edited until it opens, each change
against the `version` the editor saw (every existing row starts at 1); it may be cancelled with a reason
(`cancelled_at`, `cancelled_by_id`, `cancel_reason`) and the state check admits "cancelled".
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_session_cancel'
down_revision: str | Sequence[str] | None = '0018_attachment_internal'  # relinked after main's 0018 revisions
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "state IN ('scheduled', 'open', 'closed')"
NEW_STATES = "state IN ('scheduled', 'open', 'closed', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table('council_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_time', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_council_sessions_cancelled_by_id_users'), 'users',
                                    ['cancelled_by_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_council_sessions_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_council_sessions_state'), NEW_STATES)


def downgrade() -> None:
    # A cancelled session has no state before this revision: the old check would refuse it, so downgrading with
    # cancelled sessions in the database fails here rather than rewriting their history.
    with op.batch_alter_table('council_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_council_sessions_state'), type_='check')
        batch_op.create_check_constraint(op.f('ck_council_sessions_state'), OLD_STATES)
        batch_op.drop_constraint(batch_op.f('fk_council_sessions_cancelled_by_id_users'), type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('version')
        batch_op.drop_column('start_time')
