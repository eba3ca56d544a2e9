"""The public showcase (/showcase, no login): recognised examples filtered by year, level and unit, public facts
only; published stories listed and readable; the Atom feed is valid Atom 1.0 with the sanitised HTML."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from sqlalchemy import event, select
from test_council_helpers import nominate
from test_stories import EVIL, recognised, write

from models import AwardRecord, StateChange
from workflow.propagation import showcase, stories

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def examples(db, demo):
    """HCTP: cơ sở, decision 12/QĐ-STP (campaign year); TGPL: ngành in 2024 (written straight into its state);
    PBGDPL: submitted only; XDKT: revoked."""
    (hctp,) = recognised(db, demo, "HCTP")
    tgpl = nominate(db, demo, unit="TGPL", state="recognized", title="Tập thể TGPL xuất sắc")
    db.add(AwardRecord(unit_id=tgpl.unit_id, title="dien_hinh_nganh", level="bo", year=2024,
                       decision_number="99/QĐ-BTP", nomination_id=tgpl.id))
    db.add(StateChange(nomination_id=tgpl.id, version=2, action="recognize_nganh", from_state="proposed_nganh",
                       to_state="recognized", data={"decision_number": "99/QĐ-BTP", "decision_date": "2024-12-01"}))
    pending = nominate(db, demo, unit="PBGDPL", title="Hồ sơ đang xét PBGDPL")
    revoked = nominate(db, demo, unit="XDKT", state="revoked", title="Đã thu hồi XDKT")
    db.commit()
    return {"hctp": hctp, "tgpl": tgpl, "pending": pending, "revoked": revoked}


def test_showcase_is_public_and_shows_only_recognised_examples(client, examples, demo):
    r = client.get("/showcase")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Phòng Hành chính tư pháp" in html or demo.unit("HCTP").name in html
    assert "12/QĐ-STP" in html and "20/11/2026" in html
    assert "Tập thể TGPL xuất sắc" in html and "99/QĐ-BTP" in html and "01/12/2024" in html
    assert "Hồ sơ đang xét PBGDPL" not in html and "Đã thu hồi XDKT" not in html
    assert "Thành tích nổi bật" not in html  # achievements are not public facts
    assert "Đăng xuất" not in html


def test_filters_year_level_unit(client, examples, demo):
    year = demo.campaign().end_date.year

    def shown(query):
        html = client.get("/showcase?" + query).get_data(as_text=True)
        return {k for k, text in (("hctp", "12/QĐ-STP"), ("tgpl", "99/QĐ-BTP")) if text in html}

    assert shown("level=co_so") == {"hctp"}
    assert shown("level=nganh") == {"tgpl"}
    assert shown("year=2024") == {"tgpl"}
    assert shown(f"year={year}") == {"hctp"}
    assert shown(f"unit={demo.unit('HCTP').id}") == {"hctp"}
    assert shown(f"unit={demo.unit('HCTP').id}&level=nganh") == set()
    assert client.get("/showcase?year=abc&unit=x&level=zz&page=-3").status_code == 200


def test_published_story_on_showcase_and_feed_draft_not(client, db, demo, examples):
    draft = write(db, demo, examples["hctp"], title="Bản nháp chưa đăng")
    post = write(db, demo, examples["hctp"], title="Gương sáng & pháp luật", body=EVIL)
    stories.publish(db, demo.actor("bientap"), post.id)
    db.commit()
    html = client.get("/showcase").get_data(as_text=True)
    assert "Gương sáng &amp; pháp luật" in html and "Bản nháp chưa đăng" not in html
    assert f"/showcase/stories/{post.id}" in html
    page = client.get(f"/showcase/stories/{post.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<script>alert" not in body and "onerror" not in body and "javascript:" not in body
    assert "<strong>pháp luật</strong>" in body
    assert client.get(f"/showcase/stories/{draft.id}").status_code == 404

    r = client.get("/showcase/feed.atom")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    root = ET.fromstring(r.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text.startswith("tag:") and root.find(f"{ATOM}updated").text.endswith("Z")
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Gương sáng & pháp luật"]
    entry = entries[0]
    assert entry.find(f"{ATOM}id").text.endswith(f":story/{post.id}")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<strong>pháp luật</strong>" in content.text and "<script" not in content.text
    assert "javascript:" not in content.text
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/showcase/stories/{post.id}")


def test_revoked_example_leaves_the_showcase_with_its_stories(client, db, demo, examples):
    post = write(db, demo, examples["hctp"], title="Bài về điển hình sau này bị thu hồi")
    stories.publish(db, demo.actor("bientap"), post.id)
    db.commit()
    n = examples["hctp"]
    db.refresh(n)
    n.state = "revoked"
    db.commit()
    assert "Bài về điển hình sau này bị thu hồi" not in client.get("/showcase").get_data(as_text=True)
    assert client.get(f"/showcase/stories/{post.id}").status_code == 404
    root = ET.fromstring(client.get("/showcase/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == []


def test_empty_showcase_and_feed(client, db):
    html = client.get("/showcase").get_data(as_text=True)
    assert "Chưa có điển hình tiên tiến nào được công nhận." in html
    assert "Chưa có bài viết nào được xuất bản." in html
    root = ET.fromstring(client.get("/showcase/feed.atom").data)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}title").text
    assert db.scalar(select(AwardRecord.id)) is None


def test_the_stories_pager_is_a_window_not_every_page(app):
    """1,600 pages of published stories once rendered 1,600 links, a url_for each (most of the public showcase's time
    at a national size). The pager shows the current page with two on each side, previous and next, and keeps the
    other filters; page 1 drops its parameter, and the examples' own `page` is left alone."""
    from types import SimpleNamespace

    template = app.jinja_env.from_string(
        "{% from '_macros.html' import pagination %}{{ pagination(posts, 'bài viết', param='spage') }}")
    posts = SimpleNamespace(total=16_000, page=800, pages=1_600, per_page=10)
    with app.test_request_context("/showcase?year=2024&page=3&spage=800"):
        html = template.render(posts=posts)
    links = [unescape(u) for u in re.findall(r'href="([^"]+)"', html)]
    assert len(links) == 7, links
    assert [parse_qs(urlsplit(u).query)["spage"] for u in links] == [[str(p)] for p in (799, 798, 799, 800, 801,
                                                                                           802, 801)]
    assert all(parse_qs(urlsplit(u).query)["year"] == ["2024"] and parse_qs(urlsplit(u).query)["page"] == ["3"]
               for u in links)
    assert "Tổng số: 16.000 bài viết — trang 800/1600" in html
    with app.test_request_context("/showcase?spage=2"):
        first = re.findall(r'href="([^"]+)"', template.render(posts=SimpleNamespace(total=30, page=2, pages=3,
                                                                                     per_page=10)))
    assert "spage" not in unescape(first[1])  # the link to page 1: the list's first page, without the parameter


