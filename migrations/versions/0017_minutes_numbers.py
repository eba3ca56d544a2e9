"""the Biên bản's number: a register per council and year, given when a session closes

Revision ID: 0017_minutes_numbers
Revises: 0016_delegation_end
Create Date: 2026-11-29 17:30:00

Issue 15: the minutes printed "Số:       /BB-HĐTĐKT". A closed session now holds its number (`minutes_seq`) in the
register of its council for the year of the meeting (`minutes_year`), unique per council and year. Sessions closed
before this revision are numbered in the order they closed.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_minutes_numbers'
down_revision: str | Sequence[str] | None = '0016_delegation_end'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('council_sessions') as batch:
        batch.add_column(sa.Column('minutes_year', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('minutes_seq', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, council_id, date FROM council_sessions WHERE closed_at IS NOT NULL ORDER BY closed_at, id")).all()
    counters: dict[tuple[int, int], int] = {}
    for session_id, council_id, date in rows:
        year = date.year if hasattr(date, 'year') else int(str(date)[:4])
        counters[council_id, year] = counters.get((council_id, year), 0) + 1
        bind.execute(sa.text("UPDATE council_sessions SET minutes_year = :y, minutes_seq = :n WHERE id = :id"),
                     {"y": year, "n": counters[council_id, year], "id": session_id})
    with op.batch_alter_table('council_sessions') as batch:
        batch.create_unique_constraint('uq_council_sessions_minutes_number',
                                       ['council_id', 'minutes_year', 'minutes_seq'])


def downgrade() -> None:
    with op.batch_alter_table('council_sessions') as batch:
        batch.drop_constraint('uq_council_sessions_minutes_number', type_='unique')
        batch.drop_column('minutes_seq')
        batch.drop_column('minutes_year')
