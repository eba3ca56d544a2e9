"""attachments stored in the database (content-addressed)

Revision ID: 0011_stored_files
Revises: 0010_audit_chains
Create Date: 2026-11-29 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = '0011_stored_files'
down_revision: str | Sequence[str] | None = '0010_audit_chains'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
