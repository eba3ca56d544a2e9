"""The audit trail against the database's own administrator: chains per department, signed checkpoints kept outside
the database, and `dienhinh audit verify` holding the database against them.

Each attack is what a DBA can do with `psql` (on PostgreSQL after switching the append-only trigger off: `as_dba`):
truncate the tail, forge a row with a correct hash, let the application rebuild the chain, rewrite the middle and
recompute every later hash. Each must make verify fail naming the chain and the position; an untouched database
verifies.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import stat

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask.cli import ScriptInfo
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from models import AuditChainHead, AuditCheckpoint, AuditEvent, Nomination, Unit, User
from models.audit import COUNT_BUCKET
from notifications import audit
from notifications import audit_checkpoints as cps
from workflow import events, signals
from workflow.context import Context
from workflow.nominations import service


def _cli(app, *args):
    from web.cli import main

    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def _nominate(db, demo, unit_code: str, head: str, title: str) -> Nomination:
    n = service.create_nomination(db, demo.actor(head), campaign_id=demo.campaign(
        department="STP2" if unit_code.startswith("STP2") else "STP").id, subject_type="collective",
        unit_id=demo.unit(unit_code).id, title=title)
    return service.update_nomination(db, demo.actor(head), n.id, n.version, achievements="Thành tích")


def _edit(db, demo, times: int, label: str = "Sửa") -> None:
    """`times` more events in the chain of STP (edits of the PBGDPL nomination)."""
    n = db.scalar(select(Nomination).where(Nomination.unit_id == demo.unit("PBGDPL").id))
    for i in range(times):
        n = service.update_nomination(db, demo.actor("tp_pbgdpl"), n.id, n.version, achievements=f"{label} {i}")


@pytest.fixture
def trail(db, demo):
    """Events in two departments and a failed login (system chain), committed; returns the chain of STP (six
    events: create, then five edits)."""
    _nominate(db, demo, "PBGDPL", "tp_pbgdpl", "Phòng PBGDPL")
    _edit(db, demo, 4)
    _nominate(db, demo, "STP2-VP", "tp_stp2", "Điển hình Khánh Hòa")
    signals.emit(db, events.LoginFailed(username="kẻ lạ", context=Context(ip="10.9.9.9", user_agent="x", via="web")))
    chain = f"dept:{demo.unit('STP').id}"
    db.commit()
    return chain


def _checkpoint(app, db):
    db.commit()  # the CLI works from its own connection (SQLite: the test's open transaction would hold the lock)
    r = _cli(app, "audit", "checkpoint")
    assert r.exit_code == 0, r.output
    return r


def _verify(app, db, *args):
    db.commit()
    return _cli(app, "audit", "verify", *args)


def _rows(db, chain):
    return list(db.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def _rechain(db, chain, from_seq):
    """The forger's tool: recompute every hash of `chain` from position `from_seq` on, and the head."""
    rows = _rows(db, chain)
    prev = rows[from_seq - 2].hash if from_seq > 1 else audit.GENESIS
    for ev in rows[from_seq - 1:]:
        ev.prev_hash = prev
        ev.hash = audit.compute_hash(prev, ev)
        prev = ev.hash
    db.flush()
    db.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(seq=rows[-1].seq, hash=prev))


def _assert_fails_naming(result, chain, seq):
    assert result.exit_code == 1, result.output
    assert f"chuỗi {chain}" in result.output and f"#{seq}" in result.output, result.output


# ------------------------------------------------------------------------------------------------ the chains
def test_events_go_to_their_departments_chain(trail, db, demo):
    chains = {c: [e.action for e in _rows(db, c)] for c in audit.chains(db)}
    stp2 = f"dept:{demo.unit('STP2').id}"
    assert chains[trail] == ["nomination.create"] + ["nomination.update"] * 5
    assert chains[stp2] == ["nomination.create", "nomination.update"]
    assert chains["system"] == ["auth.login_failed"]
    assert audit.chain_for(db, actor=demo.actor("botp")) == "ministry"
    assert audit.chain_for(db, actor=demo.actor("admin")) == "system"
    assert audit.chain_for(db, actor=demo.actor("thanhtra")) == trail  # the actor's department
    assert audit.chain_for(db, unit=demo.unit("BTP")) == "ministry"  # a ngành decision: the issuer
    assert audit.chain_for(db, unit=demo.unit("STP2"), actor=demo.actor("botp")) == stp2
    assert audit.chain_for(db, actor=demo.actor("botp"), department_id=demo.unit("STP2").id) == stp2  # object first
    assert audit.chain_for(db, actor=demo.actor("canbo1")) == trail  # a staff member of a division: its department
    for chain in chains:
        heads = db.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.chain == chain)).one()
        last = _rows(db, chain)[-1]
        assert tuple(heads) == (last.seq, last.hash)
    db.commit()



