"""`dienhinh backup FILE` and `dienhinh restore FILE`: one archive with everything a restore needs except the secrets.

The archive is a tar file holding
- `database.pgdump` (PostgreSQL: `pg_dump --format=custom`, taken in a snapshot this process exported) or
  `database.sqlite3` (SQLite: the online backup API, never a file copy: a copied live file loses what is still in
  its write-ahead log). Attachments are rows of the database, so they are in it;
- `audit-checkpoints/<chain>.jsonl`: the signed checkpoints of AUDIT_CHECKPOINT_DIR (outside the database);
- `manifest.json`: the format, the backend, the schema revision, the time, the number of rows of every table in the
  database's snapshot, and the size and SHA-256 of every other member.

Order matters: the checkpoint files are read first (complete lines only), the database's snapshot taken after. A
checkpoint only covers events committed before it was written, so every checkpoint in the archive covers events that
are in the dump, and `dienhinh audit verify` passes on the restored database.

Never in the archive: SECRET_KEY, BALLOT_KEY, AUDIT_SIGNING_KEY — backed up separately, with the other secrets.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from models import make_engine
from workflow import clock

FORMAT = 1
MANIFEST = "manifest.json"
PG_MEMBER = "database.pgdump"
SQLITE_MEMBER = "database.sqlite3"
CHECKPOINTS = "audit-checkpoints"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line saying why (in Vietnamese)."""


# ------------------------------------------------------------------------------------------------ backup
def backup(engine: Engine, checkpoint_dir: str | Path, target: str | Path) -> dict:
    """Writes the archive to `target` (which must not exist; mode 0600: it holds personal data) and returns its
    manifest."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"Tệp {target} đã có: hãy chọn tên khác (bản sao lưu không bao giờ bị ghi đè).")
    if not target.parent.is_dir():
        raise BackupError(f"Không có thư mục {target.parent}.")
    work = Path(tempfile.mkdtemp(prefix=".dienhinh-backup-", dir=target.parent))
    try:
        members = _copy_checkpoints(Path(checkpoint_dir), work)  # first: see the module's docstring
        if engine.dialect.name == "postgresql":
            snapshot = _dump_postgres(engine, work / PG_MEMBER)
            members.insert(0, PG_MEMBER)
        else:
            snapshot = _dump_sqlite(engine, work / SQLITE_MEMBER)
            members.insert(0, SQLITE_MEMBER)
        manifest = {
            "format": FORMAT,
            "application": "dienhinh",
            "backend": engine.dialect.name,
            "schema_revision": snapshot["revision"],
            "created_at": clock.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
            "tables": snapshot["tables"],
            "members": {name: {"size": (work / name).stat().st_size, "sha256": _sha256(work / name)}
                        for name in members},
        }
        partial = target.with_name(f".{target.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(clock.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for name in members:
                tar.add(work / name, arcname=name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy_checkpoints(directory: Path, work: Path) -> list[str]:
    """Every `<chain>.jsonl`, up to its last complete line (`audit checkpoint` may be appending right now)."""
    names = []
    if not directory.is_dir():
        return names
    (work / CHECKPOINTS).mkdir()
    for path in sorted(directory.glob("*.jsonl")):
        data = path.read_bytes()
        data = data[: data.rfind(b"\n") + 1]
        name = f"{CHECKPOINTS}/{path.name}"
        (work / name).write_bytes(data)
        names.append(name)
    return names


def _dump_postgres(engine: Engine, out: Path) -> dict:
    """pg_dump in a snapshot exported by a REPEATABLE READ transaction of ours, which counts the rows of the same
    snapshot: the manifest's counts are exactly what the dump holds."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn:
        snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        _run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot_id}", f"--file={out}",
              f"--dbname={_libpq_uri(engine)}"], engine)
        info = _snapshot_info(conn)
        conn.rollback()
    return info


def _dump_sqlite(engine: Engine, out: Path) -> dict:
    path = _sqlite_path(engine)
    if not os.path.isfile(path):  # sqlite3.connect would create it, and the backup would be of nothing
        raise BackupError(f"Không có cơ sở dữ liệu {path}: kiểm tra DATABASE_URL.")
    source = sqlite3.connect(path, timeout=15)
    dest = sqlite3.connect(out)
    try:
        source.backup(dest)  # all pages in one step: one consistent read snapshot, writers (WAL) carry on
    finally:
        source.close()
    dest.close()
    copy = make_engine(f"sqlite:///{out}")
    try:
        with copy.connect() as conn:
            return _snapshot_info(conn)
    finally:
        copy.dispose()


def _snapshot_info(conn) -> dict:
    from alembic.runtime.migration import MigrationContext

    prep = conn.dialect.identifier_preparer
    tables = {name: conn.execute(text(f"SELECT count(*) FROM {prep.quote(name)}")).scalar_one()
              for name in sorted(inspect(conn).get_table_names())}
    revision = MigrationContext.configure(conn).get_current_revision() if "alembic_version" in tables else None
    return {"tables": tables, "revision": revision}


