"""The secret ballot against the database's own administrator (issue 10 §1): the attacks of the issue, run.

Each test plays someone who reads the database — every table, PostgreSQL's hidden columns `xmin` (the writing
transaction) and `ctid` (the physical place of a row), SQLite's `rowid`, a `pg_dump` of it — and tries to tie a
choice to a member. The attacks are written against "whatever stores ballots" (every table whose name holds
"ballot", except the public receipts), not against one schema, so they failed on the first design (one sealed row
per vote, written with the receipt) and pass on the slot/anonymous-ballot design.

These tests commit (one transaction per vote, as in production); those that read transaction ids, physical order or
the files see real commits (`COMMITTED`, conftest's reseeded `db`), the others savepoints of the test's transaction.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest
from sqlalchemy import String, Text, func, select, text
from sqlalchemy.engine import make_url
from test_council_helpers import LATER, MEMBERS, NOW, nominate, schedule, uid

from models import AgendaItem, AuditEvent, BallotReceipt, Base, make_engine
from workflow.administration import accounts
from workflow.council import ballots
from workflow.council import operations as council

# The DBA's tools (pg_dump, pg_restore, VACUUM, the WAL checkpoint) read what is committed, from connections of
# their own, and transaction ids and physical row order are those of real commits: the tests that look at them run on
# the reseeded database, not one rolled-back connection. The others read the tables through the test's own session.
COMMITTED = pytest.mark.fresh_db

RECEIPTS = BallotReceipt.__table__.name


def _storage_tables():
    """Where ballots (sealed or opened) are kept: every table named like a ballot but the public receipts."""
    return [t for t in Base.metadata.sorted_tables if "ballot" in t.name and t.name != RECEIPTS]


def _text_columns(table):
    return [c for c in table.columns if isinstance(c.type, String | Text) and not c.primary_key and not c.foreign_keys]


def _rows(db, table, order: str | None = None):
    """The table's rows for all items, as dicts, with the hidden columns an administrator can read."""
    hidden = "xmin::text::bigint AS _xmin, ctid::text AS _ctid" if db.bind.dialect.name == "postgresql" \
        else "rowid AS _rowid"
    sql = f"SELECT *, {hidden} FROM {table.name}" + (f" ORDER BY {order}" if order else "")
    return [dict(r._mapping) for r in db.execute(text(sql))]


def _sealed_values(db) -> list[str]:
    return [r[c.name] for t in _storage_tables() for r in _rows(db, t) for c in _text_columns(t)
            if r[c.name] is not None and c.name != "choice"]


def _commit(db):
    db.commit()


def _open(db, demo, items, present):
    s = schedule(db, demo, items)
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in present])
    council.open_session(db, demo.actor("giamdoc"), s.id, now=NOW)
    _commit(db)
    return s


def _vote(db, demo, s, n, username, choice):
    council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)
    _commit(db)


def _close(db, demo, s):
    council.close_session(db, demo.actor("giamdoc"), s.id, now=LATER)
    _commit(db)


def _more_members(db, demo, count: int) -> list[str]:
    """`count` more council members of the department (unit STP itself: recused from no item of a division)."""
    admin = demo.actor("admin")
    council_id = council.council_for_department(db, demo.unit("STP").id).id
    names = []
    for i in range(count):
        user = accounts.create_user(db, f"tv{i:02d}", roles=["council_member"], password="mat-khau-123",
                                    unit_code="STP", full_name=f"Thành viên {i}")
        db.flush()
        council.set_member(db, admin, council_id, user_id=user.id)
        names.append(user.username)
    _commit(db)
    return names


def _decode(item_id: int, row: dict, table) -> str | None:
    """What a row says was chosen: its plain `choice`, or, for a sealed row, what the key opens (the attacker of
    these tests holds the key)."""
    if "choice" in row:
        return row["choice"]
    (column,) = _text_columns(table)
    try:
        if hasattr(ballots, "open_slot"):
            return ballots.open_slot(item_id, row["key"], row[column.name])
        return ballots.unseal(item_id, row[column.name])  # the first design
    except ValueError:
        return None


def _item(db, s, n) -> AgendaItem:
    return db.scalar(select(AgendaItem).where(AgendaItem.session_id == s.id, AgendaItem.nomination_id == n.id))


