"""units that rename, merge, split, move and close: the change log, former names, successors

Revision ID: 0018_unit_changes
Revises: 0017_minutes_numbers
Create Date: 2026-11-29 20:15:00

Issue 16: `units.has_predecessors` marks a successor (its unit-scoped accounts reach the predecessors' records),
`unit_changes` records each change with its effective date, `unit_names` the name, code and parent a
unit held until a change (what a document of that date prints), `unit_successors` which unit continues which (the
eligibility rules count a predecessor's awards for the successor that inherits its records).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_unit_changes'
down_revision: str | Sequence[str] | None = '0018_nomination_accepted'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('has_predecessors', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'unit_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('effective_date', sa.Date(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('rename', 'merge', 'split', 'move', 'close')",
                           name=op.f('ck_unit_changes_kind')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_unit_changes_actor_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_changes_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_changes')),
    )
    op.create_index('ix_unit_changes_unit_date', 'unit_changes', ['unit_id', 'effective_date'], unique=False)
    op.create_table(
        'unit_names',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_to', sa.Date(), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['change_id'], ['unit_changes.id'], name=op.f('fk_unit_names_change_id_unit_changes')),
        sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_unit_names_parent_id_units')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_names_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_names')),
    )
    op.create_index('ix_unit_names_unit_valid_to', 'unit_names', ['unit_id', 'valid_to'], unique=False)
    op.create_index(op.f('ix_unit_names_change_id'), 'unit_names', ['change_id'], unique=False)
    op.create_table(
        'unit_successors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('predecessor_id', sa.Integer(), nullable=False),
        sa.Column('successor_id', sa.Integer(), nullable=False),
        sa.Column('effective_date', sa.Date(), nullable=False),
        sa.Column('inherits_records', sa.Boolean(), nullable=False),
        sa.Column('change_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['change_id'], ['unit_changes.id'],
                                name=op.f('fk_unit_successors_change_id_unit_changes')),
        sa.ForeignKeyConstraint(['predecessor_id'], ['units.id'], name=op.f('fk_unit_successors_predecessor_id_units')),
        sa.ForeignKeyConstraint(['successor_id'], ['units.id'], name=op.f('fk_unit_successors_successor_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_successors')),
    )
    op.create_index('ix_unit_successors_successor', 'unit_successors', ['successor_id', 'effective_date'],
                    unique=False)
    op.create_index('ix_unit_successors_predecessor', 'unit_successors', ['predecessor_id'], unique=False)
    op.create_index(op.f('ix_unit_successors_change_id'), 'unit_successors', ['change_id'], unique=False)


def downgrade() -> None:
    op.drop_table('unit_successors')
    op.drop_table('unit_names')
    op.drop_table('unit_changes')
    with op.batch_alter_table('units') as batch:
        batch.drop_column('has_predecessors')
