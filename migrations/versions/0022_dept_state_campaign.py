"""nominations (department_id, state, id) carries campaign_id in its leaves: the home page's work queues count a
department's nominations in a set of states with their campaign's deadline from the index alone

Revision ID: 0022_dept_state_campaign
Revises: 0021_data_stamps
Create Date: 2026-11-30 04:40:00

Measured with bench/lists.py at 100k nominations (bench/README.md, "Sixth increment: the home pages at 100k"): each
card of a secretariat's or a director's home page counts the department's nominations in its states and reads the
nearest deadline of their campaigns (`workflow/reporting/dashboard.py: _preview`). The index gave the ids, and
`campaign_id` was fetched from the table for every row (2,438 rows on ~440 heap pages for the secretariat's
"registered or nurtured" card): now an index-only scan of ~20 pages, ~1.5 ms less of PostgreSQL's time per
secretariat home page. `campaign_id` is INCLUDE'd, not a key: the index's order, and every plan that used it for
that order, is unchanged, and a nomination's campaign never changes, so no update rewrites the entry for it (a
step's UPDATE of `state` already rewrote it). SQLite has no INCLUDE and keeps (department_id, state, id).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0022_dept_state_campaign'
down_revision: str | Sequence[str] | None = '0021_data_stamps'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'ix_nominations_dept_state'
KEYS = ['department_id', 'state', 'id']


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index(INDEX, table_name='nominations')
        op.create_index(INDEX, 'nominations', KEYS, unique=False, postgresql_include=['campaign_id'])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index(INDEX, table_name='nominations')
        op.create_index(INDEX, 'nominations', KEYS, unique=False)