# ------------------------------------------------------------------------------------------------ while open
def test_every_sealed_value_has_one_length_whatever_the_choice(db, demo):
    """Issue: agree sealed to 44 characters, abstain to 48 ending in '=', disagree to 48 without."""
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], MEMBERS)
    lengths = {len(v) for v in _sealed_values(db)}
    for username, choice in zip(MEMBERS, ["agree", "disagree", "abstain", "agree", "abstain", "disagree"],
                                strict=False):
        _vote(db, demo, s, n, username, choice)
        lengths |= {len(v) for v in _sealed_values(db)}
    assert _sealed_values(db), "no sealed value found: the attack looks at the wrong tables"
    assert len(lengths) == 1, f"sealed lengths tell choices apart: {sorted(lengths)}"


def test_no_timestamp_or_member_column_in_ballot_storage():
    for table in _storage_tables():
        names = set(table.columns.keys())
        assert not {"created_at", "updated_at", "cast_at", "member_user_id", "user_id", "receipt_id"} & names
        assert {fk.column.table.name for fk in table.foreign_keys} <= {"agenda_items"}


@pytest.fixture
def postgres_db(db):
    if db.bind.dialect.name != "postgresql":
        pytest.skip("xmin and ctid are PostgreSQL's")
    return db


@COMMITTED
def test_transaction_ids_single_out_no_ballot_while_open(postgres_db, demo):
    """Issue: ballots.xmin = audit_events.xmin tied each ballot to its voter. Now each vote rewrites every slot of
    its item, so a vote's transaction id points at all of the item's stored ballots or at none."""
    db = postgres_db
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], MEMBERS)
    item = _item(db, s, n)
    for username, choice in zip(MEMBERS, ["agree", "disagree", "abstain", "agree"], strict=False):
        _vote(db, demo, s, n, username, choice)
        (tx,) = db.execute(text(
            "SELECT DISTINCT xmin::text::bigint FROM audit_events WHERE action = 'council_session.vote_cast' "
            "AND actor_id = :u"), {"u": uid(demo, username)}).scalars().all()
        for table in _storage_tables():
            rows = [r for r in _rows(db, table) if r.get("item_id") == item.id]
            hit = [r for r in rows if r["_xmin"] == tx]
            assert not hit or len(hit) == len(rows), (
                f"{table.name}: the vote of {username} (transaction {tx}) singles out {len(hit)} of {len(rows)} rows")
            # Physical order is the order of the last rewrite, which says nothing either: every row moved.
            assert not hit or len({r["_ctid"] for r in rows}) == len(rows)


# ------------------------------------------------------------------------------------------------ after close
ORDER_MEMBERS = 24


@pytest.fixture
def council_of_24(db, demo):
    """24 members present; the first 12 to vote agree, the last 12 disagree (on an item nobody is recused from)."""
    voters = MEMBERS + _more_members(db, demo, ORDER_MEMBERS - len(MEMBERS))
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], voters)
    choices = ["agree"] * 12 + ["disagree"] * 12
    for username, choice in zip(voters, choices, strict=True):
        _vote(db, demo, s, n, username, choice)
    return s, n, voters, choices


def _attributes(sequence: list, choices: list) -> bool:
    """The attack "first rows = first voters" (or last rows = first voters)."""
    return sequence == choices or sequence[::-1] == choices


@COMMITTED
def test_row_order_and_ids_after_close_do_not_follow_the_voters(db, demo, council_of_24):
    s, n, voters, choices = council_of_24
    _close(db, demo, s)
    item = _item(db, s, n)
    assert (item.agree, item.disagree) == (12, 12)
    physical = "ctid" if db.bind.dialect.name == "postgresql" else "rowid"
    found = 0
    for table in _storage_tables():
        pk = ", ".join(c.name for c in table.primary_key.columns)
        for order in (physical, pk):
            seq = [_decode(item.id, r, table) for r in _rows(db, table, order) if r.get("item_id") == item.id]
            if not seq:
                continue
            found += 1
            assert sorted(seq, key=str) == sorted(choices), "the stored ballots do not recount the tally"
            assert not _attributes(seq, choices), f"{table.name} ordered by {order} lists the ballots in voting order"
    assert found, "no stored ballot after close: nothing to recount"


@COMMITTED
def test_after_close_the_receipts_transactions_point_at_no_ballot(postgres_db, demo, council_of_24):
    db = postgres_db
    s, n, voters, choices = council_of_24
    _close(db, demo, s)
    receipt_tx = set(db.execute(text(f"SELECT xmin::text::bigint FROM {RECEIPTS}")).scalars())
    vote_tx = set(db.execute(text(
        "SELECT xmin::text::bigint FROM audit_events WHERE action = 'council_session.vote_cast'")).scalars())
    (close_tx,) = db.execute(text(
        "SELECT xmin::text::bigint FROM audit_events WHERE action = 'council_session.closed'")).scalars().all()
    assert len(receipt_tx) == ORDER_MEMBERS
    for table in _storage_tables():
        txs = {r["_xmin"] for r in _rows(db, table)}
        assert not txs & (receipt_tx | vote_tx), f"{table.name} shares transaction ids with the votes"
        assert txs <= {close_tx}


