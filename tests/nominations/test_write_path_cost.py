"""The write path's cost, held: a transition runs a fixed handful of statements, and the API's changes answer with
the detail built in their own transaction — exactly what a read right after shows — without reading again what they
just wrote. These fail when a statement per transition creeps back (an extra SELECT in a guard, a receiver querying
per event, the endpoint reloading the whole detail)."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from sqlalchemy import event, func, select
from test_api_nominations import act, complete_dossier, nurture, ref, register, upload  # noqa: F401  (ref: a fixture)

from models import AuditEvent, DisciplineRecord, Nomination, Notification, Person, StateChange, User
from models.audit import department_chain
from notifications import inbox
from workflow.nominations import queries, rules, service

DML = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@contextlib.contextmanager
def statements(engine):
    """The SQL statements run on `engine` inside the block (savepoints, BEGIN and COMMIT left out)."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(DML):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def reading(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


# ------------------------------------------------------------------------------------------------ the service
def test_a_transition_runs_a_fixed_handful_of_statements(db, engine, demo):
    """Lock and read the row with its campaign, unit and subject (1); UPDATE it with its version check and INSERT the
    history row (PostgreSQL: one statement; SQLite 2); append the audit row (PostgreSQL 2: take the chain's position,
    then insert and move the head; SQLite 3). Nothing else: no guard or receiver reads for start_nurturing, nothing
    read twice, and nothing left for a later flush to write."""
    actor = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng Phổ biến, giáo dục pháp luật")
    db.flush()
    with statements(engine) as seen:
        moved = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch bồi dưỡng.")
    postgres = engine.dialect.name == "postgresql"
    assert len(seen) == 1 + (1 if postgres else 2) + (2 if postgres else 3), seen
    assert len(reading(seen, "nominations")) == 1 and not reading(seen, "users")
    assert not (db.new or db.dirty or db.deleted) and not db.identity_map.check_modified()
    with statements(engine) as later:
        db.flush()
    assert later == []
    stored = db.execute(select(Nomination.state, Nomination.version, Nomination.nurture_plan, Nomination.updated_at)
                        .where(Nomination.id == n.id)).one()
    assert tuple(stored) == (moved.state, moved.version, moved.nurture_plan, moved.updated_at) \
        == ("nurtured", 2, "Kế hoạch bồi dưỡng.", moved.updated_at)
    step = db.scalars(select(StateChange).where(StateChange.nomination_id == n.id).order_by(StateChange.version)).all()
    assert [(s.version, s.action, s.from_state, s.to_state) for s in step] == [
        (1, "create", None, "registered"), (2, "start_nurturing", "registered", "nurtured")]
    assert step[-1] is moved.history[-1] and step[-1].created_at == moved.updated_at


def _parts(session, n) -> dict:
    """What the detail shows of `n` beside its row, as plain values, and the names `history_users` gives."""
    return {"history": [(h.id, h.version, h.action, h.from_state, h.to_state, h.actor_id, h.on_behalf_of_id,
                         h.comment, h.data, h.created_at) for h in n.history],
            "criteria": [(c.code, c.met, c.evidence) for c in n.criteria],
            "checkins": [(c.id, c.date, c.note, c.author_id) for c in n.checkins],
            "attachments": [(a.id, a.kind, a.filename, a.size, a.internal) for a in n.attachments],
            "names": sorted(queries.history_users(session, n).items())}