TAG_URI = re.compile(r"tag:(?P<authority>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*),"
                     r"(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?):(?P<specific>[A-Za-z0-9._~:/?@!$&'()*+,;=%-]*)")


def test_feed_ids_are_the_deployments_own_and_name_the_department(make_app, db, demo, examples):
    """Feed and entry ids are tag: URIs (RFC 4151) under the deployment's own domain, the host of BASE_URL, not one
    authority hard-coded for every department; an entry's id names the department that published it and never
    changes (FEED_TAG_AUTHORITY pins the authority for a deployment that moves)."""
    post = write(db, demo, examples["hctp"], title="Gương sáng HCTP")
    stories.publish(db, demo.actor("bientap"), post.id)
    db.commit()
    department = post.department
    assert department.code == "STP"  # HCTP's department, whose editor published the story

    def feed(**config):
        parsed = feedparser.parse(make_app(**config).test_client().get("/showcase/feed.atom").data)
        assert not parsed.bozo, parsed.bozo_exception
        return parsed

    hanoi = feed(BASE_URL="https://ThiDua.SoTuPhap-HaNoi.example.vn:8443/dienhinh")
    assert hanoi.feed.id == "tag:thidua.sotuphap-hanoi.example.vn,2025:showcase"
    assert [e.id for e in hanoi.entries] == [
        f"tag:thidua.sotuphap-hanoi.example.vn,2025:{department.code.lower()}:story/{post.id}"]
    assert [e.title for e in hanoi.entries] == ["Gương sáng HCTP"]
    assert all(TAG_URI.fullmatch(i) for i in (hanoi.feed.id, *(e.id for e in hanoi.entries)))

    other = feed(BASE_URL="https://dienhinh.stp-camau.example.vn")
    assert other.entries[0].id == f"tag:dienhinh.stp-camau.example.vn,2025:{department.code.lower()}:story/{post.id}"
    assert feed(BASE_URL="https://dienhinh.stp-camau.example.vn").entries[0].id == other.entries[0].id  # stable

    pinned = feed(BASE_URL="https://moi.example.vn", FEED_TAG_AUTHORITY="dienhinh.sotuphap.gov.vn")
    assert pinned.entries[0].id == f"tag:dienhinh.sotuphap.gov.vn,2025:{department.code.lower()}:story/{post.id}"


