"""The list page's filter choices are kept per data stamp (`models.stamps`, `choices.list_filters`): never stale.

The adversary changes units and campaigns behind the page's back — through the ORM, by plain SQL the application never
sends, in a transaction rolled back — and the page must show every committed change at its next request, and never a
change that was rolled back. Each test fails when a trigger is missing or the stamp is a counter."""
from __future__ import annotations

import datetime as dt

import factories
import pytest
from factories import uid
from sqlalchemy import inspect, select, text
from statements import Statements

from models import ApiToken, Campaign, DataStamp, Unit, make_engine
from models.stamps import ACCOUNTS, CHOICES, STAMPED
from web import migrate
from workflow import choices, clock
from workflow.administration import accounts


def _stamp(db) -> str:
    return db.scalar(select(DataStamp.stamp).where(DataStamp.name == CHOICES))


def _page(client) -> str:
    r = client.get("/nominations")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _reads_filters(statements) -> bool:
    return any("choices.part" in s for s in statements)


def test_every_change_of_units_or_campaigns_writes_a_new_stamp(db, demo):
    seen = {_stamp(db)}

    def changed():
        db.flush()
        stamp = _stamp(db)
        assert stamp not in seen
        seen.add(stamp)

    unit = demo.unit("HCTP")
    unit.name = "Phòng Hành chính tư pháp (mới)"
    changed()
    db.add(Unit(code="ZZ1", name="Phòng thử", kind="division", department_id=demo.unit("STP").id))
    changed()
    db.execute(text("UPDATE units SET name = name || ' ' WHERE code = 'ZZ1'"))  # SQL the ORM never sees
    changed()
    db.execute(text("DELETE FROM units WHERE code = 'ZZ1'"))
    changed()
    campaign = factories.campaign(db, demo, name="Phong trào đổi tên")
    changed()
    db.execute(text("UPDATE campaigns SET name = 'Tên khác' WHERE id = :id"), {"id": campaign.id})
    changed()
    before = _stamp(db)
    factories.nomination(db, demo, unit="HCTP")  # another table: the stamp stays
    assert _stamp(db) == before


def test_the_list_page_shows_every_change_of_its_filters_at_once(engine, db, demo, client, login):
    assert login("vanphong").status_code == 302
    page = _page(client)
    assert "Phòng Hành chính tư pháp" in page and "Đăng ký điển hình</a>" in page
    with Statements(engine) as seen:
        _page(client)
    assert not _reads_filters(seen) and "data_stamps" in seen[0], seen  # kept: read with the caller, no statement

    db.execute(text("UPDATE units SET name = 'Phòng Hộ tịch mới' WHERE code = 'HCTP'"))  # behind the ORM's back
    db.flush()
    with Statements(engine) as seen:
        page = _page(client)
    assert _reads_filters(seen) and "Phòng Hộ tịch mới" in page and "Phòng Hành chính tư pháp" not in page

    campaign = factories.campaign(db, demo, name="Đợt thi đua vừa thêm")
    assert "Đợt thi đua vừa thêm" in _page(client)
    db.delete(campaign)
    db.flush()
    assert "Đợt thi đua vừa thêm" not in _page(client)

    # No unit of the department may be registered for any more: the page stops offering the registration.
    db.execute(text("UPDATE units SET active = false WHERE department_id = :d"), {"d": demo.unit("STP").id})
    db.flush()
    assert "Đăng ký điển hình</a>" not in _page(client)


def test_a_stamp_rolled_back_is_never_served(db, demo):
    """A change rolled back took its stamp with it; the next change writes a new one (a counter would write the same
    value again, and the choices kept for the rolled-back change would be served for it)."""
    actor = demo.actor("vanphong")
    with db.begin_nested() as attempt:
        db.execute(text("UPDATE units SET name = 'Tên bị hủy' WHERE code = 'HCTP'"))
        abandoned = _stamp(db)
        assert "Tên bị hủy" in {u.name for u in choices.list_filters(db, actor).units}  # kept under `abandoned`
        attempt.rollback()
    db.execute(text("UPDATE units SET name = 'Tên đã lưu' WHERE code = 'HCTP'"))
    stamp = _stamp(db)
    assert stamp != abandoned
    names = {u.name for u in choices.list_filters(db, actor, stamp=stamp).units}
    assert "Tên đã lưu" in names and "Tên bị hủy" not in names


def test_kept_filters_are_the_statements_answer_for_every_reader(db, demo):
    """Kept and read again, for every kind of reader: the same choices (a key missing a part of the scope would hand
    one reader's choices to another)."""
    stamp = _stamp(db)
    for username in ("admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "botp", "thanhtra", "bientap",
                     "canbo1"):
        actor = demo.actor(username)
        fresh = choices.list_filters(db, actor)
        assert choices.list_filters(db, actor, stamp=stamp) == fresh
        assert list(fresh.campaigns) == [tuple(c) for c in choices.filter_campaigns(db, actor)]
        assert list(fresh.units) == [tuple(u) for u in choices.filter_units(db, actor)]
        assert fresh.can_register == choices.may_register_somewhere(db, actor)


