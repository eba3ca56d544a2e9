"""reminder log

Revision ID: 0004_reminders
Revises: 0003_proposals
Create Date: 2026-11-26 09:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004_reminders'
down_revision: str | Sequence[str] | None = '0003_proposals'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reminder_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('occurrence', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_log_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_log')),
    sa.UniqueConstraint('kind', 'occurrence', 'user_id', name=op.f('uq_reminder_log_kind_occurrence_user_id'))
    )


def downgrade() -> None:
    op.drop_table('reminder_log')