def test_a_callers_chain_is_its_users_without_loading_the_user(db, demo, engine):
    """Issue 13, tenth increment: the chain of an event audited on its actor's (a refusal, an account's action) is
    found from an API or page caller's columns (`policy.Who`) by the user's department and unit, without loading the
    ORM User and its roles: for every demo user it is the chain the User gives. A User the session holds is asked
    instead (it may carry a change of this transaction): its department moved in memory moves the chain."""
    from sqlalchemy.orm import Session
    from statements import Statements

    from workflow.administration import accounts
    from workflow.policy import Actor

    users = db.scalars(select(User).order_by(User.id)).all()
    expected = {u.username: audit.chain_for(db, actor=demo.actor(u.username)) for u in users}
    tokens = {u.username: accounts.issue_token(db, u, name="chain") for u in users if u.active}
    db.flush()
    assert set(expected.values()) >= {"ministry", "system"} and len(tokens) > 10
    with Session(bind=db.connection()) as fresh:  # holds no User: the callers' own columns only
        for username, token in tokens.items():
            accounts.forget_callers()
            caller = accounts.caller_for_token(fresh, token)
            assert isinstance(caller.actor, Actor) and caller.actor.who is not None
            with Statements(engine) as seen:
                chain = audit.chain_for(fresh, actor=caller.actor)
            assert chain == expected[username], username
            assert not [s for s in seen if " FROM users" in s or " FROM user_roles" in s], seen
            assert len(seen) <= 1, seen  # the department's row (or the unit's), unless the session holds it
        held = fresh.scalar(select(User).where(User.username == "thanhtra"))
        caller = accounts.caller_for_token(fresh, tokens["thanhtra"])
        held.department = fresh.get(Unit, demo.unit("STP2").id)
        assert audit.chain_for(fresh, actor=caller.actor) == f"dept:{demo.unit('STP2').id}" != expected["thanhtra"]


def test_untouched_database_verifies_against_its_checkpoints(trail, app, db, tmp_path):
    out = _checkpoint(app, db)
    assert "Đã ký 3 điểm kiểm tra" in out.output
    directory = tmp_path / "audit-checkpoints"
    files = sorted(p.name for p in directory.iterdir())
    assert files == sorted(f"{c.replace(':', '-')}.jsonl" for c in audit.chains(db))
    assert db.scalar(select(text("count(*) FROM audit_checkpoints"))) == 3
    db.commit()
    ok = _verify(app, db)
    assert ok.exit_code == 0, ok.output
    assert "3 điểm kiểm tra đã ký khớp" in ok.output
    _checkpoint(app, db)  # appended, one line more per chain
    assert all(len((directory / f).read_text().splitlines()) == 2 for f in files)
    assert _verify(app, db, "--incremental").exit_code == 0


def test_the_key_file_is_private(tmp_path):
    cps.load_signing_key(str(tmp_path / "dev" / "audit_signing_key.pem"), generate=True)  # development: generated
    mode = stat.S_IMODE(os.stat(tmp_path / "dev" / "audit_signing_key.pem").st_mode)
    assert mode == 0o600


# ------------------------------------------------------------------------------------------------ the attacks
@pytest.mark.parametrize("reset_head", [False, True], ids=["head-kept", "head-reset"])
def test_a_truncated_tail_is_caught(trail, app, db, session_factory, as_dba, reset_head):
    _checkpoint(app, db)
    rows = _rows(db, trail)
    as_dba(db)
    db.execute(delete(AuditEvent).where(AuditEvent.chain == trail, AuditEvent.seq >= 5))
    if reset_head:  # a careful DBA makes the chain consistent again: only the checkpoint can tell
        db.execute(update(AuditChainHead).where(AuditChainHead.chain == trail).values(seq=4, hash=rows[3].hash))
    db.commit()
    if reset_head:
        with session_factory() as other:  # the chain itself is consistent
            assert audit.verify(other).ok
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 6 if reset_head else 5)
    assert "mất sự kiện" in result.output