# ------------------------------------------------------------------------------------------------ a page per example
def test_a_recognised_example_has_its_public_page_with_its_published_stories(client, db, demo, examples):
    hctp = examples["hctp"]
    published = write(db, demo, hctp, title="Bài đã đăng về HCTP", published=True)
    write(db, demo, hctp, title="Bản nháp về HCTP")
    r = client.get(f"/showcase/examples/{hctp.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đăng xuất" not in html
    assert hctp.title in html and demo.unit("HCTP").name in html and "Điển hình cấp cơ sở" in html
    assert "12/QĐ-STP" in html and "20/11/2026" in html
    assert "Bài đã đăng về HCTP" in html and f'href="/showcase/stories/{published.id}"' in html
    assert "Bản nháp về HCTP" not in html
    assert "Thành tích nổi bật" not in html  # achievements are not public facts
    tgpl = client.get(f"/showcase/examples/{examples['tgpl'].id}").get_data(as_text=True)
    assert "Điển hình ngành Tư pháp" in tgpl and "99/QĐ-BTP" in tgpl and "Chưa có bài viết nào" in tgpl


def test_an_example_not_recognised_has_no_public_page(client, db, demo, examples):
    fresh = nominate(db, demo, unit="PTP-LX", state="registered", title="Hồ sơ mới đăng ký PTP-LX")
    refused = nominate(db, demo, unit="PTP-CD", state="not_recognized", title="Không được công nhận PTP-CD")
    db.commit()
    for n in (examples["pending"], examples["revoked"], fresh, refused):
        r = client.get(f"/showcase/examples/{n.id}")
        assert r.status_code == 404 and n.title not in r.get_data(as_text=True), n.state
    for nid in (999999, 2**40):
        assert client.get(f"/showcase/examples/{nid}").status_code == 404


def test_the_showcase_the_story_page_and_the_feed_link_the_example(client, db, demo, examples, api):
    hctp = examples["hctp"]
    s = write(db, demo, hctp, title="Bài liên kết", published=True)
    link = f'href="/showcase/examples/{hctp.id}"'
    assert link in client.get("/showcase").get_data(as_text=True)
    assert link in client.get(f"/showcase/stories/{s.id}").get_data(as_text=True)
    root = ET.fromstring(client.get("/showcase/feed.atom").data)
    entry = root.find(f"{ATOM}entry")
    related = [e.get("href") for e in entry.findall(f"{ATOM}link") if e.get("rel") == "related"]
    assert related == [f"http://localhost/showcase/examples/{hctp.id}"]
    assert api.as_("tp_hctp").get(f"/stories/{s.id}").get_json()["example_url"] == f"/showcase/examples/{hctp.id}"


def test_a_published_revision_updates_the_feed_entry(client, db, demo, examples):
    s = write(db, demo, examples["hctp"], title="Bài gốc", published=True)
    editor = demo.actor("bientap")
    stories.update(db, editor, s.id, version=s.version, title="Bài đã cập nhật")
    db.commit()
    assert feedparser.parse(client.get("/showcase/feed.atom").data).entries[0].title == "Bài gốc"
    stories.publish_revision(db, editor, s.id)
    db.commit()
    entry = feedparser.parse(client.get("/showcase/feed.atom").data).entries[0]
    assert entry.title == "Bài đã cập nhật" and entry.updated_parsed >= entry.published_parsed


def test_the_examples_pages_are_chosen_by_id_and_keep_their_order(db, demo, examples):
    """`queries.page_ids`: each page's ids are chosen before the unit and person are joined; the pages, read
    one after the other, are the examples newest first (updated_at, then id), each once, with their unit and
    department named, and a page still costs the same statements whatever its size or depth."""
    more = [nominate(db, demo, unit=code, state=state, title=f"Ví dụ {code}")
            for code, state in (("VP", "evaluated_co_so"), ("PTP-LX", "proposed_nganh"), ("PTP-CD", "recognized"))]
    for n in more[:2]:
        n.updated_at = examples["hctp"].updated_at  # ties broken by id
    db.commit()
    listed = [examples["hctp"], examples["tgpl"], *more]
    expected = [n.id for n in sorted(listed, key=lambda n: (n.updated_at, n.id), reverse=True)]
    seen, counts = [], set()
    statements = []

    def count(conn, cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT"):  # not the test's own SAVEPOINT
            statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", count)
    try:
        for page in (1, 2, 3):
            statements.clear()
            result = showcase.examples(db, page=page, per_page=2)
            counts.add(len(statements))
            assert result.total == 5
            seen += [e.id for e in result.items]
            assert all(e.unit_name and e.department_name for e in result.items)
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", count)
    assert seen == expected
    assert counts == {5}, counts  # the count, the rows, then `present`'s three reads for the page


def test_the_examples_page_and_its_filters_are_read_as_plain_rows(db, demo, examples):
    """A page of examples and the filter's units are plain rows: no Nomination, Unit, Person, AwardRecord, Decision or
    StateChange object is made for them, and the facts are those of the one example's page (`present` of the ORM
    objects)."""
    from models import Decision, Nomination, Person, Unit

    db.expunge_all()
    page = showcase.examples(db)
    choices = showcase.filter_choices(db)
    made = {type(o).__name__ for o in db.identity_map.values()}
    assert not made & {c.__name__ for c in (Nomination, Unit, Person, AwardRecord, Decision, StateChange)}, made
    assert {u.name for u in choices["units"]} and all(isinstance(u.id, int) for u in choices["units"])
    assert page.items and page.items == [showcase.example_of(db, e.id) for e in page.items]


def test_the_unit_filter_lists_the_units_with_a_recognised_example_each_found_by_its_own_index(db, demo, examples,
                                                                                               engine):
    """The public filter's units are those with an example still recognised (HCTP, TGPL), not a unit whose dossier is
    only under review (PBGDPL) or revoked (XDKT). Each unit is asked of its own examples by `ix_nominations_unit_state`:
    SQLite read every recognised example's row for its unit when asked the other way round (`unit_id IN (...)`, 19 ms
    of the public page at 100k nominations); its plan, chosen by rules, is asserted there."""
    statements = []

    def keep(conn, cursor, statement, parameters, *args):
        if statement.lstrip().upper().startswith("SELECT UNITS.ID, UNITS.NAME"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        choices = showcase.filter_choices(db)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert {u.id for u in choices["units"]} == {demo.unit("HCTP").id, demo.unit("TGPL").id}
    assert [u.name for u in choices["units"]] == sorted(u.name for u in choices["units"])
    if engine.dialect.name == "sqlite":
        (statement, parameters), = statements
        plan = [row[3] for row in db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        reads = [step for step in plan if step.startswith("SEARCH nominations")]
        assert reads and all("unit_id=?" in step for step in reads), plan
