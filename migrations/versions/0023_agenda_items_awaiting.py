"""agenda_items (nomination_id) WHERE outcome IN ('passed', 'tie'): the items that still hold their nomination after
their session closed, in nomination order

Revision ID: 0023_agenda_items_awaiting
Revises: 0022_dept_state_campaign
Create Date: 2026-11-30 04:45:00

"Not held by a session" (`workflow/council/operations.py: not_held_by_a_session`: the secretariat's home-page card of
dossiers on no agenda, the agenda's candidates) is an anti-join of a department's submitted nominations with the
agenda items of live sessions and with the items passed or tied in a closed one. The latter were read by a scan of
every agenda item, filtered and hashed (4,860 of 8,000 at 100k nominations). With this index PostgreSQL reads them in
nomination order beside the candidates, which `nominations (department_id, state, id)` gives in id order (a merge
anti-join that reads ~250 entries): the card's statement 1.6 -> 0.5 ms at 100k (bench/README.md, "Sixth increment").
An item gets its outcome once, when its session closes. The outcomes are frozen below (a migration must not change
when the code does).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023_agenda_items_awaiting'
down_revision: str | Sequence[str] | None = '0022_dept_state_campaign'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'ix_agenda_items_awaiting'
AWAITING = "outcome IN ('passed', 'tie')"


def upgrade() -> None:
    op.create_index(INDEX, 'agenda_items', ['nomination_id'], unique=False,
                    sqlite_where=sa.text(AWAITING), postgresql_where=sa.text(AWAITING))


def downgrade() -> None:
    op.drop_index(INDEX, table_name='agenda_items')
