"""proposal_items_nomination: a nomination's proposal items found by an index on both databases

Revision ID: 0028_proposal_items_nomination
Revises: 0027_proposal_steps_index
Create Date: 2026-11-30 21:35:00

"Is this nomination in a proposal still open for it?" is asked per nomination (`NOT EXISTS (... nomination_id = n.id
AND live IS 1)`): the secretariat's home page asks it of every cơ sở example of its department. The only index led by
`nomination_id` is the partial unique one `WHERE live`, which SQLite uses only for a bare `live` term; SQLAlchemy writes
`live IS 1`, so SQLite read the whole table once per nomination: 64 ms of the page's 74 at 100k nominations
(bench/README.md, "Twelfth increment"). PostgreSQL hashed the table once and was not affected.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0028_proposal_items_nomination'
down_revision: str | Sequence[str] | None = '0027_proposal_steps_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_proposal_items_nomination_id", "proposal_items", ["nomination_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_proposal_items_nomination_id", table_name="proposal_items")
