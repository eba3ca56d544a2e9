"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL.

Each test migrates its own empty database (a temporary SQLite file, or a throwaway PostgreSQL database created
beside TEST_DATABASE_URL), so the shared `engine` fixture's tables are never touched.
When this fails after a model change: `make migration m="what changed"`, review the file, commit it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import throwaway_postgres  # tests/conftest.py, importable as `conftest` under pytest
from sqlalchemy import inspect, text
from test_data_stamps import _stamp_triggers  # tests/platform: on sys.path under pytest, as conftest is

from models import Base, make_engine
from models.nominations import PROPOSAL_STEPS, StateChange
from web import migrate


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield eng
        eng.dispose()
        return
    with throwaway_postgres("dienhinh_mig") as eng:
        yield eng


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


def test_proposal_steps_index_holds_the_steps_the_proposals_read_model_reads(empty_engine):
    """A page of proposals reads its nominations' `PROPOSAL_STEPS` through a partial index of those rows alone: the
    migrated database's index names exactly the model's steps (a step added to the read model without a migration
    would leave its rows out of the index, and the page would scan the whole history again)."""
    migrate.upgrade(empty_engine)
    indexes = {i["name"]: i for i in inspect(empty_engine).get_indexes("state_changes")}
    index = indexes["ix_state_changes_proposal_steps"]
    assert index["column_names"] == ["nomination_id", "version"] and not index["unique"]
    where = str((index.get("dialect_options") or {}).get(f"{empty_engine.dialect.name}_where"))
    named = set(re.findall(r"'(\w+)'", where))
    assert named == set(PROPOSAL_STEPS)
    model = next(i for i in StateChange.__table__.indexes if i.name == "ix_state_changes_proposal_steps")
    assert set(re.findall(r"'(\w+)'", str(model.dialect_options["postgresql"]["where"]))) == named


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


# ------------------------------------------------------------------------------------ adopting, locking, downgrading
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _bin(name: str) -> str:
    exe = shutil.which(name, path=os.path.join(sys.prefix, "bin")) or shutil.which(name)
    if exe is None:
        pytest.fail(f"the {name} console script is not installed (pip install -e '.[test]')")
    return exe


