"""data stamps: a random value that every change of units or campaigns replaces in its own transaction (a trigger),
so the list page's filter choices can be kept per stamp and are never served stale

Revision ID: 0021_data_stamps
Revises: 0020_subject_person_id_index
Create Date: 2026-11-30 04:30:00

See models/stamps.py and bench/README.md ("Sixth increment: the list page (branch perfpage3)"). The triggers are
frozen here as they are at this revision (a migration must not change when the code does).
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_data_stamps'
down_revision: str | Sequence[str] | None = '0020_subject_person_id_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('units', 'campaigns')
BUMP_FUNCTION = """
CREATE OR REPLACE FUNCTION data_stamps_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_stamps SET stamp = md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text)
    WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'data_stamps',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('stamp', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_stamps')),
    )
    op.execute(sa.text("INSERT INTO data_stamps (name, stamp) VALUES ('choices', :stamp)")
               .bindparams(stamp=secrets.token_hex(16)))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(BUMP_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_stamp_choices AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION data_stamps_bump('choices')")
    else:
        for table in TABLES:
            for change in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_stamp_choices_{change.lower()} AFTER {change} ON {table} "
                           "BEGIN UPDATE data_stamps SET stamp = lower(hex(randomblob(16))) "
                           "WHERE name = 'choices'; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_choices ON {table}")
        op.execute("DROP FUNCTION IF EXISTS data_stamps_bump()")
    else:
        for table in TABLES:
            for change in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_choices_{change}")
    op.drop_table('data_stamps')
