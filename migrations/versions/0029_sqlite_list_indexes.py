"""sqlite_list_indexes: the audit trail by kind of object in id order; the reports' columns as keys of (state, id)

Revision ID: 0029_sqlite_list_indexes
Revises: 0028_proposal_items_nomination
Create Date: 2026-11-30 22:20:00

Found by `bench/lists.py` on SQLite at 100k nominations / 1M audit events (bench/README.md, "Thirteenth increment"):

- `audit_events (object_type, id)`. The trail filtered by `object_type` alone, newest first, was served on SQLite by
  `(object_type, object_id, id)`, which does not hold one kind's events in id order: every page sorted the ~834k
  events of the kind in a temporary B-tree (129–159 ms). PostgreSQL walked the primary key backwards, which is quick
  for a common kind and walks far for a rare one. The new index serves both in order.
- `nominations (state, id, unit_id, furthest_stage, subject_type, campaign_id)`. Migration 0019 gave PostgreSQL the
  reports' four columns as INCLUDE, which SQLite does not have: the Ministry's report page and summary fetched ~13k
  rows of the table per aggregate (84–95 ms). As key columns after the unique `id` they change neither the order nor
  which plans use the index, on either database.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0029_sqlite_list_indexes'
down_revision: str | Sequence[str] | None = '0028_proposal_items_nomination'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = 'ix_nominations_state_id'
COVERED = ['unit_id', 'furthest_stage', 'subject_type', 'campaign_id']  # frozen: models.nominations.STATE_INDEX_COVERS


def upgrade() -> None:
    op.create_index('ix_audit_events_object_type', 'audit_events', ['object_type', 'id'], unique=False)
    op.drop_index(STATE, table_name='nominations')
    op.create_index(STATE, 'nominations', ['state', 'id', *COVERED], unique=False)


def downgrade() -> None:
    op.drop_index(STATE, table_name='nominations')
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(STATE, 'nominations', ['state', 'id'], unique=False, postgresql_include=COVERED)
    else:
        op.create_index(STATE, 'nominations', ['state', 'id'], unique=False)
    op.drop_index('ix_audit_events_object_type', table_name='audit_events')
