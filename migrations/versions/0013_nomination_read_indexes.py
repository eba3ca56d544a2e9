"""indexes of the nomination lists: ORDER BY id within a scope or a filter, and the trigram search

Revision ID: 0013_nomination_read_indexes
Revises: 0012_sessions_tokens
Create Date: 2026-11-29 15:00:00

The lists (API, page, dashboard) read `... WHERE <scope and filters> ORDER BY id DESC LIMIT n`. Without an index
leading with the scope's column and ending with `id`, PostgreSQL read and sorted every row of a department (5,000 at
100k nominations) before its LIMIT. `(department_id, id)`, `(unit_id, id)`, `(campaign_id, id)` and `(state, id)`
serve that order directly; `(state, id)` replaces the index on `state` alone (same leading column).

`q=` matches accent-folded words anywhere in `search_text` (`LIKE '%word%'`), which no btree serves: on PostgreSQL
a GIN index of its trigrams (extension `pg_trgm`, created here when missing). Where the extension cannot be created
(not installed, no privilege) the index is skipped and the search scans, with the same results. On SQLite the same
name is a plain index of the column (the schema stays the models' on both databases).

Downgrade drops the new indexes and puts the index on `state` back; the extension stays (other objects may use it).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_nomination_read_indexes'
down_revision: str | Sequence[str] | None = '0012_sessions_tokens'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERED = {
    'ix_nominations_department_id_id': ['department_id', 'id'],
    'ix_nominations_unit_id_id': ['unit_id', 'id'],
    'ix_nominations_campaign_id_id': ['campaign_id', 'id'],
    'ix_nominations_state_id': ['state', 'id'],
}
SEARCH_INDEX = 'ix_nominations_search_text_trgm'


def _trigram_available(bind) -> bool:
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() is not None:
        return True
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade() -> None:
    for name, columns in ORDERED.items():
        op.create_index(name, 'nominations', columns, unique=False)
    op.drop_index('ix_nominations_state', table_name='nominations')
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        op.create_index(SEARCH_INDEX, 'nominations', ['search_text'], unique=False)
    elif _trigram_available(bind):
        op.create_index(SEARCH_INDEX, 'nominations', ['search_text'], unique=False, postgresql_using='gin',
                        postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade() -> None:
    op.execute(sa.text(f'DROP INDEX IF EXISTS {SEARCH_INDEX}'))
    op.create_index('ix_nominations_state', 'nominations', ['state'], unique=False)
    for name in reversed(list(ORDERED)):
        op.drop_index(name, table_name='nominations')
