"""attachments stored in the database (content-addressed)

Revision ID: 0011_stored_files
Revises: 0010_audit_chains
Create Date: 2026-11-29 09:30:00

Creates `stored_files` (one row per distinct content, keyed by its SHA-256) and `stored_file_chunks` (the bytes, 1 MiB
a row).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_stored_files'
down_revision: str | Sequence[str] | None = '0010_audit_chains'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table(
        'stored_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('chunk_size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('size > 0 AND chunk_size > 0', name=op.f('ck_stored_files_positive_sizes')),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files')),
    )
    op.create_table(
        'stored_file_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'],
                                name=op.f('fk_stored_file_chunks_sha256_stored_files'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_stored_file_chunks')),
    )


def downgrade() -> None:
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
