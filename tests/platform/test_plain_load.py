"""`policy.load` reads its object as plain rows and makes the session's persistent objects itself
(`models.plain.PlainLoad`, issue 13's fifth increment), and `queries.load_parts` builds the detail's parts with
`models.plain.persistent`. Nothing may differ from the ORM's load of the same statement: the same objects, in the
same state (identity, loaded and expired attributes, nothing pending), the same parents — the session's own when it
holds them, filled or overwritten as the ORM's load fills or overwrites them — and the same rows found for every
object type and every caller."""
from __future__ import annotations

import factories
import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from models import Attachment, Base, Checkin, CriterionAnswer, Nomination, Person, StateChange, Unit
from models import plain as plain_module
from models.plain import PlainLoad
from workflow import policy
from workflow.errors import NotFound
from workflow.nominations import queries, service

USERS = ("admin", "vanphong", "giamdoc", "hoidong1", "tp_pbgdpl", "tp_hctp", "botp", "bientap", "thanhtra", "canbo1",
         "phogiamdoc")


def _state(obj) -> tuple:
    """Everything of an object's ORM state a caller can tell apart: its identity, its loaded values (related objects by
    identity), what is unloaded or expired, what is pending, its session."""
    state = inspect(obj)
    values = {}
    for key, value in state.dict.items():
        if key.startswith("_sa_"):
            continue
        if isinstance(value, Base):
            value = ("object", inspect(value).key)
        elif isinstance(value, list):
            value = [inspect(v).key if isinstance(v, Base) else v for v in value]
        values[key] = value
    return (state.key, state.persistent, values, sorted(state.unloaded), sorted(state.expired_attributes),
            dict(state.committed_state), state.modified, state.session_id is not None)


def _orm_load(session: Session, actor, object_type: str, object_id: int, *, for_update=False, parents=()):
    """The ORM's load of the same statement, as `policy.load` ran it before (and still runs it when it must)."""
    key, params = policy.scope_bound(actor, object_type)
    stmt = policy._load_statement(object_type, key, for_update, (), tuple(parents))
    return session.scalars(stmt, {**params, "object_id": object_id}).unique().first()


def _both(session_factory, load):
    """`load(session, orm)` in two fresh sessions, by the ORM and by policy.load, and the objects' states."""
    with session_factory() as orm_session, session_factory() as plain_session:
        return load(orm_session, True), load(plain_session, False)


@pytest.mark.parametrize("for_update", [False, True, "share"])
def test_a_nomination_with_its_parents_is_what_the_orm_loads(db, demo, session_factory, for_update):
    collective = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    individual = factories.nomination(db, demo, person=_a_person(db), state="submitted")
    db.flush()
    actor = demo.actor("vanphong")
    parents = service.PARENTS
    for n in (collective, individual):
        def load(session, orm, nid=n.id):
            if orm:
                obj = _orm_load(session, actor, "nomination", nid, for_update=for_update, parents=parents)
            else:
                assert policy._plain_load("nomination", policy.scope_bound(actor, "nomination")[0], for_update,
                                          parents).usable(session, nid)
                obj = policy.load(session, actor, "nomination", nid, for_update=for_update, parents=parents)
            states = [_state(o) for o in (obj, obj.unit, obj.campaign) + ((obj.subject_person,)
                                                                          if obj.subject_person else ())]
            lazily = [(h.version, h.action) for h in obj.history], [c.code for c in obj.criteria], obj.subject_name
            return states, lazily, _state(obj)
        orm, plain = _both(session_factory, load)
        assert orm == plain
    assert individual.subject_person_id is not None


def _a_person(db) -> str:
    return db.scalar(select(Person.full_name).join(Unit, Unit.id == Person.unit_id).where(Unit.code == "HCTP")
                     .order_by(Person.id).limit(1))


@pytest.mark.parametrize("for_update", [False, True])
def test_parents_the_session_holds_are_filled_or_overwritten_as_the_orm_does(db, demo, session_factory, for_update):
    """A parent already in the session is the one used: expired, its columns are filled from the row; under a lock
    (populate_existing) its columns are overwritten from the row and its relationships reset, as the ORM does."""
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    actor = demo.actor("vanphong")

    units = Unit.__table__

    def load(session, orm):  # both sessions share the test's transaction: the unit's row is put back first
        session.connection().execute(update(units).where(units.c.id == n.unit_id).values(place=None))
        unit = session.get(Unit, n.unit_id)
        assert unit.department is not None  # a relationship loaded on the held parent
        campaign = session.get(type(n.campaign), n.campaign_id)
        session.expire(campaign)  # all its columns unloaded
        # the row changed behind the session's back: only a populate_existing load sees it on the held unit
        session.connection().execute(update(units).where(units.c.id == unit.id).values(place="Nơi khác"))
        if orm:
            obj = _orm_load(session, actor, "nomination", n.id, for_update=for_update, parents=service.PARENTS)
        else:
            obj = policy.load(session, actor, "nomination", n.id, for_update=for_update, parents=service.PARENTS)
        assert obj.unit is unit and obj.campaign is campaign
        return _state(obj), _state(unit), _state(campaign), unit.place

    orm, plain = _both(session_factory, load)
    assert orm == plain


