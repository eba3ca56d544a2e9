"""The nomination read path stays lean as the data grows: the list (API and page) runs the same statements whatever the
page size, reads no row lazily, pages by page and by cursor the rows the policy's scope holds, and the detail loads
what it shows up front; migration 0013's indexes exist (on PostgreSQL the trigram index serves `q=`)."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from alembic.script import ScriptDirectory
from factories import nomination
from sqlalchemy import event, inspect, select, text, update

from models import Attachment, Checkin, Nomination, Person, StateChange, Unit
from models.base import fold
from web import migrate
from web.api import present
from workflow import policy
from workflow.nominations import queries

NOMINATION_TABLES = ("nominations", "criterion_answers", "checkins", "attachments", "state_changes")


@contextlib.contextmanager
def statements(engine):
    """The SQL statements run on `engine` inside the block (savepoint bookkeeping left out)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _touching_nominations(seen: list[str]) -> list[str]:
    return [s for s in seen if any(f" {t}" in s for t in NOMINATION_TABLES)]


@pytest.fixture
def many(db, demo):
    """A nomination for every nominee unit of STP and for each of its people: a list longer than one page, with
    collective and individual rows (the joined person is optional)."""
    stp = demo.unit("STP")
    made = []
    for code in db.scalars(select(Unit.code).where(Unit.department_id == stp.id,
                                                   Unit.kind.in_(("division", "district_office")))
                           .order_by(Unit.id)):
        made.append(nomination(db, demo, unit=code, state="registered"))
    for name in db.scalars(select(Person.full_name).join(Unit, Unit.id == Person.unit_id)
                           .where(Unit.department_id == stp.id, Unit.kind.in_(("division", "district_office")))
                           .order_by(Person.id).limit(6)):
        made.append(nomination(db, demo, person=name, state="nurtured", path=("registered", "nurtured")))
    db.commit()
    assert len(made) >= 10
    return sorted(n.id for n in made)


def test_the_api_list_runs_the_same_statements_whatever_the_page_size(api, engine, many):
    client = api.as_("vanphong")
    client.get("/nominations")  # the token's first use is recorded once
    counts = {}
    for per_page in (1, 5, 100):
        with statements(engine) as seen:
            r = client.get(f"/nominations?per_page={per_page}")
        assert r.status_code == 200 and len(r.get_json()["items"]) == min(per_page, len(many))
        counts[per_page] = (len(seen), len(_touching_nominations(seen)))
    assert len(set(counts.values())) == 1, counts
    assert counts[100][1] == 1, "one statement for the total, the page's ids and their rows"
    # A value left as a parameter (a list of states, a search's words): the rows in a statement of their own, whose
    # plan PostgreSQL keeps, rather than planning their joins with the page's for every request.
    for query in ("state=registered,nurtured", "q=xyz", "state=registered&q=a"):
        with statements(engine) as seen:
            assert client.get(f"/nominations?per_page=100&{query}").status_code == 200
        page, *rows = _touching_nominations(seen)
        assert "nominations.title" not in page and len(rows) <= 1, (query, seen)


def test_the_list_page_runs_the_same_statements_whatever_the_page_size(client, login, engine, many):
    login("vanphong")
    assert client.get("/nominations").status_code == 200  # the filters read once, then kept (their data stamp)
    counts = {}
    for per_page in (1, 5, 100):
        with statements(engine) as seen:
            r = client.get(f"/nominations?per_page={per_page}")
        assert r.status_code == 200
        counts[per_page] = (len(seen), len(_touching_nominations(seen)))
    assert len(set(counts.values())) == 1, counts
    assert counts[100][1] == 1


def test_list_rows_are_plain_values_not_orm_objects(db, demo, many):
    """Nothing on a row can be loaded lazily: the page and the serialiser read only what the one SELECT brought."""
    page = queries.list_nominations(db, demo.actor("vanphong"), per_page=100)
    assert page.items and all(isinstance(n, queries.NominationRow) for n in page.items)
    individual = next(n for n in page.items if n.subject_type == "individual")
    assert individual.subject_name == individual.subject_person.full_name
    collective = next(n for n in page.items if n.subject_type == "collective")
    assert collective.subject_person is None and collective.subject_name == collective.unit.name
    orm = db.get(Nomination, individual.id)
    assert present.nomination_summary(individual) == present.nomination_summary(orm)


