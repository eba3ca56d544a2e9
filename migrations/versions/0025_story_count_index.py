"""lists_story_count_index: the published stories' count from an index alone

Revision ID: 0025_story_count_index
Revises: 0024_audit_counts
Create Date: 2026-11-30 10:30:00

The showcase counts the published stories about examples still recognised on every request (its pager's total):
at 100k nominations that was a sequential scan of the stories' wide rows (13,000 published of 16,000) hashed against
21,000 recognised nominations. `(state, nomination_id)` lets PostgreSQL read the published stories' nominations from
the index alone (bench/README.md, "Eighth increment").
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0025_story_count_index'
down_revision: str | Sequence[str] | None = '0024_audit_counts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stories_state_nomination", "stories", ["state", "nomination_id"])


def downgrade() -> None:
    op.drop_index("ix_stories_state_nomination", table_name="stories")
