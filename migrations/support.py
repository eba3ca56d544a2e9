"""What every migration run needs, whoever starts it (`dienhinh init-db` through `web.migrate`, or the stock
`alembic` command through env.py): one migrator at a time on PostgreSQL, and SQLite table rebuilds that neither
fail on nor cascade through foreign keys.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

# pg_advisory_lock key of schema migrations: "dienhinh" in ASCII, a signed 64-bit integer.
MIGRATION_LOCK_KEY = int.from_bytes(b"dienhinh", "big")


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Holds a session-level PostgreSQL advisory lock for the block: a second `init-db` (another host's deploy)
    waits until the first has committed, then finds the schema at head. Session-level locks nest, so the caller
    (web.migrate) and env.py may both take it on the same connection. On SQLite, BEGIN IMMEDIATE already
    serialises migrators. A transaction begun only to take the lock is committed, so Alembic may start its own."""
    if connection.dialect.name != "postgresql":
        yield
        return
    owned = not connection.in_transaction()
    connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    if owned:
        connection.commit()
    try:
        yield
    finally:
        try:
            if connection.in_transaction() and owned:
                connection.rollback()  # whatever failed inside; the lock outlives the transaction
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            if owned:
                connection.commit()
        except SQLAlchemyError:
            connection.invalidate()  # a broken connection: its session, and so the lock, ends with it


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite alters a table by copying it and dropping the original (`batch_alter_table`). With foreign keys on,
    dropping a table that other rows reference fails ("FOREIGN KEY constraint failed") or, worse, cascades
    (ON DELETE CASCADE empties the children). Alembic's documentation advises turning them off around batch
    operations; the pragma is ignored inside a transaction, so it is set on the driver connection before the
    migration transaction begins, and `check_foreign_keys` verifies the result before it commits."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Connection) -> None:
    """Raises, naming the rows, if the migration left a reference dangling (SQLite only: PostgreSQL checks every
    statement). Called inside the migration transaction, so a failure rolls the whole upgrade back."""
    if connection.dialect.name != "sqlite":
        return
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if rows:
        shown = ", ".join(f"{table} rowid {rowid} → {parent}" for table, rowid, parent, _fk in rows[:10])
        more = f" (và {len(rows) - 10} dòng khác)" if len(rows) > 10 else ""
        raise RuntimeError(f"Sau khi chuyển đổi lược đồ còn tham chiếu khóa ngoại không hợp lệ: {shown}{more}")
