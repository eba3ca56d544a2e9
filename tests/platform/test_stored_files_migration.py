"""Revision 0011 moves the files of existing attachments and story images from the upload directory into the
database: each distinct content once, checked against its hash; a missing file stops the upgrade naming every row
(nothing changed) unless UPLOADS_ALLOW_MISSING=1 keeps the rows; UPLOAD_ROOT wins over the default directory;
downgrade writes the files back. On a fresh database of each backend (test_migrations' `empty_engine`)."""
# ruff: noqa: F811 - `empty_engine` is test_migrations' fixture, imported here
from __future__ import annotations

import hashlib
import logging

import pytest
from sqlalchemy import MetaData, func, inspect, select
from test_migrations import empty_engine  # noqa: F401
from test_stored_files import BIG_PDF, PDF
from test_stories import png

from models import Attachment, StoredFile, make_session_factory
from web import migrate
from workflow import clock, uploads

BEFORE = "0010_audit_chains"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(root, data: bytes) -> None:
    path = root / sha(data)[:2] / sha(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def old_database(empty_engine, monkeypatch):
    """A database at the revision before 0011 holding two attachments of one content (2.5 MiB: three chunks), one
    of another and a story image — rows as the application wrote them when files lived on disk. Written through the
    tables as they were at BEFORE (reflected), never through today's models: the models keep gaining columns (units,
    stories, users since), which an ORM insert would name and the old tables do not have."""
    monkeypatch.delenv("UPLOAD_ROOT", raising=False)
    monkeypatch.delenv("UPLOADS_ALLOW_MISSING", raising=False)
    migrate.upgrade(empty_engine, BEFORE)
    with empty_engine.begin() as conn:
        old = MetaData()
        old.reflect(conn, only=["units", "campaigns", "nominations", "attachments", "stories", "story_images"])
        now = clock.now()

        def insert(table: str, **values) -> int:
            return conn.execute(old.tables[table].insert().values(**values)).inserted_primary_key[0]

        stp = insert("units", code="STP", name="Sở Tư pháp tỉnh An Giang", kind="department", active=True,
                     search_text="stp")
        hctp = insert("units", code="HCTP", name="Phòng Hành chính tư pháp", kind="division", parent_id=stp,
                      department_id=stp, active=True, search_text="hctp")
        campaign = insert("campaigns", department_id=stp, name="Phong trào thi đua năm", kind="annual",
                          start_date=now.date(), end_date=now.date(), registration_deadline=now.date(),
                          allows_collective=True, allows_individual=True, created_at=now)
        nid = insert("nominations", campaign_id=campaign, department_id=stp, unit_id=hctp, subject_type="collective",
                     subject_key=f"u:{hctp}", title="Phòng Hành chính tư pháp", achievements="Thành tích nổi bật",
                     initiatives="", state="nurtured", version=1, search_text="", created_at=now, updated_at=now)
        for name, data in (("bao-cao.pdf", BIG_PDF), ("ban-sao.pdf", BIG_PDF), ("quyet-dinh.pdf", PDF)):
            insert("attachments", nomination_id=nid, kind="evidence", filename=name, content_type="application/pdf",
                   size=len(data), sha256=sha(data), created_at=now)
        story = insert("stories", department_id=stp, nomination_id=nid, title="Bài viết", summary="", body_html="",
                       channel="portal", state="draft", version=1, created_at=now, updated_at=now)
        insert("story_images", story_id=story, filename="anh.png", content_type="image/png", size=len(png()),
               sha256=sha(png()), caption="", created_at=now)
    return empty_engine


def _stored(engine) -> dict[str, bytes]:
    with make_session_factory(engine)() as s:
        return {f.sha256: uploads.read_all(s, f.sha256) for f in s.scalars(select(StoredFile))}


def test_files_move_into_the_database(old_database, tmp_path):
    root = tmp_path / "instance" / "uploads"
    for data in (BIG_PDF, PDF, png()):
        put(root, data)
    migrate.upgrade(old_database, upload_root=str(root))
    assert migrate.current_revision(old_database) == migrate.head_revision()
    assert _stored(old_database) == {sha(BIG_PDF): BIG_PDF, sha(PDF): PDF, sha(png()): png()}
    with make_session_factory(old_database)() as s:
        big = s.get(StoredFile, sha(BIG_PDF))
        assert (big.size, big.content_type, big.chunk_size) == (len(BIG_PDF), "application/pdf", uploads.CHUNK_SIZE)
        assert s.scalar(select(func.count()).select_from(Attachment)) == 3
    assert (root / sha(PDF)[:2] / sha(PDF)).is_file()  # the old files are left for the operator to remove


def test_upload_root_from_the_environment_wins(old_database, tmp_path, monkeypatch):
    root = tmp_path / "shared"
    for data in (BIG_PDF, PDF, png()):
        put(root, data)
    monkeypatch.setenv("UPLOAD_ROOT", str(root))
    migrate.upgrade(old_database, upload_root=str(tmp_path / "instance" / "uploads"))  # (empty) default ignored
    assert set(_stored(old_database)) == {sha(BIG_PDF), sha(PDF), sha(png())}


def test_a_missing_file_stops_the_upgrade_naming_each_row(old_database, tmp_path):
    root = tmp_path / "uploads"
    put(root, PDF)
    (root / sha(png())[:2]).mkdir(parents=True)
    (root / sha(png())[:2] / sha(png())).write_bytes(b"not the image")  # content no longer matches its hash
    with pytest.raises(SystemExit) as stop:
        migrate.upgrade(old_database, upload_root=str(root))
    message = str(stop.value)
    assert "3 bản ghi thiếu tệp" in message and str(root) in message and "UPLOADS_ALLOW_MISSING=1" in message
    assert message.count(f"không có tệp {root / sha(BIG_PDF)[:2] / sha(BIG_PDF)}") == 2  # both rows named
    assert "story_images #1: nội dung tệp" in message
    # nothing changed: still the old revision, no table of stored files
    assert migrate.current_revision(old_database) == BEFORE
    assert "stored_files" not in inspect(old_database).get_table_names()


def test_lost_files_may_be_accepted_keeping_their_rows(old_database, tmp_path, monkeypatch, caplog):
    root = tmp_path / "uploads"
    put(root, PDF)
    put(root, png())
    monkeypatch.setenv("UPLOADS_ALLOW_MISSING", "1")
    with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
        migrate.upgrade(old_database, upload_root=str(root))
    assert set(_stored(old_database)) == {sha(PDF), sha(png())}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all(sha(BIG_PDF) in w and "row kept" in w for w in warnings)
    with make_session_factory(old_database)() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 3  # the record of what was attached stays
        assert uploads.stat(s, sha(BIG_PDF)) is None  # its download answers 404, as before


def test_downgrade_writes_the_files_back(old_database, tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    for data in (BIG_PDF, PDF, png()):
        put(root, data)
    migrate.upgrade(old_database, upload_root=str(root))
    back = tmp_path / "back"
    monkeypatch.setenv("UPLOAD_ROOT", str(back))
    from alembic import command

    command.downgrade(migrate.alembic_config(old_database), BEFORE)
    for data in (BIG_PDF, PDF, png()):
        assert (back / sha(data)[:2] / sha(data)).read_bytes() == data
    assert "stored_files" not in inspect(old_database).get_table_names()
