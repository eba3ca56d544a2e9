"""indexes for the lists other than the nominations': stories, the showcase, the inbox

Revision ID: 0014_list_indexes
Revises: 0013_nomination_read_indexes
Create Date: 2026-11-29 15:00:00

Measured at 100k nominations (bench/lists.py):
- `nominations (state, id)` (made by 0013, which the lists of nominations need too): the "still recognised" test of
  the stories' scope and the showcase reads the ids of the nominations in the recognised states; with (state) alone
  PostgreSQL scanned the whole (unit_id, state, id) index for them (~50 ms), with (state, id) it reads the 21k
  entries it needs, index only.
- `nominations (updated_at, id)`: the showcase lists the recognised examples newest first; without it every
  recognised nomination was fetched and sorted for each page.
- `stories (updated_at, id)`: the editors' list, newest first.
- `notifications (user_id, id)`: an inbox newest first (the unread index (user_id, read_at, id) cannot give that
  order when read and unread are listed together); 10,000 notifications of one user were sorted for each page.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0014_list_indexes'
down_revision: str | Sequence[str] | None = '0013_nomination_read_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('ix_nominations_updated', 'nominations', ['updated_at', 'id']),
    ('ix_stories_updated', 'stories', ['updated_at', 'id']),
    ('ix_notifications_user_id_id', 'notifications', ['user_id', 'id']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
