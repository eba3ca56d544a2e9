"""attachments marked internal: kept out of the public part of a dossier shown during publicity

Revision ID: 0018_attachment_internal
Revises: 0018_nomination_accepted
Create Date: 2026-11-29 20:10:00

Issue 14, item 3: while a council session's list is public for comments, every staff member of the department reads
the public part of each listed dossier. An attachment marked `internal` (personal papers, a draft the unit keeps to
itself) stays visible only to those who read the whole dossier. Existing attachments are not internal: what the
dossier's authors uploaded so far was meant for the council's review.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_attachment_internal'
down_revision: str | Sequence[str] | None = '0018_deputy_director'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('attachments') as batch:
        batch.add_column(sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('attachments') as batch:
        batch.drop_column('internal')
