"""Attachments and story images live in the database (workflow.uploads, models.files): content-addressed (identical
content stored once), in 1 MiB chunks, streamed back chunk by chunk through short sessions of their own. Two
application hosts with their own instance folders and engines, sharing nothing but the database, serve every file
either of them received (issue 10: "Attachments reachable from every application host")."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from samples import PDF
from sqlalchemy import func, select
from test_stories import png, write
from test_stories import recognised as recognised_examples

from models import Nomination, StoredFile, StoredFileChunk
from workflow import uploads
from workflow.errors import ValidationFailed
from workflow.nominations import service
from workflow.propagation import stories

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
# 2.5 MiB: three chunks, the last one half full; every byte position distinguishable.
BIG_PDF = PDF + bytes(i % 251 for i in range(int(2.5 * uploads.CHUNK_SIZE) - len(PDF)))
NAME = "Báo cáo thành tích Phòng HCTP.pdf"


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_identical_content_is_stored_once_in_chunks(rolled_back_db):
    db = rolled_back_db
    stored = uploads.store(db, BIG_PDF)
    digest = hashlib.sha256(BIG_PDF).hexdigest()
    assert (stored.sha256, stored.size, stored.content_type) == (digest, len(BIG_PDF), "application/pdf")
    assert uploads.store(db, BIG_PDF) == stored  # the same content again: nothing new
    assert _count(db, StoredFile) == 1
    row = uploads.stat(db, digest)
    assert (row.size, row.content_type, row.chunk_size) == (len(BIG_PDF), "application/pdf", uploads.CHUNK_SIZE)
    sizes = db.scalars(select(func.length(StoredFileChunk.data)).where(StoredFileChunk.sha256 == digest)
                       .order_by(StoredFileChunk.seq)).all()
    assert sizes == [uploads.CHUNK_SIZE, uploads.CHUNK_SIZE, uploads.CHUNK_SIZE // 2]
    assert uploads.read_all(db, digest) == BIG_PDF
    assert uploads.stat(db, "0" * 64) is None


def test_the_type_is_the_content_s_and_a_refused_file_leaves_nothing(rolled_back_db):
    db = rolled_back_db
    with pytest.raises(ValidationFailed):
        uploads.store(db, EXE)  # whatever it is called: `store` takes no name
    assert _count(db, StoredFile) == 0 and _count(db, StoredFileChunk) == 0
    assert uploads.store(db, PDF).content_type == "application/pdf"


def test_the_reader_streams_and_seeks_across_chunks(rolled_back_db):
    db = rolled_back_db
    uploads.store(db, BIG_PDF)
    row = uploads.stat(db, hashlib.sha256(BIG_PDF).hexdigest())
    opened = []

    def factory():  # every chunk through a session of its own (here: savepoints of the test's connection)
        opened.append(1)
        return _Borrowed(db)

    reader = uploads.StoredFileReader.of(factory, row)
    assert reader.read() == BIG_PDF and len(opened) == 3
    reader.seek(uploads.CHUNK_SIZE - 5)
    assert reader.read(10) == BIG_PDF[uploads.CHUNK_SIZE - 5:uploads.CHUNK_SIZE + 5]
    reader.seek(-3, 2)
    assert reader.read() == BIG_PDF[-3:] and reader.read() == b""
    reader.close()


class _Borrowed:
    """The test's session, lent as if it were a fresh one (the reader closes what it is given)."""

    def __init__(self, session):
        self.session = session

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def scalar(self, stmt):
        return self.session.scalar(stmt)

    def rollback(self):
        pass


