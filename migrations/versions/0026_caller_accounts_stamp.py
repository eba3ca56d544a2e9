"""the accounts stamp: a random value that every change of what an API token's caller is read from (users, units,
user_roles, delegations, api_tokens but its token-use note and a token issued) replaces in its own transaction, so the caller's rows can
be kept per process and validated by one tiny read

Revision ID: 0026_caller_accounts_stamp
Revises: 0025_story_count_index
Create Date: 2026-11-30 13:30:00

See models/stamps.py, workflow/administration/accounts.py (`caller_for_token`) and bench/README.md ("Ninth
increment: caller"). The triggers are frozen here as they are at this revision (a migration must not change when the
code does); `data_stamps_bump()` is 0021's.
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026_caller_accounts_stamp'
down_revision: str | Sequence[str] | None = '0025_story_count_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'accounts'
TABLES = ('users', 'units', 'user_roles', 'delegations', 'api_tokens')
# api_tokens: an UPDATE setting only `last_used_at` (the token-use note, once a minute per token) writes no stamp, nor
# an INSERT (a token issued: a new hash, which no kept caller was read by; models/stamps.py, QUIET_INSERTS).
COLUMNS = {'api_tokens': ('id', 'user_id', 'token_hash', 'name', 'created_at', 'expires_at', 'revoked',
                          'revoked_at')}
QUIET_INSERTS = ('api_tokens',)
SQLITE_BUMP = f"BEGIN UPDATE data_stamps SET stamp = lower(hex(randomblob(16))) WHERE name = '{NAME}'; END"


def upgrade() -> None:
    op.execute(sa.text("INSERT INTO data_stamps (name, stamp) VALUES (:name, :stamp)")
               .bindparams(name=NAME, stamp=secrets.token_hex(16)))
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        columns = COLUMNS.get(table)
        inserts = table not in QUIET_INSERTS
        if postgresql:
            call = f"FOR EACH STATEMENT EXECUTE FUNCTION data_stamps_bump('{NAME}')"
            if columns is None and inserts:
                op.execute(f"CREATE TRIGGER {table}_stamp_{NAME} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                           f"ON {table} {call}")
            else:
                first = "INSERT OR DELETE OR TRUNCATE" if inserts else "DELETE OR TRUNCATE"
                update = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
                op.execute(f"CREATE TRIGGER {table}_stamp_{NAME} AFTER {first} ON {table} {call}")
                op.execute(f"CREATE TRIGGER {table}_stamp_{NAME}_update AFTER {update} ON {table} {call}")
        else:
            for change in ('INSERT', 'UPDATE', 'DELETE') if inserts else ('UPDATE', 'DELETE'):
                of = f"UPDATE OF {', '.join(columns)}" if change == 'UPDATE' and columns is not None else change
                op.execute(f"CREATE TRIGGER {table}_stamp_{NAME}_{change.lower()} AFTER {of} ON {table} "
                           f"{SQLITE_BUMP}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{NAME} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{NAME}_update ON {table}")
        else:
            for change in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{NAME}_{change}")
    op.execute(sa.text("DELETE FROM data_stamps WHERE name = :name").bindparams(name=NAME))
