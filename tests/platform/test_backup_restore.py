"""`dienhinh backup` / `dienhinh restore` (issue 11 §10), on SQLite and PostgreSQL: a backup taken while another
thread keeps committing audited actions and signing checkpoints restores into an empty database on which
`dienhinh audit verify` passes; the restored rows are exactly the snapshot's (the manifest's counts), which holds
everything committed before the backup started. A non-empty database and a differing checkpoint file are refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import DEMO_PASSWORD, _postgres_url
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from models import ApiToken, AuditEvent, User, make_engine, make_session_factory
from notifications.audit_checkpoints import write_checkpoints
from workflow.administration import demo as demo_data
from workflow.administration.accounts import create_token
from workflow.context import CLI

BIN = Path(sys.executable).parent
CLEARED = ("DIENHINH_ENV", "DATABASE_URL", "AUDIT_CHECKPOINT_DIR", "AUDIT_SIGNING_KEY", "BALLOT_KEY_FILE",
           "SMTP_HOST", "BASE_URL", "MAIL_FROM", "RATELIMIT_STORAGE_URI")


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path):
    """Three empty databases of the backend: the source, the restore's target and a second target."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / name}.db" for name in ("source", "target", "target2")]
        return
    admin_url = make_url(_postgres_url())
    admin = make_engine(admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    names = [f"{admin_url.database}_bk_{uuid.uuid4().hex[:8]}_{n}" for n in ("src", "dst", "dst2")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [admin_url.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def signing_key(tmp_path):
    """The run's audit key (conftest configures it for every append in this process): the events the test writes
    carry MACs under it, so the command-line verify must use the same key."""
    from conftest import AUDIT_KEY

    key = AUDIT_KEY
    path = tmp_path / "audit_signing_key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key, path


def _env(database_url, checkpoint_dir, key_path) -> dict:
    return {"DATABASE_URL": database_url, "AUDIT_CHECKPOINT_DIR": str(checkpoint_dir),
            "AUDIT_SIGNING_KEY": str(key_path), "SECRET_KEY": "backup-test", "BALLOT_KEY": "backup-test-ballot"}


def _process(args, database_url, checkpoint_dir, key_path, cwd):
    """`dienhinh ARGS` as a real process: the backup taken while the test's writer thread commits."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(_env(database_url, checkpoint_dir, key_path))
    return subprocess.run([str(BIN / "dienhinh"), *args], env=env, capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def cli(script):
    """`cli(args, database_url, checkpoint_dir, key_path, cwd)`: the script in-process (conftest's `script`)."""
    def run(args, database_url, checkpoint_dir, key_path, cwd):
        return script(args, {**{name: None for name in CLEARED}, **_env(database_url, checkpoint_dir, key_path)}, cwd)

    return run


def _counts(engine) -> dict:
    with engine.connect() as conn:
        prep = conn.dialect.identifier_preparer
        return {name: conn.execute(text(f"SELECT count(*) FROM {prep.quote(name)}")).scalar_one()
                for name in sorted(inspect(conn).get_table_names())}


class Writer(threading.Thread):
    """Keeps committing audited actions (an API token issued: a row and an audit event) through the services, and
    signs checkpoints every few commits, until stopped."""

    def __init__(self, engine, key, checkpoint_dir):
        super().__init__(daemon=True)
        self.factory = make_session_factory(engine)
        self.key, self.checkpoint_dir = key, checkpoint_dir
        self.commits = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stop.is_set():
                with self.factory() as session:
                    user = session.scalar(select(User).where(User.username == "thanhtra"))
                    create_token(session, user, expires_days=1, name=f"backup-{self.commits}", context=CLI)
                    session.commit()
                    self.commits += 1
                    if self.commits % 5 == 0:
                        write_checkpoints(session, self.key, self.checkpoint_dir)
                        session.commit()
                time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def test_backup_under_write_load_restores_and_verifies(databases, signing_key, tmp_path, cli):
    source_url, target_url, target2_url = databases
    key, key_path = signing_key
    source_cps, target_cps = tmp_path / "cp-source", tmp_path / "cp-target"
    result = cli(["init-db"], source_url, source_cps, key_path, tmp_path)
    assert result.returncode == 0, result.stderr

    source = make_engine(source_url)
    with make_session_factory(source)() as session:
        demo_data.seed(session, DEMO_PASSWORD)
        session.commit()
        user = session.scalar(select(User).where(User.username == "admin"))
        for i in range(3):
            create_token(session, user, expires_days=1, name=f"before-{i}", context=CLI)
        session.commit()
        write_checkpoints(session, key, source_cps)
        session.commit()

    writer = Writer(source, key, source_cps)
    writer.start()
    try:
        while writer.commits < 6 and writer.error is None:
            time.sleep(0.05)
        before = _counts(source)  # committed before the backup starts
        commits_before = writer.commits
        archive = tmp_path / "dienhinh.backup.tar"
        result = _process(["backup", str(archive)], source_url, source_cps, key_path, tmp_path)
        commits_during = writer.commits - commits_before
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.returncode == 0, result.stderr
    assert commits_during > 0  # the backup really ran under write load
    assert os.stat(archive).st_mode & 0o077 == 0

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = tar.getnames()
    assert manifest["backend"] == ("postgresql" if source_url.startswith("postgresql") else "sqlite")
    assert manifest["schema_revision"]
    checkpoint_members = [n for n in names if n.startswith("audit-checkpoints/")]
    assert checkpoint_members and set(manifest["members"]) == set(names) - {"manifest.json"}
    for table in ("audit_events", "api_tokens", "users", "audit_checkpoints"):
        assert manifest["tables"][table] >= before[table] > 0, table

    result = cli(["restore", str(archive)], target_url, target_cps, key_path, tmp_path)
    assert result.returncode == 0, result.stderr
    target = make_engine(target_url)
    try:
        assert _counts(target) == manifest["tables"]  # exactly the snapshot
        with target.connect() as conn:
            tokens = conn.scalar(select(func.count()).select_from(ApiToken))
            events = conn.scalar(select(func.count()).select_from(AuditEvent))
        assert tokens >= before["api_tokens"] and events >= before["audit_events"]
        assert sorted(p.name for p in target_cps.iterdir()) == sorted(n.split("/", 1)[1] for n in checkpoint_members)

        result = cli(["audit", "verify"], target_url, target_cps, key_path, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr

        # A second restore into the now non-empty database is refused, naming it.
        result = cli(["restore", str(archive)], target_url, target_cps, key_path, tmp_path)
        assert result.returncode == 1
        assert "không trống" in result.stderr and make_url(target_url).database in result.stderr
    finally:
        target.dispose()

    # An existing, identical checkpoint file is fine; a different one is refused before anything is restored.
    conflicting = tmp_path / "cp-conflict"
    conflicting.mkdir()
    first = checkpoint_members[0].split("/", 1)[1]
    (conflicting / first).write_text('{"chain": "forged"}\n')
    result = cli(["restore", str(archive)], target2_url, conflicting, key_path, tmp_path)
    assert result.returncode == 1 and first in result.stderr, result.stderr
    target2 = make_engine(target2_url)
    try:
        assert _counts(target2) == {}  # nothing restored
    finally:
        target2.dispose()
    (conflicting / first).write_bytes((target_cps / first).read_bytes())
    result = cli(["restore", str(archive)], target2_url, conflicting, key_path, tmp_path)
    assert result.returncode == 0, result.stderr
    source.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path, signing_key, cli):
    _, key_path = signing_key
    bogus = tmp_path / "bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        tar.add(key_path, arcname="database.sqlite3")
    result = cli(["restore", str(bogus)], f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "cp", key_path, tmp_path)
    assert result.returncode == 1 and "manifest.json" in result.stderr


def test_backup_refuses_a_sqlite_database_that_does_not_exist(tmp_path, signing_key, cli):
    _, key_path = signing_key
    missing = tmp_path / "missing.db"
    result = cli(["backup", str(tmp_path / "b.tar")], f"sqlite:///{missing}", tmp_path / "cp", key_path, tmp_path)
    assert result.returncode == 1 and str(missing) in result.stderr, result.stderr
    assert not missing.exists() and not (tmp_path / "b.tar").exists()
