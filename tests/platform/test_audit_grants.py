"""The README's least-privilege role, run as written against PostgreSQL: the application works under it, and it
can neither change nor remove audit rows, nor switch the append-only trigger off."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from notifications import audit, audit_verify
from notifications import audit_checkpoints as cps

README = Path(__file__).resolve().parents[2] / "README.md"


def _grants(role: str, database: str) -> list[str]:
    block = re.search(r"<!-- audit-grants:begin -->\s*```sql\n(.*?)```", README.read_text(), re.S).group(1)
    sql = re.sub(r"--[^\n]*", "", block).replace("dienhinh_app", role)
    sql = sql.replace("DATABASE dienhinh ", f'DATABASE "{database}" ')
    return [s.strip() for s in sql.split(";") if s.strip()]


@pytest.fixture
def app_role(engine, fresh_db):
    """A PostgreSQL role of the application's grants, connecting on its own (so the reseeded database)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    fresh_db.commit()
    role = f"dienhinh_app_test_{os.getpid()}"
    with engine.begin() as conn:
        statements = _grants(role, conn.scalar(text("SELECT current_database()")))
        assert statements[0].startswith("CREATE ROLE")
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        for statement in statements:
            conn.execute(text(statement))
        for statement in statements[1:]:  # idempotent: after every init-db
            conn.execute(text(statement))
    yield role
    with engine.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


def test_the_application_role_adds_and_reads_but_never_rewrites(app_role, session_factory, tmp_path):
    with session_factory() as s:
        s.execute(text(f"SET LOCAL ROLE {app_role}"))
        audit.append(s, action="test.as_app", chain="dept:424242")
        audit.append(s, action="test.as_app", chain="dept:424242")
        cps.write_checkpoints(s, cps.load_signing_key(str(tmp_path / "k.pem"), generate=True), tmp_path / "cp")
        s.execute(text("DELETE FROM notifications WHERE false"))  # the rest of the schema stays writable
        s.commit()
    with session_factory() as s:
        s.execute(text(f"SET LOCAL ROLE {app_role}"))
        assert audit_verify.check(s, checked_by="app").ok
        s.commit()
    for statement in (
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM audit_checkpoints",
        "UPDATE audit_verifications SET ok = true",
        "DELETE FROM audit_chain_heads",
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "SET session_replication_role = replica",
    ):
        with session_factory() as s:
            s.execute(text(f"SET LOCAL ROLE {app_role}"))
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                s.execute(text(statement))
            s.rollback()
