"""Data stamps: a random value that every change of a set of tables replaces, in the change's own transaction.

A reader that keeps something derived from those tables (the list page's filter choices: `workflow.choices`) keys it
by the stamp it read: an equal stamp is the same row version of `data_stamps`, hence the same contents of the tables
(every INSERT, UPDATE, DELETE or TRUNCATE of them writes a new random stamp, by a trigger, whoever sends it: the
application, an import, a migration, psql). Random rather than counted: a transaction that is rolled back leaves no
value behind that a later change could reuse, and two databases (copies of one template, test databases) reuse a
value only while their tables are equal too.

A stamp may leave out columns of a table (`UNSTAMPED`): an UPDATE that sets only those writes no new stamp (on
PostgreSQL an `AFTER UPDATE OF <every other column>` trigger, on SQLite the same per row). `accounts` leaves out
`api_tokens.last_used_at`, the token-use note written once a minute per token, which would otherwise make every
process read every caller again, and the INSERTs of `api_tokens` (`QUIET_INSERTS`: a token issued, why it changes no
kept answer is said there). A column added to such a table later is outside its `UPDATE OF` list until a
migration recreates the trigger: add it when the stamp's readers read it. (SQLite's `INSERT OR REPLACE` deletes a
conflicting row without its DELETE triggers: nothing here writes those tables so.)

The triggers are in the migrations that added each stamp (0021 `choices`, 0026 `accounts`) and, for databases built
from the metadata (tests), in the listeners below. On SQLite a migration that rebuilds a stamped table (batch mode)
drops its triggers: it must create them again (`tests/platform/test_data_stamps.py` checks the head's)."""
from __future__ import annotations

import secrets

from sqlalchemy import DDL, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CHOICES = "choices"  # the stamp of `units` and `campaigns`: what the list page's and the reports' filters offer
# The stamp of everything an API token's caller is read from (`accounts.caller_for_token`: the user, its unit, its
# roles, the delegations in force, the token): the caller's rows are kept per process while it is unchanged.
ACCOUNTS = "accounts"
STAMPED = {CHOICES: ("units", "campaigns"),
           ACCOUNTS: ("users", "units", "user_roles", "delegations", "api_tokens")}
# (stamp, table) -> the columns an UPDATE may set alone without writing a new stamp.
UNSTAMPED = {(ACCOUNTS, "api_tokens"): ("last_used_at",)}
# (stamp, table) whose INSERTs write no new stamp: a token issued (every API login) cannot change a kept caller's
# answer. That answer is read by `token_hash`, unique, of a row that exists (a refused token is never kept): a new row
# has another hash, and the kept row cannot go without a DELETE or an UPDATE of its hash, which write a stamp.
QUIET_INSERTS = {(ACCOUNTS, "api_tokens")}


class DataStamp(Base):
    __tablename__ = "data_stamps"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(40))


BUMP_FUNCTION = """
CREATE OR REPLACE FUNCTION data_stamps_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_stamps SET stamp = md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text)
    WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$
"""


def stamped_columns(name: str, table: str) -> tuple[str, ...] | None:
    """The columns of `table` whose UPDATE writes a new `name` stamp, in the table's order; None: every column."""
    left_out = UNSTAMPED.get((name, table))
    if not left_out:
        return None
    return tuple(c.name for c in Base.metadata.tables[table].columns if c.name not in left_out)


def table_triggers(dialect: str, name: str, table: str, columns: tuple[str, ...] | None = None, *,
                   inserts: bool = True) -> list[str]:
    """The statements creating the triggers by which a change of `table` writes a new `name` stamp (PostgreSQL: per
    statement, TRUNCATE included; SQLite: per row and kind of change). `columns`: only an UPDATE of one of them does
    (`UNSTAMPED`); `inserts=False`: an INSERT does not (`QUIET_INSERTS`). Migrations freeze their own copies (a
    migration must not change when the code does)."""
    if dialect == "postgresql":
        call = f"FOR EACH STATEMENT EXECUTE FUNCTION data_stamps_bump('{name}')"
        if columns is None and inserts:
            return [f"CREATE TRIGGER {table}_stamp_{name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} {call}"]
        first = "INSERT OR DELETE OR TRUNCATE" if inserts else "DELETE OR TRUNCATE"
        update = "UPDATE" if columns is None else f"UPDATE OF {', '.join(columns)}"
        return [f"CREATE TRIGGER {table}_stamp_{name} AFTER {first} ON {table} {call}",
                f"CREATE TRIGGER {table}_stamp_{name}_update AFTER {update} ON {table} {call}"]
    out = []
    for change in ("INSERT", "UPDATE", "DELETE") if inserts else ("UPDATE", "DELETE"):
        of = f"UPDATE OF {', '.join(columns)}" if change == "UPDATE" and columns is not None else change
        out.append(f"CREATE TRIGGER {table}_stamp_{name}_{change.lower()} AFTER {of} ON {table} "
                   f"BEGIN UPDATE data_stamps SET stamp = lower(hex(randomblob(16))) WHERE name = '{name}'; END")
    return out


def table_trigger_drops(dialect: str, name: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_stamp_{name} ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_stamp_{name}_update ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {table}_stamp_{name}_{change}" for change in ("insert", "update", "delete")]


def trigger_statements(dialect: str) -> list[str]:
    """The statements creating every stamp's triggers, as the head's migrations leave them."""
    out = [BUMP_FUNCTION] if dialect == "postgresql" else []
    for name, tables in STAMPED.items():
        for table in tables:
            out += table_triggers(dialect, name, table, stamped_columns(name, table),
                                  inserts=(name, table) not in QUIET_INSERTS)
    return out


def drop_statements(dialect: str) -> list[str]:
    out = []
    for name, tables in STAMPED.items():
        for table in tables:
            out += table_trigger_drops(dialect, name, table)
    if dialect == "postgresql":
        out.append("DROP FUNCTION IF EXISTS data_stamps_bump()")
    return out


def first_stamp() -> str:
    return secrets.token_hex(16)


@event.listens_for(Base.metadata, "after_create")
def _stamps_after_create(target, connection, **kw) -> None:
    """A database built from the metadata (tests) gets the migration's triggers and rows."""
    tables = kw.get("tables")
    if tables is not None and DataStamp.__table__ not in tables:
        return
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        return
    for statement in trigger_statements(dialect):
        connection.execute(DDL(statement))
    for name in STAMPED:
        connection.execute(text("INSERT INTO data_stamps (name, stamp) VALUES (:name, :stamp)"),
                           {"name": name, "stamp": first_stamp()})