def test_with_the_key_nothing_left_opens_into_a_members_choice(db, demo, council_of_24):
    """Someone who also holds BALLOT_KEY, after close: no sealed value is left anywhere in the database."""
    s, n, voters, choices = council_of_24
    _close(db, demo, s)
    items = [i.id for i in db.scalars(select(AgendaItem))]
    openers = [lambda item_id, key, value: ballots.open_slot(item_id, key, value)] if hasattr(ballots, "open_slot") \
        else [lambda item_id, key, value: ballots.unseal(item_id, value)]  # the first design
    opened = []
    for table in Base.metadata.sorted_tables:
        keys = [c.name for c in table.primary_key.columns]
        for column in _text_columns(table):
            for row in db.execute(select(table).where(table.c[column.name].is_not(None))).mappings():
                value = row[column.name]
                if not isinstance(value, str) or len(value) < 40:
                    continue
                for item_id in items:
                    for key in [str(row[k]) for k in keys] or [""]:
                        for opener in openers:
                            try:
                                opened.append((table.name, opener(item_id, key, value)))
                            except (ValueError, TypeError):
                                pass
    assert opened == []


def _pg_bin(name: str) -> str | None:
    """pg_dump/pg_restore matching the server's major version (Debian keeps one per version)."""
    import glob

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else shutil.which(name)


@COMMITTED
def test_row_order_after_dump_and_restore_does_not_follow_the_voters(postgres_db, demo, council_of_24, tmp_path):
    """Issue: the physical order of ballots survived pg_dump/pg_restore. Dump the ballot tables, restore them into a
    throwaway database, and read them back in physical order."""
    db = postgres_db
    pg_dump, pg_restore = _pg_bin("pg_dump"), _pg_bin("pg_restore")
    if not pg_dump or not pg_restore:
        pytest.skip("pg_dump/pg_restore not installed")
    s, n, voters, choices = council_of_24
    _close(db, demo, s)
    item = _item(db, s, n)
    url = make_url(os.environ["TEST_DATABASE_URL"])
    conn_args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ, PGPASSWORD=url.password or "")
    dump = tmp_path / "ballots.dump"
    tables = [a for t in _storage_tables() for a in ("-t", t.name)]
    subprocess.run([pg_dump, *conn_args, "-Fc", "--data-only", *tables, "-f", str(dump), url.database],
                   check=True, env=env, capture_output=True)
    name = f"dienhinh_dump_{uuid.uuid4().hex[:10]}"
    admin = make_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    copy = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        with copy.begin() as conn:  # the tables without their constraints: the dump holds their rows only
            for table in _storage_tables():
                cols = ", ".join(f"{c.name} {c.type.compile(copy.dialect)}" for c in table.columns)
                conn.execute(text(f"CREATE TABLE {table.name} ({cols})"))
        restored = subprocess.run([pg_restore, *conn_args, "--data-only", *tables, "-d", name, str(dump)],
                                  env=env, capture_output=True, text=True)
        assert restored.returncode == 0, restored.stderr
        restored_ballots = 0
        with copy.connect() as conn:
            for table in _storage_tables():
                rows = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table.name} ORDER BY ctid"))]
                seq = [_decode(item.id, r, table) for r in rows if r.get("item_id") == item.id]
                restored_ballots += len(seq)
                if seq:
                    assert not _attributes(seq, choices), f"{table.name} restored in voting order"
        assert restored_ballots == ORDER_MEMBERS
    finally:
        copy.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_vote_events_and_receipts_hold_no_choice(db, demo):
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], MEMBERS)
    _vote(db, demo, s, n, "hoidong2", "disagree")
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "council_session.vote_cast")).all()
    assert len(events) == 1 and set(events[0].data) == {"nomination_id", "via"}
    assert db.scalar(select(func.count()).select_from(BallotReceipt)) == 1


# ------------------------------------------------------------------------------------------------ the files themselves
def _file_bytes(db) -> bytes:
    """What a file-level copy of the ballot slots holds (a base backup, a copy of the data directory): PostgreSQL's
    data file of `ballot_slots` after a checkpoint; SQLite's database file and its write-ahead log."""
    if db.bind.dialect.name == "postgresql":
        db.commit()
        try:
            with db.bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("CHECKPOINT")
                return conn.scalar(text("SELECT pg_read_binary_file(pg_relation_filepath('ballot_slots'))"))
        except Exception as exc:  # noqa: BLE001 - a role that may not read server files
            pytest.skip(f"reading PostgreSQL's files needs a superuser: {exc}")
    path = db.bind.url.database
    data = b""
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as fh:
                data += fh.read()
    return data


