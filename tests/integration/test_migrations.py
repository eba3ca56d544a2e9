"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL.

Each test migrates its own empty database (a temporary SQLite file, or a throwaway PostgreSQL database created
beside TEST_DATABASE_URL), so the shared `engine` fixture's tables are never touched.
When this fails after a model change: `make migration m="what changed"`, review the file, commit it.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from models import Base, make_engine
from web import migrate


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield eng
        eng.dispose()
        return
    base_url = _postgres_url()
    name = f"dienhinh_mig_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _diffs(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": Base.metadata})
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_builds_the_models_schema(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diffs(empty_engine) == []
    names = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == names


def test_live_subject_index_is_partial(empty_engine):
    """The one-live-nomination rule lives in the database: a dead nomination does not block a new one."""
    migrate.upgrade(empty_engine)
    index = {i["name"]: i for i in inspect(empty_engine).get_indexes("nominations")}["uq_nominations_live_subject"]
    assert index["unique"]
    where = (index.get("dialect_options") or {}).get(f"{empty_engine.dialect.name}_where")
    assert where is not None and "withdrawn" in str(where)


def test_upgrade_twice_is_a_no_op(empty_engine):
    migrate.upgrade(empty_engine)
    before = {t: sorted(i["name"] for i in inspect(empty_engine).get_indexes(t)) for t in Base.metadata.tables}
    migrate.upgrade(empty_engine)
    after = {t: sorted(i["name"] for i in inspect(empty_engine).get_indexes(t)) for t in Base.metadata.tables}
    assert before == after
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diffs(empty_engine) == []


def test_create_all_database_is_stamped_not_rebuilt(empty_engine):
    """A database made by `create_all` (early development builds, test fixtures) is adopted by init-db."""
    Base.metadata.create_all(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_failed_upgrade_leaves_the_database_untouched(empty_engine, tmp_path):
    """The whole upgrade runs in one transaction (BEGIN IMMEDIATE on SQLite): a failing revision rolls back
    everything, including the revisions before it."""
    scripts = tmp_path / "scripts"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = migrate.head_revision()
    (scripts / "versions" / "9999_broken.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = '9999_broken'\ndown_revision = {head!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n"
        "    op.create_table('scratch', sa.Column('id', sa.Integer(), primary_key=True))\n"
        "    op.execute('SELECT * FROM no_such_table')\n\n\n"
        "def downgrade():\n    pass\n"
    )
    cfg = migrate.alembic_config(empty_engine)
    cfg.set_main_option("script_location", str(scripts))
    with pytest.raises(Exception, match="no_such_table"):
        command.upgrade(cfg, "head")
    assert inspect(empty_engine).get_table_names() == []


def test_audit_events_before_chains_become_the_legacy_chain(empty_engine):
    """Events written with the single chain keep their hashes: 0010 numbers them as the chain "legacy", checked
    with their old canonical JSON; new events go to the new chains; on PostgreSQL the trigger then refuses edits."""
    import datetime as dt
    import json
    from types import SimpleNamespace

    from sqlalchemy.orm import Session

    from notifications import audit

    migrate.upgrade(empty_engine, "0009_secret_ballot")
    prev = audit.GENESIS
    with empty_engine.begin() as conn:
        for i in range(3):
            ev = SimpleNamespace(created_at=dt.datetime(2026, 1, 1, 8, i, tzinfo=dt.UTC), actor_id=None,
                                 actor_username=f"user{i}", action="auth.login_failed", outcome="refused",
                                 object_type=None, object_id=None, data={"via": "web", "n": i}, ip="10.0.0.1",
                                 user_agent=None)
            digest = audit.hash_of(prev, audit.legacy_canonical(ev))
            conn.execute(text(
                "INSERT INTO audit_events (created_at, actor_username, action, outcome, data, ip, prev_hash, hash) "
                "VALUES (:t, :u, :a, :o, :d, :ip, :p, :h)"),
                {"t": ev.created_at.replace(tzinfo=None), "u": ev.actor_username, "a": ev.action, "o": ev.outcome,
                 "d": json.dumps(ev.data), "ip": ev.ip, "p": prev, "h": digest})
            prev = digest
    migrate.upgrade(empty_engine)
    with Session(empty_engine) as s:
        rows = s.execute(text("SELECT chain, seq FROM audit_events ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("legacy", 1), ("legacy", 2), ("legacy", 3)]
        assert tuple(s.execute(text("SELECT seq, hash FROM audit_chain_heads WHERE chain = 'legacy'")).one()) == (
            3, prev)
        assert audit.verify(s).ok
        audit.append(s, action="test.after")
        s.commit()
        assert s.execute(text("SELECT chain, seq FROM audit_events ORDER BY id DESC LIMIT 1")).one() == ("system", 1)
        assert audit.verify(s).ok
        if empty_engine.dialect.name == "postgresql":
            with pytest.raises(Exception, match="append-only"):
                s.execute(text("UPDATE audit_events SET actor_username = 'x' WHERE seq = 2"))
            s.rollback()
            s.execute(text("SET LOCAL session_replication_role = replica"))  # the DBA
        s.execute(text("UPDATE audit_events SET actor_username = 'x' WHERE chain = 'legacy' AND seq = 2"))
        s.commit()
        result = audit.verify(s)
        assert (result.ok, result.chain, result.bad_seq) == (False, "legacy", 2)
