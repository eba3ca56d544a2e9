"""attachments stored in the database (content-addressed)

Revision ID: 0011_stored_files
Revises: 0010_audit_chains
Create Date: 2026-11-29 09:30:00

Creates `stored_files` (one row per distinct content, keyed by its SHA-256) and `stored_file_chunks` (the bytes, 1 MiB
a row), then moves in the file of every attachment and story image from the directory the application used before,
`UPLOAD_ROOT` (the environment variable), else the default `instance/uploads` that `dienhinh init-db` passes in
(`config.attributes["upload_root"]`); each file is read as `<root>/<sha256[:2]>/<sha256>` and checked against its
hash. The files on disk are left in place (delete them once the upgrade is committed and verified).

A row whose file is missing or whose content no longer matches its hash stops the upgrade, listing every such row and
the directory searched — most often `UPLOAD_ROOT` is not set as on the servers — and nothing is changed. When the
files are known to be lost, `UPLOADS_ALLOW_MISSING=1` lets it finish: those rows stay (the dossier keeps the record of
what was attached), each is logged as a warning, and downloading one answers 404 as it did before.

Downgrade writes every stored file back under `UPLOAD_ROOT` (or the default) and drops the tables.
"""
import datetime as dt
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision: str = '0011_stored_files'
down_revision: str | Sequence[str] | None = '0010_audit_chains'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK_SIZE = 1024 * 1024
log = logging.getLogger("alembic.runtime.migration")

stored_files = sa.table(
    "stored_files", sa.column("sha256", sa.String), sa.column("size", sa.BigInteger),
    sa.column("content_type", sa.String), sa.column("chunk_size", sa.Integer), sa.column("created_at", sa.DateTime))
stored_file_chunks = sa.table(
    "stored_file_chunks", sa.column("sha256", sa.String), sa.column("seq", sa.Integer),
    sa.column("data", sa.LargeBinary))


def upgrade() -> None:
    op.create_table(
        'stored_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('chunk_size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('size > 0 AND chunk_size > 0', name=op.f('ck_stored_files_positive_sizes')),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files')),
    )
    op.create_table(
        'stored_file_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'],
                                name=op.f('fk_stored_file_chunks_sha256_stored_files'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_stored_file_chunks')),
    )
    _move_files_in(op.get_bind())


def downgrade() -> None:
    _write_files_out(op.get_bind())
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')


def _upload_root() -> Path | None:
    root = os.environ.get("UPLOAD_ROOT") or context.config.attributes.get("upload_root")
    return Path(root) if root else None


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_SIZE):
            h.update(block)
    return h.hexdigest()


def _move_files_in(conn) -> None:
    rows = conn.execute(sa.text(
        "SELECT 'attachments' AS tbl, id, sha256, content_type FROM attachments "
        "UNION ALL SELECT 'story_images' AS tbl, id, sha256, content_type FROM story_images")).all()
    if not rows:
        return
    root = _upload_root()
    if root is None:
        raise SystemExit("Không chuyển được tệp đính kèm vào cơ sở dữ liệu: chưa biết thư mục tệp cũ. "
                         "Đặt biến môi trường UPLOAD_ROOT (thư mục tệp đính kèm đã dùng) rồi chạy lại.")
    files: dict[str, list] = {}
    for row in sorted(rows, key=lambda r: (r.sha256, r.tbl, r.id)):
        files.setdefault(row.sha256, []).append(row)
    problems: dict[str, str] = {}
    for sha in files:
        path = root / sha[:2] / sha
        if not path.is_file():
            problems[sha] = f"không có tệp {path}"
        elif _digest(path) != sha:
            problems[sha] = f"nội dung tệp {path} không khớp mã SHA-256"
    if problems:
        lines = [f"  - {r.tbl} #{r.id}: {problems[r.sha256]}" for sha in problems for r in files[sha]]
        if os.environ.get("UPLOADS_ALLOW_MISSING") != "1":
            raise SystemExit(
                f"Không chuyển được tệp đính kèm vào cơ sở dữ liệu: {len(lines)} bản ghi thiếu tệp "
                f"(thư mục tìm: {root}; đặt UPLOAD_ROOT nếu tệp nằm ở nơi khác). Không có gì thay đổi.\n"
                + "\n".join(lines)
                + "\nNếu các tệp này đã mất thật, chạy lại với UPLOADS_ALLOW_MISSING=1: các bản ghi được giữ, "
                  "tải xuống sẽ báo không tìm thấy tệp.")
        for line in lines:
            log.warning("file missing, row kept (UPLOADS_ALLOW_MISSING=1): %s", line.strip(" -"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    moved = 0
    for sha, refs in files.items():
        if sha in problems:
            continue
        path = root / sha[:2] / sha
        conn.execute(stored_files.insert().values(sha256=sha, size=path.stat().st_size,
                                                  content_type=refs[0].content_type, chunk_size=CHUNK_SIZE,
                                                  created_at=now))
        with path.open("rb") as fh:
            seq = 0
            while block := fh.read(CHUNK_SIZE):
                conn.execute(stored_file_chunks.insert().values(sha256=sha, seq=seq, data=block))
                seq += 1
        moved += 1
    log.info("moved %d stored files from %s into the database (%d rows refer to them)", moved, root,
             sum(len(files[s]) for s in files if s not in problems))


def _write_files_out(conn) -> None:
    shas = conn.execute(sa.select(stored_files.c.sha256).order_by(stored_files.c.sha256)).scalars().all()
    if not shas:
        return
    root = _upload_root()
    if root is None:
        raise SystemExit("Không hạ phiên bản được: đặt UPLOAD_ROOT (thư mục để ghi lại các tệp đính kèm).")
    for sha in shas:
        path = root / sha[:2] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as fh:
            for block in conn.execute(sa.select(stored_file_chunks.c.data).where(stored_file_chunks.c.sha256 == sha)
                                      .order_by(stored_file_chunks.c.seq)).scalars():
                fh.write(block)
        tmp.replace(path)
