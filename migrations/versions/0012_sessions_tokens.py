"""server-side sessions; API tokens that expire, are named and revocable

Revision ID: 0012_sessions_tokens
Revises: 0011_stored_files
Create Date: 2026-11-29 10:00:00

Creates `user_sessions` (one row per signed-in browser; the cookie carries a secret whose SHA-256 is the row's
`secret_hash`). Every session cookie issued before this revision carries no such secret: those users sign in again
once.

`api_tokens` gains `name`, `last_used_at` and `revoked_at`, and `expires_at` becomes required: a token issued before
this revision (they never expired) expires 90 days after the upgrade, so the scripts that hold one keep working
while their owners replace them.

Downgrade drops the table and the columns (`expires_at` becomes optional again; the dates set stay).
"""
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_sessions_tokens'
down_revision: str | Sequence[str] | None = '0011_stored_files'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_TOKEN_DAYS = 90


def upgrade() -> None:
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_user_sessions_secret_hash')),
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)

    expires = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=LEGACY_TOKEN_DAYS)
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime()))
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=expires))
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('name', sa.String(length=100), nullable=False, server_default=''))
        batch.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
        batch.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('name', existing_type=sa.String(length=100), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('expires_at', existing_type=sa.DateTime(), nullable=True)
        batch.drop_column('revoked_at')
        batch.drop_column('last_used_at')
        batch.drop_column('name')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
