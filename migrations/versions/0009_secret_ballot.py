"""secret ballot: fixed slots while open, anonymous ballots after close

Revision ID: 0009_secret_ballot
Revises: 0008_audit_outcome
Create Date: 2026-11-29 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0009_secret_ballot'
down_revision: str | Sequence[str] | None = '0008_audit_outcome'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
