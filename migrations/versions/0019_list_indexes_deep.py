"""two indexes of nominations reshaped for the lists at 100k: the reports read (state, id) alone, the showcase's
newest-first walk holds only the recognised examples

Revision ID: 0019_list_indexes_deep
Revises: 0018_session_cancel
Create Date: 2026-11-30 02:00:00

Measured with bench/lists.py at 100k nominations (bench/README.md, "Fifth increment: every list at 100k"):

- `nominations (state, id)` carries `unit_id, furthest_stage, subject_type, campaign_id` in its leaves (PostgreSQL's
  INCLUDE: not keys, so the index's order, and every plan that used it for that order, is unchanged).
  `reports.summary` groups the visible nominations twice, and the Ministry's scope is a set of states: ~13k of the
  100k nominations scattered over ~4,000 heap pages, all fetched for four columns by each pass (23–40 ms per pass on
  the 2-core bench machine). Now each pass is an index-only scan of the 13k entries it needs (~5 ms). No index is
  added: a step's UPDATE changes `state`, so it already rewrote this index's entry. SQLite has no INCLUDE and keeps
  (state, id).
- `nominations (updated_at, id)` (0014) served the showcase alone (the recognised examples newest first); it held
  every nomination, so a page walked it reading each row's state from the table to skip the 80% that are not
  examples (page 50: ~4,800 rows fetched for 1,000). It now holds only the rows the showcase lists (a partial index
  on its states, `machine.RECOGNISED_STATES` frozen below), and the walk needs no table read to choose the page.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_list_indexes_deep'
down_revision: str | Sequence[str] | None = '0018_session_cancel'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = 'ix_nominations_state_id'
COVERED = ['unit_id', 'furthest_stage', 'subject_type', 'campaign_id']
UPDATED = 'ix_nominations_updated'
# Frozen copy of machine.RECOGNISED_STATES at this revision (a migration must not change when the code does).
EXAMPLES = "state IN ('evaluated_co_so', 'proposed_nganh', 'recognized')"


def upgrade() -> None:
    op.drop_index(UPDATED, table_name='nominations')
    op.create_index(UPDATED, 'nominations', ['updated_at', 'id'], unique=False,
                    sqlite_where=sa.text(EXAMPLES), postgresql_where=sa.text(EXAMPLES))
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index(STATE, table_name='nominations')
        op.create_index(STATE, 'nominations', ['state', 'id'], unique=False, postgresql_include=COVERED)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index(STATE, table_name='nominations')
        op.create_index(STATE, 'nominations', ['state', 'id'], unique=False)
    op.drop_index(UPDATED, table_name='nominations')
    op.create_index(UPDATED, 'nominations', ['updated_at', 'id'], unique=False)
