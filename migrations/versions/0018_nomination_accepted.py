"""nominations.accepted_at / accepted_by_id: the secretariat's "Tiếp nhận hồ sơ" of a submitted dossier

Revision ID: 0018_nomination_accepted
Revises: 0017_minutes_numbers
Create Date: 2026-11-29 20:10:00

Issue 14 (item 4): the secretariat's review was implicit (a dossier was accepted by being put on an agenda). The
acceptance is now an explicit step recorded in the history ("accept") and kept on the nomination: when, and by whom.
A return for revision clears it (the resubmitted dossier is accepted again). Dossiers already on an agenda before
this revision stay as they are (NULL): the history shows they were put on an agenda without an explicit acceptance.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_nomination_accepted'
down_revision: str | Sequence[str] | None = '0018_story_revisions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('nominations') as batch:
        batch.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('accepted_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_nominations_accepted_by_id_users'), 'users', ['accepted_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('nominations') as batch:
        batch.drop_constraint(batch.f('fk_nominations_accepted_by_id_users'), type_='foreignkey')
        batch.drop_column('accepted_by_id')
        batch.drop_column('accepted_at')