def test_the_scope_key_holds_the_units_a_merger_passed_on(db, demo):
    """`Actor.unit_ids` (a merged unit's predecessors, from the merger's effective date) is part of the scope the
    registrable units are read in: the statement and the kept choices are keyed by it (they were not)."""
    actor = demo.actor(factories.unit_head(db, demo, "HCTP"))
    own = choices._scope_key(actor)
    demo.unit("HCTP").has_predecessors = True  # a merger took effect: its predecessors' scope passed to the head
    actor.extra["unit_ids"] = (clock.today(), (actor.unit_id, demo.unit("PBGDPL").id))
    merged = choices._scope_key(actor)
    assert own != merged and merged[5] == (actor.unit_id, demo.unit("PBGDPL").id)


def test_the_migrated_schema_has_the_triggers(tmp_path):
    """A database built by the migrations (not the metadata) writes a new stamp on a change of units or campaigns
    (SQLite: a later migration rebuilding `units` or `campaigns` in batch mode would drop their triggers)."""
    eng = make_engine(f"sqlite:///{tmp_path / 'stamps.db'}")
    try:
        migrate.upgrade(eng)
        assert "data_stamps" in inspect(eng).get_table_names()
        with eng.begin() as conn:
            first = conn.scalar(text("SELECT stamp FROM data_stamps WHERE name = 'choices'"))
            conn.execute(text("INSERT INTO units (code, name, search_text, kind, active, has_predecessors) "
                              "VALUES ('X', 'X', 'x', 'ministry', 1, 0)"))
            second = conn.scalar(text("SELECT stamp FROM data_stamps WHERE name = 'choices'"))
            conn.execute(text("UPDATE units SET name = 'Y'"))
            third = conn.scalar(text("SELECT stamp FROM data_stamps WHERE name = 'choices'"))
        assert first and len({first, second, third}) == 3
    finally:
        eng.dispose()


# ------------------------------------------------------------------------------------------------ accounts
def _accounts_stamp(db) -> str:
    return db.scalar(select(DataStamp.stamp).where(DataStamp.name == ACCOUNTS))


def test_every_change_a_tokens_caller_is_read_from_writes_a_new_accounts_stamp_but_its_use_note(db, demo):
    """`accounts.caller_for_token` keeps a caller while this stamp stands: every table its statement reads (the user,
    the unit, the roles, the delegations, the token) must write a new one, whoever changes it; the token-use note
    (`last_used_at` alone, once a minute per token) must not, or every note would read every caller again, nor a
    token issued (every API login would)."""
    seen = {_accounts_stamp(db)}

    def changed(sql: str, **params):
        db.execute(text(sql), params)
        db.flush()
        stamp = _accounts_stamp(db)
        assert stamp not in seen, sql
        seen.add(stamp)

    user = uid(demo, "vanphong")
    token = accounts.issue_token(db, demo.user("vanphong"), name="t")
    db.flush()
    assert _accounts_stamp(db) in seen  # a token issued: a new hash no kept caller was read by (QUIET_INSERTS)
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.token_hash == accounts._digest(token)))
    changed("UPDATE users SET full_name = 'Tên mới' WHERE id = :u", u=user)
    changed("UPDATE users SET active = false WHERE id = :u", u=user)
    changed("UPDATE units SET closed_on = :d WHERE code = 'HCTP'", d=dt.date(2031, 1, 1))
    changed("DELETE FROM user_roles WHERE user_id = :u AND role = 'secretariat'", u=user)
    changed("INSERT INTO user_roles (user_id, role, deputy) VALUES (:u, 'auditor', false)", u=user)
    changed("UPDATE user_roles SET role = 'editor' WHERE user_id = :u AND role = 'auditor'", u=user)
    changed("INSERT INTO delegations (department_id, director_id, deputy_id, starts_on, ends_on, deputy_title) "
            "VALUES (:d, :g, :p, :s, :e, 'PHÓ GIÁM ĐỐC')", d=demo.unit("STP").id, g=uid(demo, "giamdoc"),
            p=uid(demo, "phogiamdoc"), s=dt.date(2031, 1, 1), e=dt.date(2031, 1, 5))
    changed("UPDATE delegations SET ends_on = :e", e=dt.date(2031, 1, 6))
    changed("DELETE FROM delegations")
    for column, value in (("revoked", True), ("expires_at", clock.now()), ("name", "x"), ("user_id", user)):
        changed(f"UPDATE api_tokens SET {column} = :v WHERE id = :t", v=value, t=token_id)
    before = _accounts_stamp(db)
    db.execute(text("UPDATE api_tokens SET last_used_at = :n WHERE id = :t"), {"n": clock.now(), "t": token_id})
    accounts.record_token_use(db, token_id, clock.now() + dt.timedelta(hours=1))
    factories.nomination(db, demo, unit="HCTP")  # another table
    db.flush()
    assert _accounts_stamp(db) == before
    changed("DELETE FROM api_tokens WHERE id = :t", t=token_id)