def test_a_forged_row_with_a_recomputed_hash_is_caught(trail, app, db, as_dba):
    """The newest event replaced by a forged one, hashed and linked correctly, the head updated."""
    _checkpoint(app, db)
    as_dba(db)
    last = _rows(db, trail)[-1]
    last.data = {"changes": {"achievements": "Thành tích giả"}, "version": 2, "via": "web"}
    last.actor_username = "giamdoc"
    _rechain(db, trail, last.seq)
    db.commit()
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 6)
    assert "khác với bản đã ký" in result.output


def test_a_chain_rebuilt_by_the_application_after_deletions_is_caught(trail, app, db, demo, as_dba):
    """Rows deleted and the head reset: the application then appends new, well-chained events in their place."""
    _checkpoint(app, db)
    rows = _rows(db, trail)
    as_dba(db)
    db.execute(delete(AuditEvent).where(AuditEvent.chain == trail, AuditEvent.seq >= 3))
    db.execute(update(AuditChainHead).where(AuditChainHead.chain == trail).values(seq=2, hash=rows[1].hash))
    db.commit()
    _edit(db, demo, 4, "Thay thế")
    db.commit()
    assert audit.verify(db).ok  # every link and every hash is right
    db.commit()
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 6)
    assert "dựng lại" in result.output


def test_a_rewritten_middle_with_every_later_hash_recomputed_is_caught(trail, app, db, as_dba):
    _checkpoint(app, db)
    as_dba(db)
    middle = _rows(db, trail)[2]
    middle.data = dict(middle.data, version=99)
    _rechain(db, trail, middle.seq)
    db.commit()
    assert audit.verify(db).ok
    db.commit()
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 6)


@pytest.mark.parametrize("mac", ["none", "copied", "unkeyed"])
def test_forged_rows_appended_after_the_newest_checkpoint_are_caught(trail, app, db, as_dba, mac):
    """The DBA appends two well-chained events after the newest checkpoint (right prev_hash and hash, the head
    moved): the checkpoint still matches, the links and hashes are right; only the MAC, whose key the DBA does
    not have, gives the forgery away."""
    _checkpoint(app, db)
    as_dba(db)
    last = _rows(db, trail)[-1]
    prev = last.hash
    for seq in (last.seq + 1, last.seq + 2):
        ev = AuditEvent(created_at=last.created_at, actor_id=last.actor_id, actor_username="giamdoc",
                        action="nomination.approve", outcome="ok", object_type=last.object_type,
                        object_id=last.object_id, data={"via": "web", "comment": "Đồng ý"}, ip=last.ip,
                        user_agent=last.user_agent, chain=trail, seq=seq, prev_hash=prev)
        ev.hash = audit.compute_hash(prev, ev)
        ev.mac = {"none": None, "copied": last.mac,
                  "unkeyed": __import__("hashlib").sha256(ev.hash.encode()).hexdigest()}[mac]
        db.add(ev)
        prev = ev.hash
    db.flush()
    db.execute(update(AuditChainHead).where(AuditChainHead.chain == trail).values(seq=last.seq + 2, hash=prev))
    db.commit()
    assert audit.verify(db).ok  # every link and every hash is right
    db.commit()
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 7)
    assert "MAC" in result.output
    assert _verify(app, db, "--incremental").exit_code == 1


def test_a_consistent_rewrite_fails_on_the_mac_even_without_a_checkpoint(trail, app, db, as_dba, tmp_path):
    """A middle event rewritten and every later hash recomputed, no checkpoint yet: the rewritten event's MAC no
    longer matches its hash. An inspector holding only the public key cannot check MACs, and is told so."""
    as_dba(db)
    middle = _rows(db, trail)[2]
    middle.data = dict(middle.data, version=99)
    _rechain(db, trail, middle.seq)
    db.commit()
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 3)
    assert "MAC" in result.output
    (tmp_path / "bo.pem").write_text(cps.public_pem(cps.load_signing_key(app.config["AUDIT_SIGNING_KEY"])))
    inspector = _verify(app, db, "--public-key", str(tmp_path / "bo.pem"))
    assert inspector.exit_code == 0 and "Chưa kiểm tra được mã xác thực (MAC)" in inspector.output, inspector.output


def test_an_untouched_trail_checks_every_mac(trail, app, db):
    result = _verify(app, db)
    assert result.exit_code == 0 and "MAC" not in result.output, result.output
    rows = db.scalars(select(AuditEvent).where(AuditEvent.chain != audit.LEGACY)).all()
    key = audit.mac_key()
    assert rows and all(r.mac == audit.mac_of(key, r.hash) for r in rows)


