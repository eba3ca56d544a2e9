"""The plans SQLite chooses for the lists that were slow on it at a national scale (bench/README.md, "Thirteenth
increment": 100k nominations, 1M audit events). SQLite keeps no statistics and chooses its plan by rules, not by the
tables' sizes, so the plan it picks for a test's few rows is the plan it picks at 100k: that is what is asserted here,
with the rows each list shows. PostgreSQL plans by its statistics; its cost at 100k is measured by bench/lists.py.

`models.planner.broad` is asserted on both databases: what it writes, and that it writes each statement's own
values (a compiled statement is cached and reused)."""
import pytest
from conftest import DEMO_PASSWORD
from factories import co_so_example, nomination_in
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite

from models import Nomination
from models.planner import broad
from notifications import audit
from workflow.administration import accounts


class Plans:
    """The SELECTs the engine runs while the block runs that read `table`, each with SQLite's plan (its steps)."""

    def __init__(self, engine, db, table: str):
        self.engine, self.db, self.table, self.asked = engine, db, table, []

    def _keep(self, conn, cursor, statement, parameters, *args):
        if f" {self.table}" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.asked.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._keep)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._keep)

    def plans(self) -> list[tuple[str, list[str]]]:
        conn = self.db.connection()
        return [(statement, [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)])
                for statement, parameters in self.asked]


@pytest.fixture
def only_sqlite(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's depends on the tables' sizes")


def test_the_audit_trail_by_kind_of_object_reads_that_kind_in_id_order(only_sqlite, api, engine, db, demo):
    """`object_type=` alone, newest first: the (object_type, object_id, id) index holds a kind's events by object,
    so SQLite sorted every event of the kind for each page (~834k of 1M events: 129–159 ms); (object_type, id)
    holds them in the page's order."""
    for i in range(3):
        audit.append(db, action="test.ping", object_type="nomination", object_id=i + 1)
        audit.append(db, action="test.ping", object_type="council", object_id=i + 1)
    db.commit()
    with Plans(engine, db, "audit_events") as seen:
        body = api.as_("thanhtra").get("/audit?object_type=council").get_json()
    assert [e["object_type"] for e in body["items"]] == ["council"] * 3
    assert [e["object_id"] for e in body["items"]] == [3, 2, 1]
    reads = [(s, plan) for s, plan in seen.plans() if "FROM audit_events" in s or "JOIN audit_events" in s]
    assert reads
    for statement, plan in reads:
        assert any("ix_audit_events_object_type" in step for step in plan), (statement, plan)
        assert not any("ix_audit_events_object " in step for step in plan), (statement, plan)


def test_the_showcase_walks_its_partial_index_in_the_pages_order(only_sqlite, client, engine, db, demo):
    """The recognised examples newest first: ix_nominations_updated holds exactly them in that order. SQLite took
    the state's index instead (it assumes a state matches ~10 rows) and sorted every example for the page's 20
    (~21k at 100k nominations); the partial index is usable only when the query holds its term value for value."""
    examples = [co_so_example(db, demo, unit=unit) for unit in ("HCTP", "PBGDPL")]
    nomination_in(db, demo, "registered", unit="TTR")
    db.commit()
    with Plans(engine, db, "nominations") as seen:
        page = client.get("/showcase").get_data(as_text=True)
    assert all(n.title in page for n in examples)
    ordered = [(s, plan) for s, plan in seen.plans() if "ORDER BY nominations.updated_at DESC" in s]
    assert ordered
    for statement, plan in ordered:
        assert "SCAN nominations USING INDEX ix_nominations_updated" in plan, (statement, plan)


def test_a_unit_heads_cards_seek_by_the_unit_not_by_the_state(only_sqlite, client, login, engine, db, demo):
    """A unit head's work queues: (the unit's nominations or those about them) in a state. Seeking by the state read
    every nomination of the country in it (~11k per state at 100k: 21 ms a card, 62 ms the page)."""
    mine = nomination_in(db, demo, "registered", unit="HCTP")
    nomination_in(db, demo, "registered", unit="PBGDPL")
    db.commit()
    login("tp_hctp")
    with Plans(engine, db, "nominations") as seen:
        page = client.get("/").get_data(as_text=True)
    assert mine.title in page
    cards = [(s, plan) for s, plan in seen.plans() if "count(*) OVER ()" in s]
    assert cards
    for statement, plan in cards:
        assert not any("ix_nominations_state_id (state=?)" in step for step in plan), (statement, plan)
        assert any("(unit_id=?" in step for step in plan), (statement, plan)


def test_the_ministrys_summary_reads_the_state_index_alone(only_sqlite, api, engine, db, demo):
    """The Ministry's scope is a set of states across every department: the aggregates read the reports' columns
    from (state, id, unit_id, furthest_stage, subject_type, campaign_id) without the table (~13k rows fetched per
    aggregate at 100k before migration 0029: 84–95 ms). A reviewer who is no one's subject (the demo's `botp` is a
    person, whose own dossiers widen the scope)."""
    co_so_example(db, demo, unit="HCTP")
    accounts.create_user(db, "bo_xet", roles=["ministry_reviewer"], password=DEMO_PASSWORD, unit_code="BTP",
                         demo_password=True)
    db.commit()
    with Plans(engine, db, "nominations") as seen:
        r = api.as_("bo_xet").get("/reports/summary")
    assert r.status_code == 200
    grouped = [(s, plan) for s, plan in seen.plans() if "GROUP BY" in s and "nominations.state IN" in s]
    assert grouped
    for statement, plan in grouped:
        assert any("COVERING INDEX ix_nominations_state_id" in step for step in plan), (statement, plan)


def test_broad_is_likely_with_literal_values_on_sqlite_and_the_condition_itself_elsewhere(engine):
    def sql(states, dialect):
        stmt = select(Nomination.id).where(broad(Nomination.state.in_(states)), Nomination.unit_id == 7)
        return str(stmt.compile(dialect=dialect))

    assert "likely(" not in sql(("recognized",), postgresql.dialect())
    assert "nominations.state IN (__[POSTCOMPILE_state_1])" in sql(("recognized",), postgresql.dialect())
    assert "likely(nominations.state IN (__[POSTCOMPILE_state_1]))" in sql(("recognized",), sqlite.dialect())
    # Executed (the compiled form cached after the first): each statement with its own values.
    written = []

    def keep(conn, cursor, statement, *args):
        if "FROM nominations" in statement:
            written.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with engine.connect() as conn:
            for states in (("recognized",), ("registered", "nurtured")):
                conn.execute(select(Nomination.id).where(broad(Nomination.state.in_(states)))).all()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    if engine.dialect.name == "sqlite":
        assert "likely(nominations.state IN ('recognized'))" in written[0]
        assert "likely(nominations.state IN ('registered', 'nurtured'))" in written[1]
    else:
        assert len(written) == 2 and all("likely" not in s for s in written)


def test_broad_keeps_its_conditions_meaning_beside_and_under_others():
    """An OR made broad stays one condition under an AND, and its negation is the condition's own, on both
    databases (PostgreSQL gets no likely() to group it)."""
    from sqlalchemy import or_

    either = or_(Nomination.state == "registered", Nomination.unit_id == 7)
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        anded = str(select(Nomination.id).where(broad(either), Nomination.id == 1).compile(dialect=dialect))
        assert "(nominations.state = " in anded.replace("likely(", ""), anded
        negated = str(select(Nomination.id).where(~broad(either)).compile(dialect=dialect))
        assert "NOT (nominations.state = " in negated and "likely" not in negated, negated
