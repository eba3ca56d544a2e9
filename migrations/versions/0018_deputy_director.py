"""deputy director: the director role held as a deputy (Phó Giám đốc), who signs only under a delegation

Revision ID: 0018_deputy_director
Revises: 0017_minutes_numbers
Create Date: 2026-11-29 20:30:00

Issue 14, item 11 (CONTRACT.md "Demo data": `phogiamdoc`, "director role, no signing of their own unless
delegated"). `user_roles.deputy` marks a director role held by a deputy: the director's reading scope, but the
signing verbs of `workflow.policy` (grants with `signs=True`) need the head director or a delegation in force.
Every existing role assignment stays what it was (deputy false).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_deputy_director'
down_revision: str | Sequence[str] | None = '0018_unit_changes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_roles') as batch:
        batch.add_column(sa.Column('deputy', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_check_constraint(op.f('ck_user_roles_deputy_director'), "NOT deputy OR role = 'director'")


def downgrade() -> None:
    with op.batch_alter_table('user_roles') as batch:
        batch.drop_constraint(op.f('ck_user_roles_deputy_director'), type_='check')
        batch.drop_column('deputy')