def test_a_bad_signature_is_caught(trail, app, db, tmp_path):
    _checkpoint(app, db)
    path = cps.file_for(tmp_path / "audit-checkpoints", trail)
    line = json.loads(path.read_text())
    line["seq"] = line["seq"] - 1  # a checkpoint "signed" for an earlier head
    line["hash"] = _rows(db, trail)[line["seq"] - 1].hash
    db.commit()
    path.write_text(json.dumps(line) + "\n")
    result = _verify(app, db)
    _assert_fails_naming(result, trail, 5)
    assert "chữ ký" in result.output


def test_checkpoints_archived_elsewhere_catch_what_the_dba_removed_everywhere_else(trail, app, db, as_dba, tmp_path):
    """The DBA truncates the chain, deletes the database's copies of the checkpoints and (say) the directory too:
    a copy kept by the Ministry, given with --checkpoints, still catches it."""
    _checkpoint(app, db)
    archive = tmp_path / "bo-tu-phap"
    shutil.copytree(tmp_path / "audit-checkpoints", archive)
    shutil.rmtree(tmp_path / "audit-checkpoints")
    rows = _rows(db, trail)
    as_dba(db)
    db.execute(delete(AuditCheckpoint))
    db.execute(delete(AuditEvent).where(AuditEvent.chain == trail, AuditEvent.seq >= 4))
    db.execute(update(AuditChainHead).where(AuditChainHead.chain == trail).values(seq=3, hash=rows[2].hash))
    _recount(db, trail)  # the events' counts too (else `audit verify` names the chain: test_audit_counts.py)
    db.commit()
    assert _verify(app, db).exit_code == 0  # nothing left to compare with
    result = _verify(app, db, "--checkpoints", str(cps.file_for(archive, trail)))
    _assert_fails_naming(result, trail, 6)


def _recount(db, chain: str) -> None:
    """What a careful DBA does after deleting events: the chain's counts (`audit_counts`) made to agree again."""
    db.execute(text("DELETE FROM audit_counts WHERE chain = :chain"), {"chain": chain})
    db.execute(text(f"INSERT INTO audit_counts (chain, bucket, object_type, action, outcome, n) "
                    f"SELECT chain, id / {COUNT_BUCKET}, coalesce(object_type, ''), action, outcome, count(*) "
                    f"FROM audit_events WHERE chain = :chain "
                    f"GROUP BY chain, id / {COUNT_BUCKET}, coalesce(object_type, ''), action, outcome"),
               {"chain": chain})


def test_a_forged_checkpoint_in_the_database_is_caught(trail, app, db):
    """The DBA may insert rows into audit_checkpoints, but cannot sign them."""
    _checkpoint(app, db)
    cp = db.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == trail)).one()
    db.add(AuditCheckpoint(chain=trail, seq=cp.seq, hash=cp.hash, signed_at=cp.signed_at, key_id=cp.key_id,
                           signature=base64.b64encode(b"\0" * 64).decode()))
    db.commit()
    _assert_fails_naming(_verify(app, db), trail, 6)


def test_the_audit_page_names_the_broken_chain_and_the_checkpoint_age(trail, app, db, client, login, as_dba):
    _checkpoint(app, db)
    as_dba(db)
    db.execute(delete(AuditEvent).where(AuditEvent.chain == trail, AuditEvent.seq == 6))
    db.commit()
    login("thanhtra")
    assert client.post("/audit/verification").status_code == 302
    html = client.get("/audit").get_data(as_text=True)
    assert f'data-chain="{trail}" data-state="broken"' in html
    assert 'data-chain="system" data-state="ok"' in html
    assert "Điểm kiểm tra đã ký gần nhất: <strong>vừa xong</strong>" in html
    # The detail of an event names its chain and position, and whether its chain's last check covered it.
    fifth = _rows(db, trail)[4]
    system_newest = _rows(db, "system")[-1]
    db.commit()
    page = client.get(f"/audit/{fifth.id}").get_data(as_text=True)
    assert f"<code>{trail}</code>, sự kiện thứ 5" in page and "không khớp chuỗi" not in page
    assert "không khớp chuỗi" not in client.get(f"/audit/{system_newest.id}").get_data(as_text=True)
    assert "chưa được kiểm tra" not in page


# ------------------------------------------------------------------------------------------------ the trigger
@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'x' WHERE id = (SELECT min(id) FROM audit_events)",
    "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)",
    "UPDATE audit_checkpoints SET seq = 1",
    "DELETE FROM audit_checkpoints",
])
def test_postgres_refuses_update_and_delete_of_audit_rows(trail, app, db, statement):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _checkpoint(app, db)
    db.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
    db.rollback()
    assert _verify(app, db).exit_code == 0