# ------------------------------------------------------------------------------------------------ two hosts
def _multipart(fields: dict, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body built by hand: werkzeug's test builder spools a large one to a file it never closes."""
    boundary = "----hai-may-chu"
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n")
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def hosts(engine, fresh_db, tmp_path):
    """Two application instances as on two servers: their own instance folders and engines (connection pools),
    the same database (so the reseeded one: the tests' `db` is `fresh_db`)."""
    from web import create_app

    url = engine.url.render_as_string(hide_password=False)
    apps = []
    for name in ("may-chu-1", "may-chu-2"):
        folder = tmp_path / name
        apps.append(create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "hai-may-chu",
                                "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}, instance_path=str(folder)))
    yield apps
    for app in apps:
        app.extensions["dienhinh.engine"].dispose()
    assert not any((tmp_path / name / "uploads").exists() for name in ("may-chu-1", "may-chu-2"))


def _token(app, username, password):
    r = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def test_an_attachment_uploaded_on_one_host_is_served_by_the_other(hosts, db, demo):
    one, two = hosts
    n = service.create_nomination(db, demo.actor("tp_pbgdpl"), campaign_id=demo.campaign().id,
                                  subject_type="collective", unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    db.commit()
    nid = n.id
    db.close()
    body, content_type = _multipart({"kind": "achievement_report"}, "file", NAME, BIG_PDF)
    r = one.test_client().post(f"/api/v1/nominations/{nid}/attachments", data=body, content_type=content_type,
                               headers=_token(one, "tp_pbgdpl", demo.password))
    assert r.status_code == 201, r.get_json()
    att = r.get_json()
    assert (att["size"], att["content_type"], att["sha256"]) == (
        len(BIG_PDF), "application/pdf", hashlib.sha256(BIG_PDF).hexdigest())

    # the API of the other host
    url = f"/api/v1/nominations/{nid}/attachments/{att['id']}"
    with two.test_client().get(url, headers=_token(two, "tp_pbgdpl", demo.password)) as r:
        assert r.status_code == 200 and r.data == BIG_PDF
        assert r.headers["Content-Type"] == "application/pdf"
        assert r.headers["Content-Length"] == str(len(BIG_PDF))
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["ETag"] == f'"{att["sha256"]}"'
        disposition = r.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and f"filename*=UTF-8''{quote(NAME)}" in disposition
    # a Range across the first chunk boundary (a PDF viewer's request)
    start = uploads.CHUNK_SIZE - 8
    with two.test_client().get(url, headers={**_token(two, "tp_pbgdpl", demo.password),
                                             "Range": f"bytes={start}-{start + 15}"}) as r:
        assert r.status_code == 206 and r.data == BIG_PDF[start:start + 16]
    # the page of the other host, logged in there
    page = two.test_client()
    page.post("/login", data={"username": "tp_pbgdpl", "password": demo.password})
    with page.get(f"/nominations/{nid}/attachments/{att['id']}") as r:
        assert r.status_code == 200 and r.data == BIG_PDF
        assert r.headers["Content-Type"] == "application/pdf" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert f"filename*=UTF-8''{quote(NAME)}" in r.headers["Content-Disposition"]
    # scope unchanged: another unit's head sees neither the nomination nor its file
    with two.test_client().get(url, headers=_token(two, "tp_hctp", demo.password)) as r:
        assert r.status_code == 404
    # the same content attached again (on the other host): stored once
    body, content_type = _multipart({"kind": "evidence"}, "file", "ban-sao.pdf", BIG_PDF)
    r = two.test_client().post(f"/api/v1/nominations/{nid}/attachments", data=body, content_type=content_type,
                               headers=_token(two, "tp_pbgdpl", demo.password))
    assert r.status_code == 201
    with one.extensions["dienhinh.sessions"]() as s:
        assert _count(s, StoredFile) == 1
        assert len(s.get(Nomination, nid).attachments) == 2


def test_a_story_image_uploaded_on_one_host_is_served_by_the_other(hosts, db, demo):
    one, two = hosts
    example = recognised_examples(db, demo, "HCTP")[0]
    story = write(db, demo, example)
    sid = story.id
    db.close()
    image = png(3, 2)
    body, content_type = _multipart({"caption": "Ảnh tập thể"}, "image", "ảnh tập thể.png", image)
    r = one.test_client().post(f"/api/v1/stories/{sid}/images", data=body, content_type=content_type,
                               headers=_token(one, "bientap", demo.password))
    assert r.status_code == 201, r.get_json()
    url = r.get_json()["url"]
    editor = two.test_client()
    editor.post("/login", data={"username": "bientap", "password": demo.password})
    with editor.get(url) as r:
        assert r.status_code == 200 and r.data == image and r.mimetype == "image/png"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert r.headers["Cache-Control"] == "private, no-store"  # a draft's image
    with two.test_client().get(url) as r:
        assert r.status_code == 404  # the public does not see a draft's image
    with one.extensions["dienhinh.sessions"]() as s:
        stories.publish(s, stories_actor(s, "bientap"), sid)
        s.commit()
    with two.test_client().get(url) as r:
        assert r.status_code == 200 and r.data == image and r.headers["Cache-Control"] == "public, max-age=300"


def stories_actor(session, username):
    from models import User
    from workflow.policy import actor_for

    return actor_for(session, session.scalar(select(User).where(User.username == username)))


@pytest.mark.fresh_db
def test_the_same_new_content_uploaded_twice_at_once_is_stored_once(db, session_factory):
    """Two transactions store the same content at the same moment: on PostgreSQL the second waits on the primary key
    and then finds the first's row; both succeed, one stored file."""
    import threading

    db.close()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with session_factory() as s:
            barrier.wait(timeout=10)
            try:
                results.append(uploads.store(s, BIG_PDF))
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                results.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and all(isinstance(r, uploads.Stored) for r in results), results
    with session_factory() as s:
        assert _count(s, StoredFile) == 1 and uploads.read_all(s, results[0].sha256) == BIG_PDF