def test_list_rows_hold_the_orms_values_and_are_shared_while_their_values_are_equal(db, demo, many, monkeypatch):
    """Issue 13, tenth increment: a list row is kept per its statement's values (`queries._row`). The same list read
    again gives the very same objects (fails without the kept rows); every value is the ORM's, the two times read
    naive and marked UTC as `models.base.UTCDateTime` marks them (aware, `dt.UTC`, equal: fails if `_row` leaves them
    naive); a dossier retitled and a unit renamed give new rows with their new values, the other rows staying the
    objects they were; a full keep is emptied, its rows still right."""
    actor = demo.actor("vanphong")
    first = queries.list_nominations(db, actor, per_page=100).items
    again = queries.list_nominations(db, actor, per_page=100).items
    assert len(first) >= 10 and all(a is b for a, b in zip(first, again, strict=True))
    db.expire_all()
    for row in first:
        orm = db.get(Nomination, row.id)
        assert (row.created_at, row.updated_at) == (orm.created_at, orm.updated_at)
        assert row.created_at.tzinfo is orm.created_at.tzinfo is dt.UTC and row.updated_at.tzinfo is dt.UTC
        assert (row.title, row.state, row.unit.name, row.campaign.name) == (
            orm.title, orm.state, orm.unit.name, orm.campaign.name)
    retitled, renamed = first[0], next(n for n in first if n.unit_id != first[0].unit_id)
    db.execute(update(Nomination).where(Nomination.id == retitled.id).values(title="Tên <mới> & khác"))
    db.execute(update(Unit).where(Unit.id == renamed.unit_id).values(name="Phòng đổi tên"))
    after = {n.id: n for n in queries.list_nominations(db, actor, per_page=100).items}
    assert after[retitled.id] is not retitled and after[retitled.id].title == "Tên <mới> & khác"
    for row in first:
        if row.unit_id == renamed.unit_id:
            assert after[row.id] is not row and after[row.id].unit.name == "Phòng đổi tên"
        elif row.id != retitled.id:
            assert after[row.id] is row
    monkeypatch.setattr(queries, "ROWS_KEPT", 3)
    queries._rows_kept.clear()
    small = queries.list_nominations(db, actor, per_page=100).items
    assert len(queries._rows_kept) <= 3
    assert [(n.id, n.title, n.unit.name) for n in small] == [(n.id, n.title, n.unit.name) for n in after.values()]