# ------------------------------------------------------------------------------------------------ the API
def test_checkpoints_and_public_key_for_auditors_and_the_ministry(trail, app, db, api):
    _checkpoint(app, db)
    signed = set(audit.chains(db))
    db.commit()
    key = api.as_("botp").get("/audit/public-key").get_json()
    public = load_pem_public_key(key["pem"].encode())
    assert base64.b64decode(key["raw_base64"]) == cps.public_raw(public) and key["algorithm"] == "Ed25519"
    listed = api.as_("botp").get("/audit/checkpoints").get_json()
    items = listed["items"]
    assert {i["chain"] for i in items} == signed
    assert (listed["total"], listed["page"], listed["per_page"]) == (len(items), 1, 100)  # the list envelope
    one = api.as_("botp").get("/audit/checkpoints?per_page=1&page=2").get_json()
    assert one["items"] == items[1:2] and one["total"] == len(items)
    for i in items:  # what an inspector does with them
        public.verify(base64.b64decode(i["signature"]), json.dumps(
            {"chain": i["chain"], "hash": i["hash"], "seq": i["seq"], "time": i["time"]}, sort_keys=True,
            separators=(",", ":")).encode())
    assert api.as_("thanhtra").get(f"/audit/checkpoints?after_id={items[-1]['id']}").get_json()["items"] == []
    assert [i["chain"] for i in api.as_("admin").get(f"/audit/checkpoints?chain={trail}").get_json()["items"]] == [
        trail]
    for path in ("/audit/checkpoints", "/audit/public-key"):
        assert api.as_("tp_pbgdpl").get(path).status_code == 403
    paths = app.test_client().get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/audit/checkpoints" in paths and "/api/v1/audit/public-key" in paths


def test_a_missing_production_key_is_an_error_not_a_new_key(trail, app, db, tmp_path, client, login):
    app.config.update(AUDIT_SIGNING_KEY=str(tmp_path / "absent.pem"), AUDIT_SIGNING_KEY_GENERATE=False)
    db.commit()
    for command in ("checkpoint", "verify"):
        r = _cli(app, "audit", command)
        assert r.exit_code == 2 and "AUDIT_SIGNING_KEY" in r.output, r.output
    assert not (tmp_path / "absent.pem").exists()
    login("thanhtra")  # the page's button still checks the chains, and says what it could not check
    assert client.post("/audit/verification").status_code == 302
    from notifications import audit_verify

    latest = audit_verify.latest(db)
    assert latest.ok and "chưa được đối chiếu" in latest.message


def test_the_event_detail_says_whether_its_chains_check_covered_it(trail, app, db, demo, client, login, as_dba):
    login("thanhtra")
    assert client.post("/audit/verification").status_code == 302
    _edit(db, demo, 1, "Sau lần kiểm tra")
    db.commit()
    newer = _rows(db, trail)[-1]
    db.commit()
    assert "chưa được kiểm tra" in client.get(f"/audit/{newer.id}").get_data(as_text=True)
    as_dba(db)
    third = _rows(db, trail)[2]
    db.execute(update(AuditEvent).where(AuditEvent.id == third.id).values(ip="6.6.6.6"))
    db.commit()
    assert _verify(app, db).exit_code == 1  # the full check (the button goes on from the last intact position)
    page = client.get(f"/audit/{third.id}").get_data(as_text=True)
    assert "Đây là sự kiện đầu tiên không khớp chuỗi" in page and f"<code>{trail}</code>, sự kiện thứ 3" in page


def test_an_inspector_verifies_with_the_public_key_alone(trail, app, db, api, tmp_path, as_dba):
    _checkpoint(app, db)
    key = api.as_("botp").get("/audit/public-key").get_json()
    (tmp_path / "bo.pem").write_text(key["pem"])
    (tmp_path / "bo.b64").write_text(key["raw_base64"] + "\n")
    for path in ("bo.pem", "bo.b64"):
        r = _verify(app, db, "--public-key", str(tmp_path / path))
        assert r.exit_code == 0, r.output
    other = cps.load_signing_key(str(tmp_path / "other.pem"), generate=True)
    (tmp_path / "other.pub").write_text(cps.public_pem(other))
    wrong = _verify(app, db, "--public-key", str(tmp_path / "other.pub"))
    _assert_fails_naming(wrong, trail, 6)
    assert "chữ ký" in wrong.output