def _stamp_triggers(conn) -> dict[str, str]:
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                 "WHERE NOT tgisinternal AND tgname LIKE '%\\_stamp\\_%'"))
    else:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND name LIKE '%\\_stamp\\_%' ESCAPE '\\'"))
    return {name: " ".join(sql.split()) for name, sql in rows}


def test_the_migrations_make_the_stamps_triggers_the_metadata_makes(engine, tmp_path):
    """The head's migrations (0021 `choices`, 0026 `accounts`) leave exactly the triggers a database built from the
    metadata (the tests') has: a stamp's table without its trigger would leave kept data stale. SQLite here (a
    migration rebuilding a stamped table in batch mode drops its triggers); PostgreSQL's migrated triggers are
    compared in tests/platform/test_migrations.py."""
    migrated = make_engine(f"sqlite:///{tmp_path / 'stamps.db'}")
    try:
        migrate.upgrade(migrated)
        with migrated.connect() as conn:
            theirs = _stamp_triggers(conn)
    finally:
        migrated.dispose()
    if engine.dialect.name != "sqlite":
        pytest.skip("the metadata's SQLite triggers are compared on the SQLite backend")
    with engine.connect() as conn:
        ours = _stamp_triggers(conn)
    assert theirs == ours
    assert {f"{t}_stamp_accounts_{c}" for t in STAMPED[ACCOUNTS] for c in ("insert", "update", "delete")
            if (c, t) != ("insert", "api_tokens")} <= set(ours)
    assert "api_tokens_stamp_accounts_insert" not in ours  # QUIET_INSERTS


def _new_campaign(db, demo, department: str, name: str, year: int) -> Campaign:
    c = Campaign(department_id=demo.unit(department).id, name=name, kind="annual", start_date=dt.date(year, 1, 1),
                 end_date=dt.date(year, 12, 31), registration_deadline=dt.date(year, 3, 31))
    db.add(c)
    db.flush()
    return c


def _reads_report_choices(statements) -> bool:
    """Any of the three statements of `reports.filter_choices` (the campaigns with their review dates, their years,
    the departments)."""
    marks = ("campaigns.midterm_review_date", "distinct(extract", "units.kind = ")
    return any(mark in s.lower() for s in statements for mark in marks)


def test_the_reports_page_shows_every_change_of_its_filter_at_once(engine, db, demo, client, login):
    """The reports dashboard's filter (campaigns, their years, the departments) is kept per `choices` stamp too
    (`reports.filter_choices`): read once, then served without a statement, and every change shown at the next
    request."""
    assert login("botp").status_code == 302
    page = client.get("/reports").get_data(as_text=True)
    assert 'name="department"' in page and "Sở Tư pháp" in page
    with Statements(engine) as seen:
        assert client.get("/reports").status_code == 200
    assert not _reads_report_choices(seen) and "data_stamps" in seen[0], seen

    campaign = _new_campaign(db, demo, "STP2", "Đợt thi đua năm xa", 2040)
    with Statements(engine) as seen:
        page = client.get("/reports").get_data(as_text=True)
    assert _reads_report_choices(seen) and "Đợt thi đua năm xa" in page and '<option value="2040"' in page
    db.execute(text("UPDATE units SET name = 'Sở Tư pháp đổi tên' WHERE code = 'STP'"))  # behind the ORM's back
    db.flush()
    assert "Sở Tư pháp đổi tên" in client.get("/reports").get_data(as_text=True)
    db.delete(campaign)
    db.flush()
    page = client.get("/reports").get_data(as_text=True)
    assert "Đợt thi đua năm xa" not in page and '<option value="2040"' not in page


def test_the_reports_kept_choices_are_the_statements_answer_for_every_reader(db, demo):
    """Kept and read again, for every kind of reader: the same campaigns, years and departments as the three
    statements give (a key missing a part of the scope would hand one reader's choices to another)."""
    from workflow.reporting import reports

    before = _stamp(db)
    _new_campaign(db, demo, "STP2", "Đợt của Sở khác", 2039)
    stamp = _stamp(db)
    assert stamp != before
    answers = set()
    for username in ("admin", "vanphong", "giamdoc", "tp_pbgdpl", "tp_stp2", "botp", "thanhtra"):
        actor = demo.actor(username)
        expected = reports.FilterChoices(tuple(reports.visible_campaigns(db, actor)),
                                         tuple(reports.campaign_years(db, actor)),
                                         tuple(reports.departments(db, actor)))
        assert reports.filter_choices(db, actor, stamp=stamp) == expected, username
        assert reports.filter_choices(db, actor, stamp=stamp) == expected, username  # kept
        assert reports.filter_choices(db, actor) == expected, username
        answers.add(expected)
    assert len(answers) >= 3  # the readers' scopes differ