@pytest.mark.parametrize("per_page", [1, 3, 4])
def test_every_page_and_the_cursor_read_the_same_rows(db, demo, many, per_page):
    """Walking every page gives each row once, newest first, as does following `next_before_id`."""
    actor = demo.actor("vanphong")
    expected = sorted(many, reverse=True)
    walked, page_no = [], 1
    while True:
        page = queries.list_nominations(db, actor, page=page_no, per_page=per_page)
        assert page.total == len(many)
        if not page.items:
            break
        walked += [n.id for n in page.items]
        page_no += 1
    assert walked == expected
    assert page_no - 1 == -(-len(many) // per_page)

    followed, cursor = [], None
    while True:
        page = queries.list_nominations(db, actor, per_page=per_page, before_id=cursor)
        assert page.total == len(many)
        followed += [n.id for n in page.items]
        cursor = page.next_before_id
        if cursor is None:
            break
    assert followed == expected


READERS = ("admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "tp_hctp", "botp", "bientap", "thanhtra", "canbo1",
           "tp_stp2", "phogiamdoc")


def test_each_reader_lists_what_the_policys_scope_holds_once(db, demo):
    """The list reads its scope one grant at a time (`_page_statement`): for every kind of reader, with and without
    filters, by page and by cursor, it lists exactly the rows `policy.scope` holds, each once, even a row two grants
    reach (a secretariat's own nomination in its department; a unit head's subject row in its own unit), with the
    same total."""
    lan = nomination(db, demo, person="Nguyễn Thị Lan", state="registered")  # canbo1's own, in PBGDPL
    phuc = nomination(db, demo, person="Lê Văn Phúc", state="nurtured", path=("registered", "nurtured"))  # vanphong's
    tuan = nomination(db, demo, person="Võ Minh Tuấn", state="submitted")  # tp_pbgdpl's own, in the head's unit
    for unit, state in (("HCTP", "registered"), ("PBGDPL", "submitted"), ("VP", "submitted"), ("STP2-VP", "registered"),
                        ("TTR", "recognized"), ("XDKT", "submitted")):
        nomination(db, demo, unit=unit, state=state)
    db.commit()
    filters = ({}, {"state": "submitted,registered"}, {"subject_type": "individual"}, {"q": "nguyen"},
               {"unit": str(demo.unit("PBGDPL").id)})
    reached = set()
    for username in READERS:
        actor = demo.actor(username)
        for f in filters:
            expected = _expected_ids(db, actor, f)
            reached.update(expected)
            first = queries.list_nominations(db, actor, per_page=2, **f)
            assert first.total == len(expected), (username, f)
            walked, page_no = [], 1
            while page := queries.list_nominations(db, actor, page=page_no, per_page=2, **f).items:
                walked += [n.id for n in page]
                page_no += 1
            assert walked == expected, (username, f)
            followed, cursor = [], None
            while True:
                p = queries.list_nominations(db, actor, per_page=2, before_id=cursor, **f)
                assert p.total == len(expected)
                followed += [n.id for n in p.items]
                if (cursor := p.next_before_id) is None:
                    break
            assert followed == expected, (username, f)
    assert {lan.id, phuc.id, tuan.id} <= reached


def _expected_ids(db, actor, f) -> list[int]:
    """What the policy's own scope clause (an OR of the grants, one statement) and the filters hold, newest first."""
    rows = db.execute(select(Nomination).where(policy.scope(actor, "nomination")).order_by(Nomination.id.desc()))
    out = []
    for (n,) in rows:
        if "state" in f and n.state not in f["state"].split(","):
            continue
        if "subject_type" in f and n.subject_type != f["subject_type"]:
            continue
        if "unit" in f and n.unit_id != int(f["unit"]):
            continue
        if "q" in f and fold(f["q"]) not in (n.search_text or ""):
            continue
        out.append(n.id)
    return out


def test_the_api_cursor_is_additive(api, many):
    client = api.as_("vanphong")
    first = client.get("/nominations?per_page=4").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 4, len(many))
    assert first["next_before_id"] == first["items"][-1]["id"]
    second = client.get(f"/nominations?per_page=4&before_id={first['next_before_id']}").get_json()
    assert [i["id"] for i in second["items"]] == sorted(many, reverse=True)[4:8]
    assert second["total"] == len(many)
    last = client.get(f"/nominations?per_page=100&before_id={first['next_before_id']}").get_json()
    assert last["next_before_id"] is None
    assert client.get("/nominations?before_id=abc").status_code == 422


def _detail_statements(engine, db, demo, nid: int) -> list[str]:
    actor = demo.actor("vanphong")
    db.expunge_all()
    with statements(engine) as seen:
        n = queries.load_detail(db, actor, nid)
        present.nomination_detail(db, actor, n)
    return seen


def test_the_detail_loads_what_it_shows_up_front(db, demo, engine):
    """The same statements for a nomination with one history row and one with many rows of every kind: nothing is
    loaded per item."""
    bare = nomination(db, demo, unit="HCTP", state="registered")
    full = nomination(db, demo, person="Nguyễn Thị Lan", state="nurtured", path=("registered", "nurtured"))
    for i in range(3):
        db.add(Checkin(nomination_id=full.id, date=full.created_at.date(), note=f"Lần {i}"))
        db.add(Attachment(nomination_id=full.id, kind="evidence", filename=f"{i}.pdf", content_type="application/pdf",
                          size=1, sha256="0" * 64))
    db.add(StateChange(nomination_id=full.id, version=3, action="step", from_state="nurtured", to_state="nurtured",
                       actor_id=demo.user("tp_pbgdpl").id, data={}))
    db.commit()
    few = _detail_statements(engine, db, demo, bare.id)
    lots = _detail_statements(engine, db, demo, full.id)
    assert len(_touching_nominations(lots)) == len(_touching_nominations(few))
    # the row (unit, campaign, person joined) and its parts (criteria, check-ins, attachments, history and its users)
    # in one statement, one snapshot (issue 13, eighth increment: `policy.load_beside`)
    assert len(_touching_nominations(lots)) == 1, lots


