"""decision signer: the name printed under a ngành decision's signature, and whether a Deputy Minister signed

Revision ID: 0007_decision_signer
Revises: 0006_calendar
Create Date: 2026-11-25 19:34:09.937868

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007_decision_signer'
down_revision: str | Sequence[str] | None = '0006_calendar'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_by_name', sa.String(length=200), nullable=True))
        # Existing decisions were signed by their signing user, as the head or under a recorded delegation.
        batch_op.add_column(sa.Column('signed_as_deputy', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('signed_as_deputy')
        batch_op.drop_column('signed_by_name')
