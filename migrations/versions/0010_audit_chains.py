"""audit: one hash chain per department, signed checkpoints, append-only trigger

Events written before this revision keep their hashes: they become the chain "legacy" (positions in id order),
checked with the canonical JSON they were written with, without a MAC; new events carry `mac`, an HMAC under a key
derived from AUDIT_SIGNING_KEY, and go to the department's, the Ministry's or the
system chain. The trigger (PostgreSQL) is created after the events are moved, since it refuses every UPDATE.

Revision ID: 0010_audit_chains
Revises: 0009_secret_ballot
Create Date: 2026-11-29 09:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_audit_chains'
down_revision: str | Sequence[str] | None = '0009_secret_ballot'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same statements as models.audit (copied: a migration must not change when the models do).
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'audit trail is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END
$$
"""
APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")


def upgrade() -> None:
    op.create_table('audit_chain_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_chain_heads'))
    )
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_index('ix_audit_checkpoints_chain', 'audit_checkpoints', ['chain', 'seq'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
        batch_op.drop_constraint('uq_audit_events_hash', type_='unique')
        batch_op.drop_constraint('uq_audit_events_prev_hash', type_='unique')
    op.execute(
        "UPDATE audit_events SET chain = 'legacy', seq = numbered.rn "
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM audit_events) AS numbered "
        "WHERE audit_events.id = numbered.id"
    )
    op.execute(
        "INSERT INTO audit_chain_heads (chain, seq, prev_hash, hash) "
        "SELECT chain, seq, prev_hash, hash FROM audit_events WHERE chain = 'legacy' ORDER BY seq DESC LIMIT 1"
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('chain', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_chain_seq'), ['chain', 'seq'])

    with op.batch_alter_table('audit_verifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_bad_seq', sa.Integer(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    with op.batch_alter_table('audit_verifications', schema=None) as batch_op:
        batch_op.drop_column('first_bad_seq')
        batch_op.drop_column('last_seq')
        batch_op.drop_column('chain')
    # Events appended to the new chains cannot go back to one chain: only a trail that is still all "legacy" can.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_chain_seq', type_='unique')
        batch_op.drop_column('mac')
        batch_op.drop_column('seq')
        batch_op.drop_column('chain')
        batch_op.create_unique_constraint('uq_audit_events_prev_hash', ['prev_hash'])
        batch_op.create_unique_constraint('uq_audit_events_hash', ['hash'])
    op.drop_index('ix_audit_checkpoints_chain', table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_chain_heads')
