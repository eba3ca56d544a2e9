"""Revision 0012: tokens issued before it (they never expired) get an expiry 90 days after the upgrade; downgrade
drops the sessions table and the new columns. On a fresh database of each backend (test_migrations' `empty_engine`)."""
# ruff: noqa: F811 - `empty_engine` is test_migrations' fixture, imported here
from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import DateTime, String, inspect, text
from test_migrations import empty_engine  # noqa: F401

from web import migrate

BEFORE = "0011_stored_files"


def test_legacy_tokens_get_an_expiry_and_the_downgrade_works(empty_engine):
    migrate.upgrade(empty_engine, BEFORE)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, username, password_hash, full_name, active, created_at) "
                          "VALUES (1, 'cu', 'x', 'Cũ', :t, :now)"), {"t": True, "now": dt.datetime(2026, 1, 1)})
        conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at, revoked) "
                          "VALUES (1, :h, :now, NULL, :f)"),
                     {"h": "a" * 64, "now": dt.datetime(2026, 1, 1), "f": False})
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    with empty_engine.connect() as conn:
        query = text("SELECT expires_at, name, last_used_at FROM api_tokens").columns(
            expires_at=DateTime(), name=String(), last_used_at=DateTime())
        expires, name, used = conn.execute(query).one()
    expected = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=90)
    assert abs(expires - expected) < dt.timedelta(minutes=5)
    assert (name, used) == ("", None)
    assert "user_sessions" in inspect(empty_engine).get_table_names()

    command.downgrade(migrate.alembic_config(empty_engine), BEFORE)
    assert "user_sessions" not in inspect(empty_engine).get_table_names()
    columns = {c["name"] for c in inspect(empty_engine).get_columns("api_tokens")}
    assert {"name", "last_used_at", "revoked_at"}.isdisjoint(columns) and "expires_at" in columns