@pytest.mark.parametrize("loaded", [(), ("criteria", "attachments")])
def test_the_parts_read_with_the_step_are_those_read_after_it(db, engine, demo, loaded):
    """`with_parts` (the API's transition, which answers with the detail): the history (its earlier rows by two
    people and the row just written), criteria, check-ins and attachments, and the names of who acted, are those
    `load_parts` reads after the step, and a fresh session then reads the same; collections loaded before the step
    are left as they are. On PostgreSQL they are read by the step's statement, so the answer reads nothing more."""
    author, secretariat = demo.actor("tp_pbgdpl"), demo.actor("vanphong")
    n = service.create_nomination(db, author, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng Phổ biến, giáo dục pháp luật")
    n = service.transition(db, author, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch.")
    service.add_checkin(db, author, n.id, date=None, note="Kiểm tra quý I.")
    service.update_nomination(db, author, n.id, n.version, criteria={
        c.code: {"met": True, "evidence": f"Minh chứng {c.code}"} for c in rules.criteria_for("collective",
                                                                                              n.campaign.kind)})
    db.commit()
    db.expunge_all()
    n = service.load(db, secretariat, n.id, for_update=True)
    for key in loaded:
        getattr(n, key)
    with statements(engine) as seen:
        moved = service.transition(db, secretariat, n.id, "withdraw", n.version, reason="Đơn vị rút hồ sơ.",
                                   with_parts=True)
        queries.load_parts(db, moved)
        answered = _parts(db, moved)
    postgres = engine.dialect.name == "postgresql"
    parts = [s for s in seen if " FROM criterion_answers " in f"{s} "]
    assert len(parts) == 1 and parts[0].startswith("WITH moved AS" if postgres else "SELECT 0 AS part"), seen
    assert [h[2] for h in answered["history"]] == ["create", "start_nurturing", "withdraw"]
    assert answered["checkins"] and answered["criteria"]
    assert {name.username for _, name in answered["names"]} == {"tp_pbgdpl", "vanphong"}
    db.commit()
    db.expunge_all()
    again = service.load(db, secretariat, moved.id)
    queries.load_parts(db, again)
    assert _parts(db, again) == answered


def test_a_step_with_other_effects_is_flushed_with_them(db, demo, monkeypatch):
    """A step whose effects change more than the nomination's state (an award record, a proposal item, here the
    title) is written by the ORM's flush with those effects: one version step, nothing left pending."""
    actor = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng Phổ biến, giáo dục pháp luật")
    db.flush()
    effects = service._apply_effects

    def with_a_title(session, nomination, action, data):
        effects(session, nomination, action, data)
        nomination.title = "Tên mới"

    monkeypatch.setattr(service, "_apply_effects", with_a_title)
    moved = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch.")
    assert not (db.new or db.dirty or db.deleted)
    stored = db.execute(select(Nomination.title, Nomination.state, Nomination.version).where(Nomination.id == n.id))
    assert tuple(stored.one()) == ("Tên mới", "nurtured", 2) and moved.version == 2
    assert [h.version for h in moved.history] == [1, 2]


def test_guards_and_the_detail_evaluate_the_rules_once(db, engine, demo):
    """The submit guard and the eligibility the detail shows ask the same rules of the same unchanged nomination in
    one transaction: the discipline records are read once."""
    actor = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng Phổ biến, giáo dục pháp luật")
    db.flush()
    with statements(engine) as seen:
        first = rules.evaluate(db, n, "submit")
        second = rules.evaluate(db, n, "submit")
    assert first == second
    assert len(reading(seen, "discipline_records")) == 1, seen


def test_the_rules_are_evaluated_again_after_a_change(db, demo):
    """What the rules read may change in the same transaction (a discipline recorded, the nomination moved): a flush
    forgets what they found, so the next evaluation reads again."""
    actor = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng Phổ biến, giáo dục pháp luật")
    db.flush()
    rule = "khong_ky_luat_nam"
    assert {r.code: r.result for r in rules.evaluate(db, n, "submit")}[rule] == "pass"
    person = db.scalar(select(Person).where(Person.unit_id == n.unit_id).limit(1))
    year = n.campaign.years.start
    db.add(DisciplineRecord(person_id=person.id, form="canh_cao", decided_on=dt.date(year, 6, 1),
                            decision_number="1/QĐ"))
    assert {r.code: r.result for r in rules.evaluate(db, n, "submit")}[rule] == "fail"


# ------------------------------------------------------------------------------------------------ the API
def _same_as_a_read(api, username, response):
    assert response.status_code in (200, 201), response.get_json()
    body = response.get_json()
    again = api.as_(username).get(f"/nominations/{body['id']}")
    assert again.status_code == 200
    assert body == again.get_json()
    return body


def test_changes_answer_exactly_what_a_read_then_shows(api, ref):  # noqa: F811
    """Register, edit, nurture, submit (guards, recipients), return with a reason (another actor, a comment) and
    withdraw: each answer equals the GET that follows it, history, eligibility and available actions included."""
    n = register(api, ref)
    assert api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}").get_json() == n
    r = api.as_("tp_pbgdpl").patch(f"/nominations/{n['id']}", json={"version": n["version"], "title": "Tên mới"})
    n = _same_as_a_read(api, "tp_pbgdpl", r)
    n = _same_as_a_read(api, "tp_pbgdpl", act(api, "tp_pbgdpl", n, "start_nurturing", nurture_plan="Kế hoạch."))
    n = complete_dossier(api, "tp_pbgdpl", n)
    assert api.as_("tp_pbgdpl").get(f"/nominations/{n['id']}").get_json() == n
    n = _same_as_a_read(api, "tp_pbgdpl", act(api, "tp_pbgdpl", n, "submit", comment="Trình Hội đồng."))
    n = _same_as_a_read(api, "vanphong", act(api, "vanphong", n, "return_for_revision", reason="Bổ sung minh chứng."))
    n = _same_as_a_read(api, "tp_pbgdpl", act(api, "tp_pbgdpl", n, "withdraw", reason="Đơn vị rút hồ sơ."))
    assert [h["action"] for h in n["history"]] == ["create", "start_nurturing", "submit", "return_for_revision",
                                                   "withdraw"]
    person = register(api, ref, subject_type="individual", person_id=ref.lan, unit_id=None, title="Chị Lan")
    assert api.as_("tp_pbgdpl").get(f"/nominations/{person['id']}").get_json() == person


def test_a_transition_request_does_not_read_again_what_it_wrote(api, ref, engine):  # noqa: F811
    """POST /nominations/{id}/transitions: the nomination is read once (locked), the caller is not reloaded after the
    change, and the whole request stays within a fixed budget of statements."""
    n = nurture(api, ref)
    n = complete_dossier(api, "tp_pbgdpl", n)
    client = api.as_("tp_pbgdpl")
    with statements(engine) as seen:
        r = client.post(f"/nominations/{n['id']}/transitions", json={"action": "submit", "version": n["version"]})
    assert r.status_code == 200, r.get_json()
    assert len(reading(seen, "nominations")) == 1, seen
    assert not reading(seen, "units") and not reading(seen, "campaigns"), seen  # read with the locked row
    assert len(reading(seen, "state_changes")) <= 2, seen  # the history shown (and the rules' look-up, if any)
    # The guard's rules before the change, the eligibility shown after it: the nomination changed in between.
    assert len(reading(seen, "discipline_records")) <= 2, seen
    # Authentication (token, user, roles, delegation) + the change (lock, UPDATE, history, audit) + the detail's own
    # reads (unit, campaign, criteria, rules, attachments, history and its users, check-ins) + submit's recipients.
    assert len(seen) <= 21, "\n".join(seen)


def test_a_transition_answers_with_its_detail_read_in_one_statement(api, ref, engine):  # noqa: F811
    """POST /nominations/{id}/transitions (start_nurturing, the commonest step): the caller (1), the locked row with
    its parents (1), the step (PostgreSQL 1, SQLite 2), the audit row (2, SQLite 3) and the detail's history with the
    names of who acted, criteria, check-ins and attachments in ONE statement (they were four lazy loads and a fifth
    for the names) — on PostgreSQL the step's own (`queries.parts_beside`), which also takes the audit chain's
    position (the audit then only inserts): 4 statements on PostgreSQL, 8 on SQLite, besides the eligibility rules'
    own look-up (the discipline records of the unit's people, when it has any). The answer is still what a read then
    shows, check-ins and attachments included."""
    n = register(api, ref)
    client = api.as_("tp_pbgdpl")
    assert client.post(f"/nominations/{n['id']}/checkins", json={"note": "Kiểm tra quý I."}).status_code == 201
    assert upload(api, "tp_pbgdpl", n).status_code == 201
    n = client.get(f"/nominations/{n['id']}").get_json()
    with statements(engine) as seen:
        r = act(api, "tp_pbgdpl", n, "start_nurturing", nurture_plan="Kế hoạch bồi dưỡng.")
    assert r.status_code == 200, r.get_json()
    postgres = engine.dialect.name == "postgresql"
    parts = [s for s in seen if " FROM criterion_answers " in f"{s} "]
    assert len(parts) == 1 and " FROM checkins " in parts[0] and " FROM attachments " in parts[0], seen
    if postgres:  # the parts read by the step's statement, which writes the history row
        assert parts[0].startswith("WITH moved AS") and "INSERT INTO state_changes" in parts[0], seen
        assert not reading(seen, "state_changes"), seen
        assert "UPDATE audit_chain_heads SET seq" in parts[0], seen
        assert not [s for s in seen if s.startswith("UPDATE audit_chain_heads")], seen
    else:
        assert len(reading(seen, "state_changes")) == 1, seen
    assert len(reading(seen, "users")) <= 1, seen  # the caller's own
    rules = len(reading(seen, "discipline_records"))
    counted = [s for s in seen if not s.startswith("UPDATE api_tokens")]  # the token's use, noted once a minute
    assert rules <= 1 and len(counted) <= (4 if postgres else 8) + rules, "\n".join(seen)
    body = _same_as_a_read(api, "tp_pbgdpl", r)
    assert [h["action"] for h in body["history"]] == ["create", "start_nurturing"]
    assert body["history"][-1]["actor"]["username"] == "tp_pbgdpl"
    assert len(body["checkins"]) == 1 and len(body["attachments"]) == 1 and body["criteria"]



def test_the_step_statement_is_never_converted_again_when_it_runs(api, ref, engine, monkeypatch):  # noqa: F811
    """Issue 13, seventh increment: the API transition's step statement (longer than the 4 kB psycopg keeps its
    conversion for) runs in PostgreSQL's `$n` placeholders converted once (`models.plain._positional`), not split by
    psycopg's regular expression on every request. psycopg's per-execution conversion of an uncached text is made to
    fail here: the transition still answers 200 with its history. Fails when `PlainSelect` hands psycopg its
    `%(name)s` text again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's conversion")
    from psycopg import _queries

    n = register(api, ref)

    def refused(query, encoding):
        raise AssertionError(f"converted again: {bytes(query)[:80]!r}")

    monkeypatch.setattr(_queries, "_query2pg_nocache", refused)
    r = act(api, "tp_pbgdpl", n, "start_nurturing", nurture_plan="Kế hoạch bồi dưỡng.")
    assert r.status_code == 200, r.get_json()
    assert [h["action"] for h in r.get_json()["history"]] == ["create", "start_nurturing"]

def test_a_refused_transition_finds_its_audit_chain_without_loading_the_caller(api, ref, engine, db):  # noqa: F811
    """Issue 13, tenth increment: a refused transition (here a stale version, 409) is rolled back and its refusal
    audited on the caller's chain (its department's). Finding that chain loaded the caller's ORM User, its roles, its
    department and its unit — four statements a successful transition never runs; it now reads the department's row
    alone (`audit.chain_for` with the caller's columns). The refusal is written where it was, once."""
    n = register(api, ref)
    with statements(engine) as seen:
        r = act(api, "tp_pbgdpl", dict(n, version=n["version"] + 1), "start_nurturing", nurture_plan="Kế hoạch.")
    assert r.status_code == 409, r.get_json()
    assert not reading(seen, "users") and not reading(seen, "user_roles"), "\n".join(seen)
    assert len(reading(seen, "units")) == 1, "\n".join(seen)
    # The caller (1), the locked row (1), the department (1), the audit row (PostgreSQL 2, SQLite 3).
    counted = [s for s in seen if not s.startswith("UPDATE api_tokens")]  # the token's use, noted once a minute
    assert len(counted) == (5 if engine.dialect.name == "postgresql" else 6), "\n".join(seen)
    department = db.scalar(select(User.department_id).where(User.username == "tp_pbgdpl"))
    refused = db.execute(select(AuditEvent.chain, AuditEvent.action, AuditEvent.actor_username)
                         .where(AuditEvent.outcome == "refused", AuditEvent.object_id == n["id"])).all()
    assert refused == [(department_chain(department), "nomination.start_nurturing", "tp_pbgdpl")]


def test_recipients_are_told_with_one_insert(db, engine, demo):
    """The inbox writes the notifications of all an event's recipients in one multi-row INSERT (one round trip),
    in the recipients' order, never to the one excluded (the actor). With e-mail off (as here) no outbox row needs
    their ids, so it is one INSERT on both backends (inbox.notify_many)."""
    users = list(db.scalars(select(User).order_by(User.id).limit(4)))
    db.flush()
    before = db.scalar(select(func.max(Notification.id))) or 0
    with statements(engine) as seen:
        notes = inbox.notify(db, users, kind="nomination.submit", title="Trình hồ sơ", body="…", link="/nominations/1",
                             object_type="nomination", object_id=1, exclude_id=users[0].id)
    assert [n.user_id for n in notes] == [u.id for u in users[1:]]
    inserts = [s for s in seen if s.startswith("INSERT INTO notifications")]
    assert len(inserts) == 1, seen
    stored = db.scalars(select(Notification.user_id).where(Notification.id > before).order_by(Notification.id)).all()
    assert stored == [u.id for u in users[1:]]


@pytest.mark.parametrize(("grant", "target"), [
    (("nomination", "return_for_revision"), {"department": True}),  # submit: the secretariat
    (("nomination", "submit"), {"unit": True}),  # return, withdraw, revoke, accept: the unit's head
    (("nomination", "edit"), {"department": True, "unit": True}),  # reject_nganh: whoever keeps the dossier
    (("nomination", "recognize_nganh"), {}),  # no target: the Ministry's reviewers
])
def test_holders_are_told_in_one_statement_as_notify_tells_them(db, engine, demo, grant, target):
    """`inbox.notify_holders` (e-mail off) writes with one INSERT ... SELECT exactly the rows that `notify` of the
    `holders` writes (the path it replaced, still the one taken with e-mail on): same recipients in the same order,
    the excluded actor left out, same columns."""
    unit = demo.unit("PBGDPL")
    where = ({"department_id": unit.department_id} if target.get("department") else {}) | (
        {"unit_id": unit.id} if target.get("unit") else {})
    expected_users = inbox.holders(db, *grant, **where)
    excluded = expected_users[0].id if expected_users else None
    message = {"kind": "nomination.test", "title": "T" * 310, "body": "Nội dung", "link": "/nominations/7",
               "object_type": "nomination", "object_id": 7, "exclude_id": excluded}
    columns = (Notification.user_id, Notification.kind, Notification.title, Notification.body, Notification.link,
               Notification.object_type, Notification.object_id, Notification.read_at)

    def written(after: int) -> list[tuple]:
        return [tuple(r) for r in db.execute(select(*columns).where(Notification.id > after)
                                             .order_by(Notification.id))]

    start = db.scalar(select(func.max(Notification.id))) or 0
    inbox.notify(db, expected_users, **message)
    old = written(start)
    middle = db.scalar(select(func.max(Notification.id))) or 0
    with statements(engine) as seen:
        inbox.notify_holders(db, grant, where, **message)
    assert len(seen) == 1 and seen[0].startswith("INSERT INTO notifications"), seen
    assert written(middle) == old
    assert len(old) == max(len(expected_users) - 1, 0) and all(len(r[2]) == 300 for r in old)
