"""Data stamps: a random value that every change of a set of tables replaces, in the change's own transaction.

A reader that keeps something derived from those tables (the list page's filter choices: `workflow.choices`) keys it
by the stamp it read: an equal stamp is the same row version of `data_stamps`, hence the same contents of the tables
(every INSERT, UPDATE, DELETE or TRUNCATE of them writes a new random stamp, by a trigger, whoever sends it: the
application, an import, a migration, psql). Random rather than counted: a transaction that is rolled back leaves no
value behind that a later change could reuse, and two databases (copies of one template, test databases) reuse a
value only while their tables are equal too.

The triggers are in the migration that added the table (0021) and, for databases built from the metadata (tests),
in the listeners below. On SQLite a migration that rebuilds `units` or `campaigns` (batch mode) drops their triggers:
it must create them again (`tests/platform/test_data_stamps.py` checks the head's)."""
from __future__ import annotations

import secrets

from sqlalchemy import DDL, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CHOICES = "choices"  # the stamp of `units` and `campaigns`: what the list page's filters offer
STAMPED = {CHOICES: ("units", "campaigns")}


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


def trigger_statements(dialect: str) -> list[str]:
    """The statements creating the stamps' triggers (PostgreSQL: one per table and statement, TRUNCATE included;
    SQLite: one per table and kind of change, per row)."""
    out = [BUMP_FUNCTION] if dialect == "postgresql" else []
    for name, tables in STAMPED.items():
        for table in tables:
            if dialect == "postgresql":
                out.append(f"CREATE TRIGGER {table}_stamp_{name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                           f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION data_stamps_bump('{name}')")
            else:
                for change in ("INSERT", "UPDATE", "DELETE"):
                    out.append(f"CREATE TRIGGER {table}_stamp_{name}_{change.lower()} AFTER {change} ON {table} "
                               f"BEGIN UPDATE data_stamps SET stamp = lower(hex(randomblob(16))) "
                               f"WHERE name = '{name}'; END")
    return out


def drop_statements(dialect: str) -> list[str]:
    out = []
    for name, tables in STAMPED.items():
        for table in tables:
            if dialect == "postgresql":
                out.append(f"DROP TRIGGER IF EXISTS {table}_stamp_{name} ON {table}")
            else:
                out += [f"DROP TRIGGER IF EXISTS {table}_stamp_{name}_{change}"
                        for change in ("insert", "update", "delete")]
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