def test_the_api_detail_does_not_reload_the_caller(api, engine, db, demo):
    n = nomination(db, demo, unit="HCTP", state="registered")
    db.commit()
    client = api.as_("vanphong")
    client.get(f"/nominations/{n.id}")
    with statements(engine) as seen:
        r = client.get(f"/nominations/{n.id}")
    # the token's "last used" note (at most once a minute, on a connection of its own) is not the detail's cost
    seen = [s for s in seen if "api_tokens SET last_used_at" not in s and "lock_timeout" not in s]
    assert r.status_code == 200 and r.get_json()["id"] == n.id
    # the caller (one statement), SQLite's BEGIN, the row, its parts, the eligibility rule's discipline records
    assert len(seen) <= 5, seen


# ------------------------------------------------------------------------------------------------ the indexes
ORDERED = {"ix_nominations_department_id_id": ["department_id", "id"], "ix_nominations_unit_id_id": ["unit_id", "id"],
           "ix_nominations_campaign_id_id": ["campaign_id", "id"], "ix_nominations_state_id": ["state", "id"]}


def test_migration_0013_builds_the_list_indexes(engine):
    """On the schema the tests use (the models') and through the migrations: every list filter has an index led by
    (the filter, id), which serves `ORDER BY id` within it (the state's also holds the reports' columns after them,
    migration 0029); on PostgreSQL `search_text` has a GIN index of trigrams."""
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("nominations")}
    for name, columns in ORDERED.items():
        assert indexes[name]["column_names"][:2] == columns
    assert queries_search_index_is_trigram(engine)
    chain = {r.revision for r in ScriptDirectory(str(migrate.MIGRATIONS)).walk_revisions()}
    assert "0013_nomination_read_indexes" in chain  # what builds them, on the way to the head


def queries_search_index_is_trigram(engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            return "ix_nominations_search_text_trgm" in {i["name"] for i in inspect(conn).get_indexes("nominations")}
        definition = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                                 {"n": "ix_nominations_search_text_trgm"})
    return definition is not None and "gin" in definition.lower() and "gin_trgm_ops" in definition


def test_the_search_uses_the_trigram_index_on_postgres(db, demo, many):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    stmt = select(Nomination.id).where(*queries._conditions(demo.actor("thanhtra"), q="phong tu phap"))
    compiled = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is tiny: ask whether the index can serve
    plan = "\n".join(db.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert "ix_nominations_search_text_trgm" in plan, plan


# ------------------------------------------------------------------------------------------------ the documents
def test_the_list_and_detail_documents_are_what_their_schemas_dump(db, demo, many):
    """The list and the detail skip marshmallow's dump (present.json_ready): the document must be the one the
    response schema would have written — same keys, same values, dates as ISO text."""
    from factories import nomination_in

    from web.api.schemas import NominationDetailSchema, NominationPageSchema

    actor = demo.actor("vanphong")
    for kw in ({"per_page": 100}, {"per_page": 3, "page": 4}, {"per_page": 3, "before_id": many[5]}):
        page = present.nomination_page(queries.list_nominations(db, actor, **kw))
        assert present.json_ready(page) == NominationPageSchema().dump(page)
    rich = nomination_in(db, demo, "evaluated_co_so", person="Nguyễn Thị Lan")
    db.add(Checkin(nomination_id=rich.id, date=rich.created_at.date(), note="Theo dõi"))
    db.add(Attachment(nomination_id=rich.id, kind="evidence", filename="a.pdf", content_type="application/pdf",
                      size=1, sha256="0" * 64))
    db.commit()
    for nid in (many[0], many[-1], rich.id):
        data = present.nomination_detail(db, actor, queries.load_detail(db, actor, nid))
        assert present.json_ready(data) == NominationDetailSchema().dump(data)
    assert data["history"] and data["checkins"] and data["attachments"] and data["eligibility"]


def test_the_detail_page_reads_each_part_once(client, login, engine, db, demo):
    """The page asks every rule (the eligibility panel) and the submit guard asks its stage's rules (the buttons):
    each rule reads its records once per request, and the dossier's parts come in one statement."""
    n = nomination(db, demo, unit="PBGDPL", state="nurtured", path=("registered", "nurtured"))
    db.commit()
    login("tp_pbgdpl")
    client.get(f"/nominations/{n.id}")
    with statements(engine) as seen:
        r = client.get(f"/nominations/{n.id}")
    assert r.status_code == 200 and n.title in r.get_data(as_text=True)
    assert len([s for s in seen if "FROM discipline_records" in s]) == 1, seen
    assert len(_touching_nominations(seen)) == 1, seen  # the row with its parts