@COMMITTED
def test_after_the_purge_no_old_sealed_value_is_left_in_the_files(db, demo):
    """With the key, the dead versions of the slots would replay the session vote by vote (each version names its
    transaction, hence its voter). After close, `purge_ballot_remnants` (run by the page and the API after a close on
    PostgreSQL, and by `dienhinh ballots purge`) leaves none of them in the files."""
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], MEMBERS[:4])  # the 4 voters (below the quorum the close needs no more ballots)
    seen: set[str] = set(_sealed_values(db))
    for username, choice in zip(MEMBERS, ["agree", "disagree", "abstain", "agree"], strict=False):
        _vote(db, demo, s, n, username, choice)
        seen |= set(_sealed_values(db))
    _close(db, demo, s)
    db.close()
    before = _file_bytes(db)
    assert any(v.encode() in before for v in seen), "the old versions were never in the files: the test proves nothing"
    # PostgreSQL keeps a dead version while any transaction of the database may still see it, and VACUUM FULL waits
    # for its lock behind an autovacuum of the table: one purge may do nothing, a later one (the timer's) does it.
    done = []
    for _attempt in range(10):
        done.append(council.purge_ballot_remnants(db.bind, wait_ms=3000))
        after = _file_bytes(db)
        if done[-1] and not any(v.encode() in after for v in seen):
            break
        time.sleep(0.3)
    assert done[-1], f"the purge could not take its lock: {done}"
    assert [v for v in seen if v.encode() in after] == [], _snapshot_holders(db)


@COMMITTED
def test_a_close_through_the_api_purges_with_a_seconds_wait(db, demo, api, monkeypatch):
    """The page and the API purge right after a close, waiting up to a second for the table's lock. The rest of the
    suite shortens that wait (its rolled-back transaction always holds the lock, so each close would wait the full
    second for nothing): here, on committed data nobody else holds, the product's wait is back and the purge takes
    its lock."""
    if db.bind.dialect.name != "postgresql":
        pytest.skip("the purge after a close runs on PostgreSQL only (SQLite's request still holds the write lock)")
    monkeypatch.setattr(council, "PURGE_AFTER_CLOSE_WAIT_MS", 1000)
    calls = []
    real_purge = council.purge_ballot_remnants

    def spy(engine, *, wait_ms):
        calls.append((wait_ms, real_purge(engine, wait_ms=wait_ms)))
        return calls[-1][1]

    monkeypatch.setattr(council, "purge_ballot_remnants", spy)
    n = nominate(db, demo, unit="HCTP")
    s = _open(db, demo, [n], MEMBERS)
    for username in MEMBERS:
        _vote(db, demo, s, n, username, "agree")
    db.close()
    r = api.as_("giamdoc").post(f"/council-sessions/{s.id}/close")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["state"] == "closed"
    assert calls == [(1000, True)]


def _snapshot_holders(db) -> str:
    """Who kept the dead versions alive: another backend of this database whose snapshot predates the purge."""
    if db.bind.dialect.name != "postgresql":
        return ""
    with db.bind.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, state, xact_start, left(query, 200) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL")).all()
    return f"backends holding a snapshot: {[tuple(r) for r in rows]}"


@COMMITTED
def test_the_purge_command(app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from web.cli import main

    result = CliRunner().invoke(main, ["ballots", "purge", "--wait-ms", "2000"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "Đã dọn" in result.output


def test_the_api_refuses_to_open_a_session_without_a_ballot_key(app, api, demo, db):
    """The application started without BALLOT_KEY (production without the variable): 409, in Vietnamese, naming it."""
    from test_api_council import council_refs, schedule, submitted

    ref = council_refs(demo, db)
    b = submitted(api, ref, "tp_hctp", ref.hctp, "Phòng Hành chính tư pháp")
    s = schedule(api, ref, [b])
    saved = dict(ballots._STATE)
    ballots.configure(None)
    try:
        r = api.as_("giamdoc").post(f"/council-sessions/{s['id']}/open")
    finally:
        ballots._STATE.update(saved)
    assert r.status_code == 409, r.get_data(as_text=True)
    problem = r.get_json()
    assert "BALLOT_KEY" in problem["detail"] and "khai mạc" in problem["detail"]
    assert api.as_("giamdoc").get(f"/council-sessions/{s['id']}").get_json()["state"] == "scheduled"
