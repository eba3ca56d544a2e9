"""delegation end: when and by whom a delegation of signing was ended early, its period checked, the director indexed

Revision ID: 0016_delegation_end
Revises: 0015_furthest_stage
Create Date: 2026-11-29 17:40:00

Issue 14 (finding 10): the director grants and ends delegations from a page and the API. Ending keeps the row (the
records a deputy signed name it); `ended_at` takes it out of force at once, `ended_by_id` says who ended it. A period
ending before it starts is refused by the service and now by the database too. The overlap rule reads a director's
delegations on every grant: `director_id` gets an index.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_delegation_end'
down_revision: str | Sequence[str] | None = '0015_furthest_stage'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_delegations_ended_by_id_users'), 'users', ['ended_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_delegations_period'), 'ends_on >= starts_on')
        batch_op.create_index(batch_op.f('ix_delegations_director_id'), ['director_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_director_id'))
        batch_op.drop_constraint(op.f('ck_delegations_period'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_delegations_ended_by_id_users'), type_='foreignkey')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('ended_at')
