"""The lists of decisions and proposals as issue 13 left them at 100k: a page reads its parents (department, issuer,
signers) in its own statement, a page of decisions names its nominations from plain rows, and the decisions' list is
written in one orjson pass. Each compared with what the ORM objects, or the schema's dump, say."""
from __future__ import annotations

import contextlib

from factories import co_so_example, draft, proposed, recognised
from factories import nganh_decision as nganh
from flask import jsonify
from sqlalchemy import event

from models import Decision, Nomination, Proposal
from web.api import present
from web.api.schemas import DecisionPageSchema
from workflow.proposals import decisions
from workflow.proposals import operations as proposals


@contextlib.contextmanager
def counted(db):
    """The statements `db` sends within the block."""
    seen: list[str] = []
    conn = db.connection()

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", count)


def _decisions(db, demo):
    """A director's decision on two units, a Minister's decision on an individual and a unit."""
    recognised(db, demo, "HCTP", "XDKT", number="12/QĐ-STP")
    a = co_so_example(db, demo, person="Nguyễn Thị Lan")
    b = co_so_example(db, demo, unit="PTP-LX")
    proposed(db, demo, [a, b], number=46)
    nganh(db, demo, [a.id, b.id], number="100/QĐ-BTP")
    db.flush()


def test_a_page_of_decisions_names_its_nominations_as_the_nominations_say(db, demo):
    _decisions(db, demo)
    for username in ("giamdoc", "botp"):
        db.expunge_all()
        page = decisions.list_decisions(db, demo.actor(username), page=1, per_page=20)
        named = decisions.nominations_by_decision(db, page.items)
        assert not [o for o in db.identity_map.values() if isinstance(o, Nomination)], "nominations were loaded"
        kinds = set()
        for d in page.items:
            expected = decisions.nominations_of(db, d)
            assert [n.id for n in named[d.id]] == [n.id for n in expected] and expected
            for row, n in zip(named[d.id], expected, strict=True):
                assert isinstance(row, decisions.DecisionNomination)
                assert (row.title, row.subject_type, row.state, row.subject_name) == (
                    n.title, n.subject_type, n.state, n.subject_name)
                kinds.add(n.subject_type)
        assert kinds == {"collective", "individual"}, username


def test_the_decisions_list_writes_what_its_schema_dumps(db, demo, api, app):
    _decisions(db, demo)
    db.commit()
    for username in ("giamdoc", "botp", "thanhtra"):
        response = api.as_(username).get("/decisions")
        assert response.status_code == 200, response.get_data(as_text=True)
        db.expire_all()
        page = decisions.list_decisions(db, demo.actor(username), page=1, per_page=20)
        named = decisions.nominations_by_decision(db, page.items)
        doc = present.page(page, lambda d, named=named: present.decision(db, d, nominations=named[d.id]))
        assert doc["items"] and any(d["nominations"] for d in doc["items"])
        with app.test_request_context():
            assert response.get_data() == jsonify(DecisionPageSchema().dump(doc)).get_data(), username


def test_a_page_reads_its_parents_in_its_own_statement(db, demo):
    """The count and the page, nothing more: the department or issuer and the signers come joined to the page, the
    signers without their roles (the lists print names)."""
    _decisions(db, demo)
    draft(db, demo, [co_so_example(db, demo, unit="TGPL")])
    db.flush()
    for username in ("giamdoc", "botp", "vanphong"):
        db.expunge_all()
        actor = demo.actor(username)
        with counted(db) as seen:
            page = decisions.list_decisions(db, actor, page=1, per_page=20)
        assert len(seen) == 2, seen
        assert page.items and all(d.signer is not None and d.issuer is not None for d in page.items)
        others = [d.signer for d in page.items if d.signer_id != actor.id]  # the actor's own User holds its roles
        assert others and all("roles" not in u.__dict__ for u in others)
        with counted(db) as seen:
            assert all(isinstance(d, Decision) and d.signer.full_name for d in page.items)
        assert seen == []
        db.expunge_all()
        actor = demo.actor(username)
        with counted(db) as seen:
            page = proposals.list_proposals(db, actor, page=1, per_page=20)
        assert len(seen) == 2, seen
        assert page.items, username
        with counted(db) as seen:
            for p in page.items:
                assert isinstance(p, Proposal) and p.department.name
                assert present.user_ref(p.signer) == (None if p.signer_id is None else {
                    "id": p.signer.id, "username": p.signer.username, "full_name": p.signer.full_name})
        assert seen == []
