"""audit_counts: the audit events counted per chain, bucket of 8,192 ids and kind (object type, action, outcome), kept
by a trigger in the insert's transaction and backfilled here

Revision ID: 0024_audit_counts
Revises: 0023_agenda_items_awaiting
Create Date: 2026-11-30 07:40:00

The API's audit list answers page N of a filter by kind (`action=nomination.`, `object_type=nomination`, ...) with the
filter's exact total and reads the page from the bucket where the running count from the newest crosses its offset,
an OFFSET of less than one bucket (`workflow/reporting/audit_queries.py`), where it walked 834k index entries at 1M
events (bench/README.md, "Seventh increment"). The bucket size and the triggers are frozen here as they are at this
revision (a migration must not change when the code does): `models/audit.py` holds the same for databases built from
the metadata.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024_audit_counts'
down_revision: str | Sequence[str] | None = '0023_agenda_items_awaiting'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKET = 8192
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts AS c (chain, bucket, object_type, action, outcome, n)
    VALUES (NEW.chain, NEW.id / {BUCKET}, coalesce(NEW.object_type, ''), NEW.action, NEW.outcome, 1)
    ON CONFLICT (chain, bucket, object_type, action, outcome) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$
"""
PG_TRIGGER = ("CREATE TRIGGER audit_events_count AFTER INSERT ON audit_events FOR EACH ROW "
              "EXECUTE FUNCTION audit_counts_add()")
SQLITE_TRIGGER = (
    "CREATE TRIGGER audit_events_count AFTER INSERT ON audit_events BEGIN "
    "INSERT INTO audit_counts (chain, bucket, object_type, action, outcome, n) "
    f"VALUES (NEW.chain, NEW.id / {BUCKET}, coalesce(NEW.object_type, ''), NEW.action, NEW.outcome, 1) "
    "ON CONFLICT (chain, bucket, object_type, action, outcome) DO UPDATE SET n = n + 1; END")


def upgrade() -> None:
    op.create_table(
        'audit_counts',
        sa.Column('chain', sa.String(length=40), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('object_type', sa.String(length=40), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('chain', 'bucket', 'object_type', 'action', 'outcome', name=op.f('pk_audit_counts')),
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:  # no append between the count and the trigger
        op.execute("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)
    op.execute(f"INSERT INTO audit_counts (chain, bucket, object_type, action, outcome, n) "
               f"SELECT chain, id / {BUCKET}, coalesce(object_type, ''), action, outcome, count(*) "
               f"FROM audit_events GROUP BY chain, id / {BUCKET}, coalesce(object_type, ''), action, outcome")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_count ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_counts_add()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_count")
    op.drop_table('audit_counts')