def _env(engine, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP", "UPLOAD_ROOT")}
    env.update(DATABASE_URL=_url(engine), SECRET_KEY="migrations-test", **extra)
    return env


def test_an_unversioned_database_missing_a_column_is_refused_not_stamped(empty_engine):
    """init-db used to adopt any database holding every table as current; one missing a column then answered 503
    on every page that read it."""
    Base.metadata.create_all(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN final_review_date"))
    with pytest.raises(migrate.SchemaMismatch, match=r"thiếu cột campaigns\.final_review_date"):
        migrate.upgrade(empty_engine)
    assert "alembic_version" not in inspect(empty_engine).get_table_names()


def test_an_unversioned_database_missing_a_table_is_refused(empty_engine):
    """Some of our tables and no version: neither created afresh (create_table would fail half-way) nor stamped."""
    Base.metadata.create_all(empty_engine, tables=[Base.metadata.tables["units"]])
    with pytest.raises(migrate.SchemaMismatch, match=r"thiếu bảng campaigns") as err:
        migrate.upgrade(empty_engine)
    assert not any("chỉ mục" in d for d in err.value.differences)  # named once, by its table
    assert "alembic_version" not in inspect(empty_engine).get_table_names()


def test_an_unrelated_table_does_not_stop_a_fresh_install(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_application (id INTEGER PRIMARY KEY)"))
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_init_db_refuses_an_altered_unversioned_database_in_one_line(empty_engine, tmp_path, script):
    Base.metadata.create_all(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN final_review_date"))
    r = script(["init-db"], {"DATABASE_URL": _url(empty_engine), "SECRET_KEY": "migrations-test", "UPLOAD_ROOT": None},
               tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "campaigns.final_review_date" in lines[0], r.stderr
    assert "alembic_version" not in inspect(empty_engine).get_table_names()


def test_concurrent_init_db_both_succeed(empty_engine, tmp_path):
    """Two hosts deploying at once on a fresh database: the second waits for the first's migration lock, then finds
    the schema at head (without the lock one of them failed creating a table the other had just created)."""
    procs = [subprocess.Popen([_bin("dienhinh"), "init-db"], env=_env(empty_engine), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    for code, _out, err in results:
        assert code == 0, err
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diffs(empty_engine) == []


def test_the_migration_lock_is_held_during_an_upgrade(empty_engine):
    """While one connection holds the lock, another migrator cannot take it (PostgreSQL advisory lock)."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises migrators with BEGIN IMMEDIATE")
    from migrations.support import MIGRATION_LOCK_KEY, migration_lock

    with empty_engine.connect() as holder, migration_lock(holder), empty_engine.connect() as other:
        assert other.execute(text(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})")).scalar() is False
        other.rollback()
    with empty_engine.connect() as other:  # released afterwards
        assert other.execute(text(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})")).scalar() is True
        other.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        other.commit()


def _seed_references(engine) -> dict:
    """The demo data plus a nomination (references its campaign) and a decision with an item (ON DELETE CASCADE):
    what SQLite's table rebuilds of 0005 (campaigns) and 0007 (decisions) must keep."""
    import notifications
    from models import make_session_factory
    from workflow.administration import demo

    notifications.install()
    with make_session_factory(engine)() as s:
        demo.seed(s, "Migrations-Test-2026")
        s.commit()
    with engine.begin() as c:
        camp = c.execute(text("SELECT id, department_id FROM campaigns ORDER BY id LIMIT 1")).one()
        unit = c.execute(text("SELECT id FROM units WHERE code = 'HCTP'")).scalar()
        signer = c.execute(text("SELECT id FROM users WHERE username = 'giamdoc'")).scalar()
        c.execute(text(
            "INSERT INTO nominations (campaign_id, department_id, unit_id, subject_type, subject_key, title, "
            "achievements, initiatives, state, version, search_text, created_at, updated_at) VALUES (:c, :d, :u, "
            "'collective', 'migration-test', 't', '', '', 'evaluated_co_so', 1, '', :t, :t)"),
            dict(c=camp.id, d=camp.department_id, u=unit, t="2026-01-01 00:00:00"))
        nomination = c.execute(text("SELECT max(id) FROM nominations")).scalar()
        c.execute(text(
            "INSERT INTO decisions (level, issuer_id, doc_type, year, seq, number, date, summary, signer_id, "
            "signer_title, created_at, signed_as_deputy) VALUES ('co_so', :d, 'QD', 2026, 1, '1/QĐ-STP', :day, '', "
            ":s, 'GIÁM ĐỐC', :t, :f)"),
            dict(d=camp.department_id, s=signer, day="2026-01-02", t="2026-01-02 00:00:00", f=False))
        decision = c.execute(text("SELECT max(id) FROM decisions")).scalar()
        c.execute(text("INSERT INTO decision_items (decision_id, nomination_id) VALUES (:a, :b)"),
                  dict(a=decision, b=nomination))
    return _counts(engine)


def _counts(engine) -> dict:
    with engine.connect() as c:
        return {t: c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                for t in inspect(c).get_table_names() if t != "alembic_version"}


def test_downgrade_to_base_and_upgrade_again_with_data(empty_engine, tmp_path):
    """SQLite rebuilds a table to drop a column (batch_alter_table): with foreign keys on, the rebuild of
    `campaigns` (0005's downgrade) failed on the nominations referencing it, and the rebuild of `decisions`
    (0007's) silently emptied decision_items (ON DELETE CASCADE). Every step down keeps every remaining row, and
    the history goes down to base and up to head again."""
    migrate.upgrade(empty_engine, upload_root=str(tmp_path / "uploads"))
    before = _counts(empty_engine) | _seed_references(empty_engine)
    cfg = migrate.alembic_config(empty_engine)
    cfg.attributes["upload_root"] = str(tmp_path / "uploads")
    for revision in ("0006_calendar", "0004_reminders"):
        command.downgrade(cfg, revision)
        after = _counts(empty_engine)
        # Tables a downgrade brings back (e.g. 0009's first-design `ballots`) start empty: compare the others.
        assert {t: n for t, n in after.items() if n != before.get(t, 0)} == {}, revision
    command.downgrade(cfg, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_engine, upload_root=str(tmp_path / "uploads"))
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _diffs(empty_engine) == []
    if empty_engine.dialect.name == "sqlite":
        with empty_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on for the application


def test_a_migration_leaving_a_dangling_reference_is_rolled_back_on_sqlite(tmp_path):
    """Foreign keys are off while SQLite migrates: `PRAGMA foreign_key_check` before the commit stands in."""
    eng = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        migrate.upgrade(eng)
        scripts = tmp_path / "scripts"
        shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        head = migrate.head_revision()
        (scripts / "versions" / "9999_dangling.py").write_text(
            "from alembic import op\n\n"
            f"revision = '9999_dangling'\ndown_revision = {head!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n"
            "    op.execute(\"INSERT INTO user_roles (user_id, role) VALUES (424242, 'admin')\")\n\n\n"
            "def downgrade():\n    pass\n"
        )
        cfg = migrate.alembic_config(eng)
        cfg.set_main_option("script_location", str(scripts))
        with pytest.raises(RuntimeError, match="user_roles"):
            command.upgrade(cfg, "head")
        assert migrate.current_revision(eng) == head
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM user_roles")).scalar() == 0
    finally:
        eng.dispose()


def test_the_stock_alembic_command_works_from_the_repository_root(empty_engine):
    alembic = _bin("alembic")
    up = subprocess.run([alembic, "upgrade", "head"], env=_env(empty_engine), cwd=REPO, capture_output=True,
                        text=True, timeout=180)
    assert up.returncode == 0, up.stderr
    current = subprocess.run([alembic, "current"], env=_env(empty_engine), cwd=REPO, capture_output=True,
                             text=True, timeout=120)
    assert current.returncode == 0, current.stderr
    assert f"{migrate.head_revision()} (head)" in current.stdout
    assert _diffs(empty_engine) == []


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


def test_the_migrated_stamps_triggers_are_the_metadatas(empty_engine):
    """Every data stamp's trigger (`models.stamps`: 0021 `choices`, 0026 `accounts`, whose token trigger leaves out
    `last_used_at`) as the migrations make it and as a database built from the metadata (the tests') has it."""
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        migrated = _stamp_triggers(conn)
    if empty_engine.dialect.name == "postgresql":
        with empty_engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        Base.metadata.drop_all(empty_engine)
    Base.metadata.create_all(empty_engine)
    with empty_engine.connect() as conn:
        built = _stamp_triggers(conn)
    assert migrated == built and any("_stamp_accounts" in name for name in built)