def test_an_object_the_session_holds_goes_through_the_orms_load(db, demo):
    """The ORM's rules for a row of an object it holds (kept, or refreshed under a lock) stay the ORM's."""
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    actor = demo.actor("vanphong")
    key, _ = policy.scope_bound(actor, "nomination")
    assert not policy._plain_load("nomination", key, True, service.PARENTS).usable(db, n.id)
    table = Nomination.__table__  # the row changed behind the session's back (not an ORM update, which syncs n)
    db.connection().execute(update(table).where(table.c.id == n.id).values(title="Đổi ngoài phiên"))
    assert policy.load(db, actor, "nomination", n.id).title != "Đổi ngoài phiên"  # held as it is
    assert service.load(db, actor, n.id, for_update=True) is n and n.title == "Đổi ngoài phiên"  # refreshed


def test_an_object_the_session_is_about_to_write_is_the_one_loaded(db, demo):
    """The session's pending changes are flushed before the read, as before the ORM's load: an object added with its
    id is in the session once flushed, and is the one loaded (not a second object of the same row)."""
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    actor = demo.actor("vanphong")  # its own read would flush
    columns = {a.key: getattr(n, a.key) for a in inspect(Nomination).column_attrs if a.key != "id"}
    for i, for_update in enumerate((False, True)):
        pending = Nomination(**columns | {"id": n.id + 1000 + i, "subject_key": f"u:pending{i}"})
        db.add(pending)
        assert policy.load(db, actor, "nomination", pending.id, for_update=for_update,
                           parents=service.PARENTS) is pending


def test_every_object_type_finds_the_same_objects_for_every_caller(db, demo, session_factory):
    """The plain load and the ORM's find the same rows (the same scope) and make the same objects, for every object
    type with a model, every demo account, and every id of its table plus one that does not exist."""
    factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    checked = 0
    for object_type, kind in policy.KINDS.items():
        if kind.model is None or ("view" not in policy.verbs(object_type)):
            continue
        ids = db.scalars(select(kind.model.id).order_by(kind.model.id).limit(6)).all() + [10**9]
        for username in USERS:
            actor = demo.actor(username)

            def load(session, orm, object_type=object_type, ids=ids, actor=actor):
                found = []
                for i in ids:
                    if orm:
                        obj = _orm_load(session, actor, object_type, i)
                    else:
                        try:
                            obj = policy.load(session, actor, object_type, i)
                        except NotFound:
                            obj = None
                    found.append(None if obj is None else _state(obj))
                return found

            orm, plain = _both(session_factory, load)
            assert orm == plain, (object_type, username)
            checked += sum(1 for s in plain if s is not None)
    assert checked > 50


def test_a_load_outside_the_scope_is_not_found(db, demo):
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    db.expunge_all()
    with pytest.raises(NotFound):
        policy.load(db, demo.actor("tp_hctp"), "nomination", n.id, for_update=True, parents=service.PARENTS)
    assert inspect(Nomination).identity_key_from_primary_key((n.id,)) not in db.identity_map


def test_the_lock_is_taken_by_the_plain_load(demo, engine):
    key, _ = policy.scope_bound(demo.actor("vanphong"), "nomination")
    sql = str(policy._plain_load("nomination", key, True, service.PARENTS)._plain.statement.compile(engine))
    assert ("FOR UPDATE OF nominations" in sql) == (engine.dialect.name == "postgresql")
    share = str(policy._plain_load("nomination", key, "share", ())._plain.statement.compile(engine))
    assert ("FOR SHARE OF nominations" in share) == (engine.dialect.name == "postgresql")


def test_the_detail_parts_are_the_objects_the_orm_loads(db, demo, session_factory, api):
    n = factories.nomination_in(db, demo, "nurtured", unit="HCTP")
    db.add(Checkin(nomination_id=n.id, date=n.created_at.date(), note="Theo dõi", author_id=n.created_by_id))
    db.add(Attachment(nomination_id=n.id, kind="other", filename="a.pdf", content_type="application/pdf", size=3,
                      sha256="0" * 64, internal=True, uploaded_by_id=n.created_by_id))
    db.add(CriterionAnswer(nomination_id=n.id, code="c1", met=True, evidence="Có"))
    db.flush()
    actor = demo.actor("vanphong")

    def load(session, orm):
        n_ = policy.load(session, actor, "nomination", n.id, parents=("unit", "campaign", "subject_person"))
        if orm:
            collections = [n_.history, n_.criteria, n_.checkins, n_.attachments]  # the ORM's lazy loads
        else:
            queries.load_parts(session, n_)
            collections = [n_.history, n_.criteria, n_.checkins, n_.attachments]
        return [[_state(o) for o in c] for c in collections], _state(n_)

    orm, plain = _both(session_factory, load)
    assert orm == plain and all(orm[0])