# ------------------------------------------------------------------------------------------------ restore
def restore(engine: Engine, checkpoint_dir: str | Path, source: str | Path) -> dict:
    """Restores the archive into the (empty) database of `engine` and its checkpoint files into `checkpoint_dir`
    (an existing file must be identical). Everything is checked before anything is written."""
    source = Path(source)
    work = Path(tempfile.mkdtemp(prefix=".dienhinh-restore-"))
    try:
        manifest = _extract(source, work)
        backend = engine.dialect.name
        if manifest.get("backend") != backend:
            raise BackupError(f"Bản sao lưu là của {manifest.get('backend')}, còn DATABASE_URL là {backend}: "
                              f"chỉ khôi phục được vào cùng loại cơ sở dữ liệu.")
        _require_empty(engine)
        directory = Path(checkpoint_dir)
        to_write = []
        for name in manifest["members"]:
            if not name.startswith(CHECKPOINTS + "/"):
                continue
            dest = directory / name.split("/", 1)[1]
            if dest.exists():
                if dest.read_bytes() != (work / name).read_bytes():
                    raise BackupError(f"Tệp điểm kiểm tra {dest} đã có và khác bản trong bản sao lưu: không ghi đè. "
                                      f"Hãy khôi phục vào một AUDIT_CHECKPOINT_DIR trống (hoặc chuyển tệp đó đi).")
                continue
            to_write.append((work / name, dest))
        if backend == "postgresql":
            _run([_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                  f"--dbname={_libpq_uri(engine)}", str(work / PG_MEMBER)], engine)
        else:
            engine.dispose()
            src = sqlite3.connect(work / SQLITE_MEMBER)
            dest_db = sqlite3.connect(_sqlite_path(engine), timeout=15)
            try:
                src.backup(dest_db)
            finally:
                src.close()
                dest_db.close()
        engine.dispose()
        if to_write:
            directory.mkdir(parents=True, exist_ok=True)
        for src_file, dest in to_write:
            shutil.copyfile(src_file, dest)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _extract(source: Path, work: Path) -> dict:
    """The manifest, and every member it lists extracted into `work` and checked against its SHA-256. Only regular
    files with the names a backup writes are read (nothing outside `work`)."""
    try:
        tar = tarfile.open(source, mode="r:")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"Không đọc được bản sao lưu {source}: {exc}") from None
    with tar:
        try:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
        except (KeyError, AttributeError, ValueError):
            raise BackupError(f"{source} không phải bản sao lưu của dienhinh (thiếu {MANIFEST}).") from None
        if manifest.get("application") != "dienhinh" or manifest.get("format") != FORMAT:
            raise BackupError(f"{source}: định dạng bản sao lưu không được hỗ trợ ({manifest.get('format')}).")
        database = PG_MEMBER if manifest.get("backend") == "postgresql" else SQLITE_MEMBER
        if database not in manifest.get("members", {}):
            raise BackupError(f"{source}: thiếu {database}.")
        for name, expected in manifest["members"].items():
            if not (name == database or (name.startswith(CHECKPOINTS + "/") and name.count("/") == 1
                                         and name.endswith(".jsonl") and ".." not in name)):
                raise BackupError(f"{source}: thành phần lạ {name!r}.")
            try:
                member = tar.getmember(name)
            except KeyError:
                raise BackupError(f"{source}: thiếu {name}.") from None
            if not member.isfile():
                raise BackupError(f"{source}: {name} không phải tệp thường.")
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as fh, open(work / name, "wb") as out:
                shutil.copyfileobj(fh, out, 1024 * 1024)
            if _sha256(work / name) != expected["sha256"]:
                raise BackupError(f"{source}: {name} hỏng (SHA-256 không khớp với manifest).")
    return manifest


def _require_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            tables = list(conn.scalars(text(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")))
        else:
            tables = sorted(inspect(conn).get_table_names())
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise BackupError(f"Cơ sở dữ liệu {describe(engine)} không trống ({len(tables)} bảng: {shown}): "
                          f"chỉ khôi phục vào một cơ sở dữ liệu trống.")


# ------------------------------------------------------------------------------------------------ helpers
def describe(engine: Engine) -> str:
    """The database, for a message: its URL without the password."""
    return engine.url.render_as_string(hide_password=True)


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu hay khôi phục được.")
    return path


def _libpq_uri(engine: Engine) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it, without the password (given in PGPASSWORD: a command line is
    visible to every account on the host)."""
    return engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"Không tìm thấy {name}: hãy cài postgresql-client (cùng phiên bản chính với máy chủ "
                          f"PostgreSQL, hoặc mới hơn).")
    return path


def _run(argv: list[str], engine: Engine) -> None:
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[:500]
        raise BackupError(f"{Path(argv[0]).name} thất bại (mã {result.returncode}): {detail}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
