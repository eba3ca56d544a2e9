"""Stories about recognised examples (workflow.propagation.stories, /stories pages, /api/v1/stories): only the
department's editor writes, only about a recognised example; the body is sanitised on every save; publishing puts the
story on the public showcase and in the Atom feed, taking it down removes it; a stale version is a 409; images are
PNG/JPEG by content and at most 5 MB; every write is audited."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from factories import nomination as nominate
from factories import png, recognised
from factories import story as write
from samples import PDF
from sqlalchemy import select

from models import AuditEvent, Story, StoryImage
from workflow.errors import Conflict, Forbidden, ValidationFailed
from workflow.propagation import stories

D1 = dt.date(2026, 11, 20)
EVIL = ('<p onclick="steal()">Gương sáng <strong>pháp luật</strong></p><script>alert("x")</script>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">bấm</a>'
        '<a href="https://stp.gov.vn/bai" target="_blank">nguồn</a><iframe src="https://evil.test"></iframe>')


@pytest.fixture
def example(db, demo):
    return recognised(db, demo, "HCTP")[0]


# ------------------------------------------------------------------------------------------------ service
def test_sanitising_strips_scripts_handlers_and_javascript_links():
    clean = stories.sanitize_html(EVIL)
    assert "<script" not in clean and "alert(\"x\")" not in clean
    assert "onerror" not in clean and "onclick" not in clean and "<img" not in clean and "<iframe" not in clean
    assert "javascript:" not in clean
    assert '<strong>pháp luật</strong>' in clean
    assert 'href="https://stp.gov.vn/bai"' in clean and 'rel="noopener noreferrer"' in clean
    assert "target=" not in clean


def test_editor_writes_a_draft_about_a_recognised_example_and_it_is_audited(db, demo, example):
    story = write(db, demo, example, body=EVIL)
    assert (story.state, story.department_id, story.nomination_id, story.version) == (
        "draft", demo.unit("STP").id, example.id, 1)
    assert "<script" not in story.body_html and "javascript:" not in story.body_html
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "story.create"))
    assert (event.object_type, event.object_id, event.actor_username) == ("story", story.id, "bientap")


@pytest.mark.parametrize("user", ["tp_hctp", "vanphong", "giamdoc", "admin", "canbo1"])
def test_only_the_editor_writes(db, demo, example, user):
    with pytest.raises(Forbidden):
        stories.create(db, demo.actor(user), nomination_id=example.id, title="T", body="<p>x</p>")


def test_only_about_a_recognised_example(db, demo):
    submitted = nominate(db, demo, unit="TGPL")  # not judged yet
    db.commit()
    with pytest.raises(ValidationFailed) as err:
        stories.create(db, demo.actor("bientap"), nomination_id=submitted.id, title="T", body="<p>x</p>")
    assert "chưa được công nhận" in err.value.reasons[0]


def test_stale_version_is_a_conflict(db, demo, example):
    story = write(db, demo, example)
    editor = demo.actor("bientap")
    stories.update(db, editor, story.id, version=1, title="Tiêu đề mới")
    db.commit()
    assert story.version == 2
    with pytest.raises(Conflict):
        stories.update(db, editor, story.id, version=1, title="Ghi đè")
    db.rollback()
    stories.publish(db, editor, story.id)
    db.commit()
    stories.update(db, editor, story.id, version=story.version, title="Bản sửa")
    db.commit()
    with pytest.raises(Conflict):  # the second of two editors who opened the same published story
        stories.update(db, editor, story.id, version=story.version - 1, title="Bản sửa khác")


# ------------------------------------------------------------------------------------------------ pages
def test_unit_head_and_secretariat_are_refused_on_the_pages(client, login, db, demo, example):
    for user in ("tp_hctp", "vanphong"):
        login(user)
        assert client.get("/stories/new").status_code == 403
        r = client.post("/stories/new", data={"nomination_id": example.id, "title": "T", "body": "<p>x</p>",
                                              "channel": "portal"})
        assert r.status_code == 403
    assert db.scalar(select(Story.id)) is None


def test_editor_pages_write_publish_and_take_down(client, login, db, demo, example):
    login("bientap")
    form = client.get("/stories/new").get_data(as_text=True)
    assert f'value="{example.id}"' in form
    r = client.post("/stories/new", data={"nomination_id": example.id, "title": "Gương sáng HCTP", "body": EVIL,
                                          "summary": "Tóm tắt", "channel": "bulletin"})
    assert r.status_code == 302
    story = db.scalar(select(Story))
    sid, version = story.id, story.version
    db.rollback()  # SQLite: release the test session's write lock before the app writes
    page = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert "<script>alert" not in page and "Gương sáng HCTP" in page and "Xuất bản" in page
    assert client.get("/stories?state=draft").get_data(as_text=True).count("Gương sáng HCTP") == 1
    # not on the showcase while a draft
    assert "Gương sáng HCTP" not in client.get("/showcase").get_data(as_text=True)
    # publishing needs the confirmation
    r = client.post(f"/stories/{sid}/publish", data={"version": version})
    assert r.status_code == 422
    r = client.post(f"/stories/{sid}/publish", data={"version": version, "confirm": "yes"})
    assert r.status_code == 302
    client.post("/logout")
    showcase = client.get("/showcase").get_data(as_text=True)
    assert "Gương sáng HCTP" in showcase
    assert "Gương sáng HCTP" in client.get("/showcase/feed.atom").get_data(as_text=True)
    login("bientap")
    assert client.post(f"/stories/{sid}/unpublish", data={}).status_code == 302
    client.post("/logout")
    assert "Gương sáng HCTP" not in client.get("/showcase").get_data(as_text=True)
    assert client.get(f"/showcase/stories/{sid}").status_code == 404
    events = db.execute(select(AuditEvent.action, AuditEvent.outcome).where(AuditEvent.object_type == "story")
                        .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("story.create", "ok"), ("story.publish", "refused"),
                                          ("story.publish", "ok"), ("story.unpublish", "ok")]


def test_form_refuses_a_missing_title_with_422_and_writes_nothing(client, login, db, demo, example):
    login("bientap")
    r = client.post("/stories/new", data={"nomination_id": example.id, "title": "  ", "body": "<p>x</p>",
                                          "channel": "portal"})
    assert r.status_code == 422 and "Tiêu đề là bắt buộc" in r.get_data(as_text=True)
    assert db.scalar(select(Story.id)) is None


def test_another_departments_editor_cannot_edit(client, login, api, db, demo, example):
    from workflow.administration.accounts import create_user

    create_user(db, "bientap2", full_name="Biên tập Sở 2", password=demo.password, roles=["editor"],
                unit_code="STP2-VP")
    db.commit()
    story = write(db, demo, example)
    other = api.as_("bientap2")
    assert other.get(f"/stories/{story.id}").status_code == 404  # a draft of another department is invisible
    assert other.patch(f"/stories/{story.id}", json={"version": 1, "title": "X"}).status_code == 404
    r = other.post("/stories", json={"nomination_id": example.id, "title": "X", "body": "<p>x</p>"})
    assert r.status_code == 422
    stories.publish(db, demo.actor("bientap"), story.id)
    db.commit()
    r = other.post(f"/stories/{story.id}/unpublish", json={})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    login("bientap2")
    assert client.get(f"/stories/{story.id}/edit").status_code == 403


# ------------------------------------------------------------------------------------------------ API
def test_api_create_patch_publish_and_list(api, db, demo, example):
    ed = api.as_("bientap")
    r = ed.post("/stories", json={"nomination_id": example.id, "title": "Bài API", "body": EVIL,
                                  "channel": "social"})
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert (s["state"], s["version"], s["channel"]) == ("draft", 1, "social")
    assert "<script" not in s["body"] and "javascript:" not in s["body"]
    r = ed.patch(f"/stories/{s['id']}", json={"version": 1, "title": "Bài API (sửa)"})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    r = ed.patch(f"/stories/{s['id']}", json={"version": 1, "title": "Cũ"})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    r = ed.post(f"/stories/{s['id']}/publish", json={})
    assert r.status_code == 200 and r.get_json()["state"] == "published"
    assert r.get_json()["public_url"] == f"/showcase/stories/{s['id']}"
    assert ed.post(f"/stories/{s['id']}/publish", json={}).status_code == 409
    listed = ed.get("/stories?state=published").get_json()
    assert {"items", "total", "page", "per_page"} <= set(listed) and listed["total"] == 1
    assert ed.get("/stories?state=draft").get_json()["total"] == 0
    assert ed.get("/stories?channel=portal").get_json()["total"] == 0
    assert ed.get(f"/stories?nomination={example.id}").get_json()["total"] == 1
    assert api.as_("thanhtra").get("/stories").get_json()["total"] == 1


@pytest.mark.parametrize("user", ["tp_hctp", "vanphong"])
def test_api_refuses_unit_head_and_secretariat(api, db, demo, example, user):
    r = api.as_(user).post("/stories", json={"nomination_id": example.id, "title": "X", "body": "<p>x</p>"})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    refused = db.scalar(select(AuditEvent).where(AuditEvent.action == "story.create"))
    assert refused.outcome == "refused"


def test_api_others_see_published_only(api, db, demo, example):
    draft = write(db, demo, example, title="Nháp")
    published = write(db, demo, example, title="Đã đăng")
    stories.publish(db, demo.actor("bientap"), published.id)
    db.commit()
    head = api.as_("tp_hctp")
    assert [s["id"] for s in head.get("/stories").get_json()["items"]] == [published.id]
    assert head.get(f"/stories/{draft.id}").status_code == 404
    assert len(api.as_("bientap").get("/stories").get_json()["items"]) == 2


def test_api_garbage_is_4xx(api, db, demo, example):
    ed = api.as_("bientap")
    assert ed.post("/stories", json={"nomination_id": "1", "title": "X"}).status_code == 422
    assert ed.post("/stories", json={"nomination_id": example.id, "title": "X", "channel": "tv"}).status_code == 422
    assert ed.post("/stories", json={"nomination_id": 999999, "title": "X"}).status_code == 422
    assert ed.get("/stories?state=bogus").status_code == 422
    assert ed.get("/stories/999999").status_code == 404


# ------------------------------------------------------------------------------------------------ images
def test_images_by_content_and_size(client, login, api, db, demo, example, app):
    sid = write(db, demo, example).id
    ed = api.as_("bientap")

    def upload(data, name):
        # The multipart body built here: werkzeug's test builder spools a large one to a file it never closes.
        boundary = "----bien-tap"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nẢnh\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n').encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return ed.post(f"/stories/{sid}/images", data=body, content_type=f"multipart/form-data; boundary={boundary}")

    assert upload(PDF, "anh.png").status_code == 422            # a PDF named .png
    assert upload(b"<svg onload=alert(1)>", "a.jpg").status_code == 422
    big = png() + b"\x00" * (stories.MAX_IMAGE_BYTES + 1)
    r = upload(big, "big.png")
    assert r.status_code == 422 and "5 MB" in r.get_json()["detail"]
    r = upload(png(), "anh.png")
    assert r.status_code == 201, r.get_json()
    image = r.get_json()
    assert image["content_type"] == "image/png"
    assert db.scalar(select(StoryImage.id).where(StoryImage.story_id == sid)) == image["id"]
    db.rollback()
    # a draft's image: not for the public, fine for the editor
    assert client.get(image["url"]).status_code == 404
    login("bientap")
    r = client.get(image["url"])
    assert r.status_code == 200 and r.mimetype == "image/png" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.data == png()
    r.close()
    stories.publish(db, demo.actor("bientap"), sid)
    db.commit()
    client.post("/logout")
    r = client.get(image["url"])
    assert r.status_code == 200
    r.close()


def test_page_upload_refuses_a_pdf(client, login, db, demo, example):
    story = write(db, demo, example)
    login("bientap")
    r = client.post(f"/stories/{story.id}/images", data={"image": (io.BytesIO(PDF), "x.jpg"), "caption": ""},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "PNG hoặc JPEG" in r.get_data(as_text=True)
    assert db.scalar(select(StoryImage.id)) is None


def test_list_page_filters_and_readers(client, login, db, demo, example):
    write(db, demo, example, title="Bài cổng thông tin")
    bulletin = stories.create(db, demo.actor("bientap"), nomination_id=example.id, title="Bài bản tin",
                              body="<p>x</p>", channel="bulletin")
    db.commit()
    login("bientap")
    html = client.get("/stories?channel=bulletin").get_data(as_text=True)
    assert "Bài bản tin" in html and "Bài cổng thông tin" not in html
    assert "Chưa có bài viết" not in html
    assert "Không có bài viết nào phù hợp bộ lọc." in client.get("/stories?state=published").get_data(as_text=True)
    login("thanhtra")  # the auditor reads every story but writes none
    html = client.get("/stories").get_data(as_text=True)
    assert "Bài bản tin" in html and "Viết bài" not in html
    assert client.get(f"/stories/{bulletin.id}").status_code == 200
    assert client.get("/stories/new").status_code == 403
    login("tp_hctp")
    assert client.get("/stories").status_code == 403


def test_openapi_documents_the_stories_api(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/stories/{story_id}/publish",
            "/api/v1/stories/{story_id}/unpublish"} <= set(paths)


def test_every_page_of_the_list_in_order_the_second_half_chosen_from_the_end(db, demo, example):
    """`queries.page_ids`: a page past the middle is chosen in the reverse order from the last row (the last page of
    13,000 stories walks 8 index entries instead of sorting all of them), and every page, read one after the other,
    is still the stories newest first (updated_at, ties broken by id), each once — the drafts' list and the published
    one (its own order) alike, and the last page when it is not full."""
    from sqlalchemy import event

    made = [write(db, demo, example, title=f"Bài {k}", published=k % 2 == 0) for k in range(7)]
    for s in made[2:5]:
        s.updated_at = made[1].updated_at  # ties
    db.commit()
    editor = demo.actor("bientap")
    expected = [s.id for s in sorted(made, key=lambda s: (s.updated_at, s.id), reverse=True)]
    published = [s.id for s in sorted((s for s in made if s.state == "published"),
                                      key=lambda s: (s.published_at, s.id), reverse=True)]
    selects = []

    def seen(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", seen)
    try:
        for per_page in (2, 3, 7):
            walked = []
            for page in range(1, 5):
                result = stories.list_stories(db, editor, page=page, per_page=per_page)
                assert result.total == 7
                walked += [s.id for s in result.items]
            assert walked == expected, per_page
        selects.clear()
        last = stories.list_stories(db, editor, page=3, per_page=3)
        assert [s.id for s in last.items] == expected[6:]
        assert any("updated_at ASC" in s for s in selects)  # chosen from the end
        walked = []
        for page in (1, 2):
            walked += [s.id for s in stories.list_stories(db, None, page=page, per_page=3, state="published").items]
        assert walked == published
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", seen)
    assert stories.list_stories(db, editor, page=5, per_page=2).items == []  # past the end: empty, as before
