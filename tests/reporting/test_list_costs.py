"""What the lists cost, as promises that can fail: the statements a list runs do not grow with its page size or the
page asked for (no per-row lazy load), the audit trail's API counts a filter by kind from its counts and any other
filter boundedly, saying when its total is an estimate, and the home page's cards count what they say."""
import pytest
from factories import (
    co_so_example,
    draft,
    nganh_decision,
    nomination_in,
    proposed,
    recognised,
    story,
    unit_head,
)
from sqlalchemy import event, select

from models import AuditEvent
from notifications import audit
from workflow.nominations import service
from workflow.reporting import audit_queries as aq
from workflow.reporting import dashboard


class Statements:
    """SELECTs the engine runs while the block runs."""

    def __init__(self, engine):
        self.engine, self.selects = engine, []

    def _count(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def n(self) -> int:
        return len(self.selects)


def statements_of(engine, client, url: str) -> int:
    """`client`: the test client (a page) or an ApiClient (a path under /api/v1)."""
    with Statements(engine) as s:
        r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return s.n


def _append(db, n: int, action: str = "test.ping", **kw) -> None:
    for _ in range(n):
        audit.append(db, action=action, **kw)
    db.commit()


# ------------------------------------------------------------------------------------------------ audit API
def test_audit_api_runs_the_same_statements_whatever_the_page(api, db, engine, demo):
    _append(db, 30, actor=demo.actor("tp_pbgdpl"))
    auditor = api.as_("thanhtra")
    auditor.get("/audit")  # the token's first use is recorded once
    full = {statements_of(engine, auditor, f"/audit?action=test.ping&per_page={k}&page={p}")
            for k, p in ((1, 1), (5, 1), (30, 1), (5, 4), (7, 3), (1, 30), (100, 1), (5, 99))}
    assert len(full) == 1, full
    # A filter by kind is answered from the counts in one statement, the total and the page together, whatever the
    # page (the last, short page included); a filter the counts do not cover (actor) counts boundedly beside its rows.
    assert statements_of(engine, auditor, "/audit?actor=tp_pbgdpl&per_page=5") == full.pop() + 1


def test_audit_api_total_is_exact_for_a_kind_and_estimated_past_the_cap_for_the_other_filters(api, db, demo,
                                                                                              monkeypatch):
    _append(db, 12, actor=demo.actor("tp_pbgdpl"))
    auditor = api.as_("thanhtra")
    monkeypatch.setattr(aq, "COUNT_CAP", 10)
    # By kind (action, object type, outcome): the counts give the exact total past the cap too.
    body = auditor.get("/audit?action=test.ping&per_page=5").get_json()
    assert (body["total"], body["total_exact"]) == (12, True)
    assert [e["action"] for e in body["items"]] == ["test.ping"] * 5
    # By actor: a bounded count, then the estimate.
    body = auditor.get("/audit?actor=tp_pbgdpl&action=test.ping&per_page=5").get_json()
    assert body["total_exact"] is False and body["total"] >= 11
    assert [e["action"] for e in body["items"]] == ["test.ping"] * 5
    # A page past the cap that comes back short proves the total: exact again.
    last = auditor.get("/audit?actor=tp_pbgdpl&action=test.ping&per_page=5&page=3").get_json()
    assert (last["total"], last["total_exact"], len(last["items"])) == (12, True, 2)
    # The pages still hold every event once, newest first, the same by either path.
    for filters in ("action=test.ping", "actor=tp_pbgdpl&action=test.ping"):
        ids = [e["id"] for p in (1, 2, 3) for e in auditor.get(f"/audit?{filters}&per_page=5&page={p}")
               .get_json()["items"]]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 12


def test_audit_actor_digits_match_the_id_or_a_username_of_digits(api, db, demo):
    uid = demo.user("tp_pbgdpl").id
    _append(db, 2, action="test.by_id", actor=demo.actor("tp_pbgdpl"))
    _append(db, 1, action="test.by_name", actor_username=str(uid))
    auditor = api.as_("thanhtra")
    found = {e["action"] for e in auditor.get(f"/audit?actor={uid}&action=test.&per_page=100").get_json()["items"]}
    assert found == {"test.by_id", "test.by_name"}
    # Without an event under that username, the id alone (the narrower query) finds the same events.
    assert aq.narrow_actor(db, {"actor": "987654"}) == {"actor": None, "actor_id": 987654}
    assert aq.narrow_actor(db, {"actor": str(uid)}) == {"actor": str(uid)}
    assert aq.narrow_actor(db, {"actor": "tp_pbgdpl"}) == {"actor": "tp_pbgdpl"}


def test_audit_page_runs_the_same_statements_whatever_the_cursor(client, login, db, engine):
    _append(db, 120)
    login("thanhtra")
    client.get("/audit")
    newest = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    db.commit()
    first = statements_of(engine, client, "/audit?action=test.ping")
    deeper = statements_of(engine, client, f"/audit?action=test.ping&before_id={newest - 60}")
    assert first == deeper


# ------------------------------------------------------------------------------------------------ home page
def test_returned_card_counts_each_nomination_by_its_own_latest_step(db, demo):
    """A nomination returned for revision is on the "returned" card even when another nomination has gone through
    more steps (the latest step is each nomination's own, not the highest of all)."""
    head = unit_head(db, demo, "HCTP")
    returned = nomination_in(db, demo, "submitted", title="Hồ sơ bị trả lại")
    service.transition(db, demo.actor("vanphong"), returned.id, "return_for_revision", returned.version,
                       reason="Bổ sung")
    nomination_in(db, demo, "recognized", unit="PBGDPL", title="Hồ sơ đi xa hơn")  # more steps than the returned one
    cards = {c.key: c for c in dashboard.pending_work(db, demo.actor(head))}
    assert "returned" in cards
    assert returned.id in {n.id for n in cards["returned"].items}
    assert returned.id not in {n.id for n in cards.get("to_submit", dashboard.Card("", "", "")).items}


# ------------------------------------------------------------------------------------------------ proposals, decisions
def test_proposals_api_list_runs_the_same_statements_for_more_proposals_and_items(api, db, demo, engine):
    """The list embeds every proposal's items with their ngành rules and the Ministry's answer: read for the whole
    page at once, not per proposal nor per item."""
    proposed(db, demo, [co_so_example(db, demo, unit="HCTP")], number=41)
    db.commit()
    ministry = api.as_("botp")
    ministry.get("/proposals")
    one = statements_of(engine, ministry, "/proposals")
    proposed(db, demo, [co_so_example(db, demo, unit="XDKT"), co_so_example(db, demo, unit="TGPL")], number=42)
    draft(db, demo, [co_so_example(db, demo, unit="PTP-LX"), co_so_example(db, demo, unit="PTP-CD")])
    db.commit()
    body = api.as_("vanphong").get("/proposals").get_json()
    assert body["total"] == 3 and sum(len(p["items"]) for p in body["items"]) == 5
    three = statements_of(engine, ministry, "/proposals")
    assert ministry.get("/proposals").get_json()["total"] == 2  # the Ministry sees the submitted ones
    assert three == one, (one, three)


def test_decisions_api_list_runs_the_same_statements_for_more_decisions(api, db, demo, engine):
    recognised(db, demo, "HCTP", number="12/QĐ-STP")
    director = api.as_("giamdoc")
    director.get("/decisions")
    one = statements_of(engine, director, "/decisions")
    recognised(db, demo, "XDKT", "TGPL", number="13/QĐ-STP")
    n = nomination_in(db, demo, "proposed_nganh", unit="PTP-LX")
    nganh_decision(db, demo, [n.id])
    db.commit()
    body = director.get("/decisions").get_json()
    assert body["total"] >= 3 and {len(d["nominations"]) for d in body["items"]} >= {1, 2}
    assert statements_of(engine, director, "/decisions") == one


def test_home_page_runs_the_same_statements_whatever_its_cards_hold(client, login, db, demo, engine):
    nomination_in(db, demo, "submitted", unit="HCTP")
    nomination_in(db, demo, "registered", unit="XDKT")
    db.commit()
    login("vanphong")
    client.get("/")
    few = statements_of(engine, client, "/")
    for unit in ("TGPL", "PTP-LX", "PTP-CD"):
        nomination_in(db, demo, "registered", unit=unit)
    nomination_in(db, demo, "nurtured", unit="PBGDPL")
    db.commit()
    assert statements_of(engine, client, "/") == few


# ------------------------------------------------------------------------------------------------ stories
def test_stories_list_runs_the_same_statements_whatever_the_page(api, db, demo, engine):
    for i, n in enumerate(recognised(db, demo, "HCTP", "XDKT", "TGPL")):
        story(db, demo, n, title=f"Bài {i}", published=i % 2 == 0)
    editor = api.as_("bientap")
    assert editor.get("/stories?per_page=2&page=2").get_json()["total"] == 3
    counts = {statements_of(engine, editor, f"/stories?per_page={k}&page={p}") for k, p in ((1, 1), (3, 1), (1, 3))}
    assert len(counts) == 1, counts
    titles = [s["title"] for p in (1, 2, 3) for s in editor.get(f"/stories?per_page=1&page={p}").get_json()["items"]]
    assert sorted(titles) == ["Bài 0", "Bài 1", "Bài 2"]


def test_the_home_page_asks_of_a_nominations_proposals_by_index_not_by_a_scan_per_nomination(client, login, db, demo,
                                                                                              engine):
    """The secretariat's card of cơ sở examples not yet in an open proposal asks `NOT EXISTS (a live item of this
    nomination)` of every example. SQLite reads it from an index only when one is led by `nomination_id` and fits the
    query as written (`live IS 1` does not fit the partial unique index `WHERE live`): without one it read the whole
    table once per example (64 ms of the page at 100k nominations, migration 0028). SQLite's plan, which it chooses
    by rules and not by the table's size, is what is asserted; PostgreSQL hashes the table once whatever its size."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's depends on the table's size")
    co_so_example(db, demo, unit="HCTP")
    db.commit()
    login("vanphong")
    asked = []

    def keep(conn, cursor, statement, parameters, *args):
        if "proposal_items" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            asked.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert asked  # the card asks it
    conn = db.connection()
    for statement, parameters in asked:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        assert not [step for step in plan if step.startswith("SCAN proposal_items")], (statement, plan)
