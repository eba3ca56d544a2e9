"""Migration 0009 moves the first design's ballots without losing one (issue 10 §1): those of closed sessions become
anonymous ballots, those of open sessions fixed-length slots under the new BALLOT_KEY; without the legacy key the
upgrade stops, naming it, and leaves the database as it was. On SQLite and PostgreSQL (throwaway databases)."""
from __future__ import annotations

import base64
import datetime as dt
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, Numeric, String, Text, insert, inspect, text
from test_migrations import empty_engine  # noqa: F401 - the fixture: an empty SQLite file or PostgreSQL database

from web import migrate
from workflow.council import ballots

BEFORE = "0008_audit_outcome"
LEGACY_SECRET = "the-old-secret-key"  # SECRET_KEY of the previous version, which sealed the ballots
NEW_KEY = "the-new-ballot-key-0123456789"


def _legacy_seal(item_id: int, choice: str) -> str:
    """The first design's `workflow.council.ballots.seal`, exactly (and its variable lengths)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dienhinh", info=b"ballot-v1").derive(LEGACY_SECRET.encode())
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, choice.encode(), str(item_id).encode())).decode()


def _dummy(column):
    t = column.type
    if isinstance(t, Boolean):
        return True
    if isinstance(t, Integer | Numeric):
        return 1
    if isinstance(t, DateTime):
        return dt.datetime(2026, 1, 1)
    if isinstance(t, Date):
        return dt.date(2026, 1, 1)
    if isinstance(t, String | Text):
        return "x"
    return {}  # JSON


def _insert(conn, meta, table: str, **values) -> int:
    """One row, with every NOT NULL column not given filled with a placeholder of its type."""
    t = meta.tables[table]
    for c in t.columns:
        if c.name not in values and not c.nullable and c.server_default is None \
                and not (c.primary_key and isinstance(c.type, Integer)):
            values[c.name] = _dummy(c)
    result = conn.execute(insert(t).values(**values))
    return values.get("id") or result.inserted_primary_key[0]


def _legacy_database(engine):
    """At 0008: a council of 5 members, a closed session with 3 ballots on one item and an open one with 2."""
    migrate.upgrade(engine, BEFORE)
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        dept = _insert(conn, meta, "units", code="STP", name="Sở", kind="department")
        campaign = _insert(conn, meta, "campaigns", department_id=dept, kind="annual", start_date=dt.date(2026, 1, 1),
                           end_date=dt.date(2026, 12, 31), allows_collective=True, allows_individual=True)
        council = _insert(conn, meta, "councils", department_id=dept, quorum=0.6667, pass_threshold=0.7)
        for i in range(5):
            user = _insert(conn, meta, "users", username=f"u{i}", unit_id=dept, department_id=dept)
            _insert(conn, meta, "council_members", council_id=council, user_id=user, function="uy_vien", active=True)
        items = {}
        for state in ("closed", "open"):
            n = _insert(conn, meta, "nominations", campaign_id=campaign, department_id=dept, unit_id=dept,
                        subject_type="collective", subject_person_id=None, subject_key=f"u:{state}", state="submitted",
                        version=1)
            s = _insert(conn, meta, "council_sessions", council_id=council, department_id=dept, campaign_id=campaign,
                        state=state)
            items[state] = _insert(conn, meta, "agenda_items", session_id=s, nomination_id=n, position=1)
            if state == "open":  # an item nobody has voted on yet
                n2 = _insert(conn, meta, "nominations", campaign_id=campaign, department_id=dept, unit_id=dept,
                             subject_type="collective", subject_person_id=None, subject_key="u:open2",
                             state="submitted", version=1)
                items["open_unvoted"] = _insert(conn, meta, "agenda_items", session_id=s, nomination_id=n2, position=2)
        cast = {"closed": ["agree", "disagree", "abstain"], "open": ["agree", "abstain"]}
        for state, choices in cast.items():
            for i, choice in enumerate(choices):
                conn.execute(insert(meta.tables["ballots"]).values(
                    key=f"{state}{i}".ljust(32, "0"), item_id=items[state], sealed_choice=_legacy_seal(items[state],
                                                                                                       choice)))
    return items, cast


@pytest.fixture
def restore_ballot_key():
    saved = dict(ballots._STATE)
    yield
    ballots._STATE.clear()
    ballots._STATE.update(saved)


def test_ballots_move_into_anonymous_ballots_and_slots(empty_engine, restore_ballot_key):  # noqa: F811
    items, cast = _legacy_database(empty_engine)
    migrate.upgrade(empty_engine, attributes={"legacy_ballot_secret": LEGACY_SECRET, "ballot_key": NEW_KEY})
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert "ballots" not in inspect(empty_engine).get_table_names()
    with empty_engine.connect() as conn:
        anonymous = conn.execute(text("SELECT item_id, choice FROM anonymous_ballots")).all()
        slots = conn.execute(text("SELECT item_id, key, sealed FROM ballot_slots")).all()
    assert sorted(c for i, c in anonymous) == sorted(cast["closed"]) and {i for i, c in anonymous} == {items["closed"]}
    ballots.configure(NEW_KEY)
    assert {len(s) for i, k, s in slots} == {ballots.SEALED_LENGTH} and len(slots) == 10  # one per member and item
    voted = sorted(ballots.open_slot(i, k, s) for i, k, s in slots if i == items["open"])
    unvoted = sorted(ballots.open_slot(i, k, s) for i, k, s in slots if i == items["open_unvoted"])
    assert (voted, unvoted) == (["abstain", "agree", "empty", "empty", "empty"], ["empty"] * 5)


def test_without_the_legacy_key_the_upgrade_stops_and_changes_nothing(empty_engine, monkeypatch):  # noqa: F811
    monkeypatch.delenv("BALLOT_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    _legacy_database(empty_engine)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == BEFORE
    with empty_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ballots")) == 5
    assert "ballot_slots" not in inspect(empty_engine).get_table_names()


def test_a_wrong_legacy_key_stops_the_upgrade(empty_engine):  # noqa: F811
    _legacy_database(empty_engine)
    with pytest.raises(RuntimeError, match="legacy key"):
        migrate.upgrade(empty_engine, attributes={"legacy_ballot_secret": "not-it", "ballot_key": NEW_KEY})
    assert migrate.current_revision(empty_engine) == BEFORE


def test_open_sessions_need_the_new_ballot_key(empty_engine, monkeypatch):  # noqa: F811
    monkeypatch.delenv("BALLOT_KEY", raising=False)
    _legacy_database(empty_engine)
    with pytest.raises(RuntimeError, match="BALLOT_KEY"):
        migrate.upgrade(empty_engine, attributes={"legacy_ballot_secret": LEGACY_SECRET})
    assert migrate.current_revision(empty_engine) == BEFORE


def test_downgrade_runs(empty_engine):  # noqa: F811
    _legacy_database(empty_engine)
    migrate.upgrade(empty_engine, attributes={"legacy_ballot_secret": LEGACY_SECRET, "ballot_key": NEW_KEY})
    from alembic import command

    command.downgrade(migrate.alembic_config(empty_engine), BEFORE)
    assert migrate.current_revision(empty_engine) == BEFORE
    names = set(inspect(empty_engine).get_table_names())
    assert "ballots" in names and not {"ballot_slots", "anonymous_ballots"} & names
    migrate.upgrade(empty_engine, attributes={"legacy_ballot_secret": LEGACY_SECRET, "ballot_key": NEW_KEY})
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