def test_persistent_keeps_what_the_session_holds_and_expires_what_it_is_not_given(db, demo):
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    held = db.scalars(select(StateChange).where(StateChange.nomination_id == n.id)).first()
    assert plain_module.persistent(db, StateChange, {"id": held.id, "version": 99}) is held and held.version != 99
    db.expunge(held)
    built = plain_module.persistent(db, StateChange, {"id": held.id, "version": held.version})
    assert built is not held and inspect(built).persistent and not inspect(built).modified
    assert "action" in inspect(built).expired_attributes
    assert built.action == held.action  # loaded on first use, as an expired attribute is
    with pytest.raises(ValueError):
        PlainLoad(Nomination, Nomination.id == 1, parents=("history",))


def _new_change(n, version: int, row_id: int) -> StateChange:
    change = StateChange(nomination_id=n.id, version=version, action="start_nurturing", from_state="registered",
                         to_state="nurtured", actor_id=None, on_behalf_of_id=None, comment="", data={"a": "1"})
    change.id = row_id
    return change


def test_attach_written_leaves_the_object_as_make_transient_to_detached_and_add_do(db, demo):
    """`attach_written` (the transition's history row, written by a plain statement) against what it replaces:
    `make_transient_to_detached` then `Session.add`. The same state — identity, committed values, expired and unloaded
    attributes, nothing pending — in the session's identity map, and the session as clean after it."""
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.flush()
    by_orm, by_plain = _new_change(n, 7, 10_000_001), _new_change(n, 7, 10_000_002)
    make_transient_to_detached(by_orm)
    db.add(by_orm)
    plain_module.attach_written(db, by_plain)
    orm_state, plain_state = _state(by_orm), _state(by_plain)
    assert (orm_state[0][1], plain_state[0][1]) == ((by_orm.id,), (by_plain.id,))  # the keys differ by id alone
    assert orm_state[2].pop("id") != plain_state[2].pop("id")
    assert orm_state[1:] == plain_state[1:] and plain_state[1] and not plain_state[-2]
    assert db.identity_map.get(inspect(by_plain).key) is by_plain
    assert by_plain in db and not db.new and not db.dirty
    assert by_plain.actor is None  # its relationships load when read, as a flushed row's do
    with pytest.raises(Exception, match="transient"):
        plain_module.attach_written(db, by_plain)  # already persistent
    with pytest.raises(Exception, match="primary key"):
        plain_module.attach_written(db, _new_change(n, 8, None))


@pytest.mark.parametrize("pending", [False, True])
def test_set_collections_leaves_the_object_as_set_committed_value_does(db, demo, session_factory, pending):
    """`set_collections` (a detail's four parts set at once, `queries.set_parts`) against `set_committed_value` per
    collection, on the same nomination in two sessions: the same ORM state (loaded and committed collections, nothing
    pending or modified), collections of the ORM's own type bound to the object (what is appended later is an event,
    a change the flush would write), and with a criterion added through its backref before the parts were set
    (`pending`: the ORM merges it in) the same merge."""
    n = factories.nomination(db, demo, unit="PBGDPL", state="registered")
    db.add(CriterionAnswer(nomination_id=n.id, code="c1", met=True, evidence="Có"))
    db.commit()
    actor = demo.actor("vanphong")

    def load(session, orm):
        n_ = policy.load(session, actor, "nomination", n.id)
        history = session.scalars(select(StateChange).where(StateChange.nomination_id == n.id)).all()
        criteria = session.scalars(select(CriterionAnswer).where(CriterionAnswer.nomination_id == n.id)).all()
        day, author = n_.created_at.date(), n_.created_by_id
        session.expire(n_)  # an expired object's collections are set, and it is no longer marked expired, as well
        if pending:
            CriterionAnswer(nomination=n_, code="c2", met=False, evidence="")  # its backref: a pending append
        values = {"history": history, "criteria": criteria, "checkins": [], "attachments": []}
        if orm:
            for key, items in values.items():
                set_committed_value(n_, key, items)
        else:
            plain_module.set_collections(n_, values)
        state = inspect(n_)
        bound = [(type(n_.__dict__[key]).__name__, n_.__dict__[key]._sa_adapter.owner_state is state)
                 for key in values]
        *same, committed, modified, in_session = _state(n_)
        committed = {key: [inspect(o).key for o in v] if isinstance(v, list) else v for key, v in committed.items()}
        before = (*same, committed, modified, in_session, state.expired), [len(n_.__dict__[k]) for k in values], bound
        n_.checkins.append(Checkin(date=day, note="Theo dõi", author_id=author))
        after = state.modified, [len(h) for h in state.attrs.checkins.history], sorted(state.committed_state)
        session.rollback()
        return before, after

    orm, plain = _both(session_factory, load)
    assert orm == plain
    assert orm[0][1] == [1, 2 if pending else 1, 0, 0] and orm[1][0]
