"""`audit.append_many` writes what consecutive `audit.append` calls would: the same positions, links, hashes and MACs
in each chain, in the order given, and a single append after it continues the chain."""
from __future__ import annotations

from sqlalchemy import select

from models import AuditChainHead, AuditEvent
from notifications import audit


def test_append_many_continues_each_chain_as_appends_would(db):
    audit.append(db, action="test.one", chain="dept:9001", data={"k": 1})
    written = audit.append_many(db, [audit.Entry("test.two", "dept:9001", data={"k": 2}),
                                     audit.Entry("test.other", "dept:9002", object_type="x", object_id=5),
                                     audit.Entry("test.three", "dept:9001")])
    audit.append(db, action="test.four", chain="dept:9001")
    assert [(e.chain, e.seq) for e in written] == [("dept:9001", 2), ("dept:9002", 1), ("dept:9001", 3)]
    rows = db.scalars(select(AuditEvent).where(AuditEvent.chain == "dept:9001").order_by(AuditEvent.seq)).all()
    assert [(r.action, r.seq) for r in rows] == [("test.one", 1), ("test.two", 2), ("test.three", 3),
                                                 ("test.four", 4)]
    assert rows[1].data == {"k": 2, "via": "cli"}
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    head = db.get(AuditChainHead, "dept:9001")
    assert (head.seq, head.hash) == (4, rows[-1].hash)
    for chain in ("dept:9001", "dept:9002"):
        walk = audit.walk_chain(db, chain, mac_key=audit.mac_key())
        assert walk.ok and walk.complete, walk


def test_append_many_of_nothing_writes_nothing(db):
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert audit.append_many(db, []) == []
    assert db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before
