"""Role × action × scope, enforced by the workflow service itself (DOMAIN.md "Who uses it", ARCHITECTURE.md "Scope":
an object outside the caller's scope is 404 to a reader, 403 to an actor who can see it but may not act)."""
from __future__ import annotations

import pytest
from samples import PDF
from sqlalchemy import select

from models import Nomination
from workflow import policy, rules, service
from workflow.errors import Forbidden, NotFound


@pytest.fixture
def db(rolled_back_db):
    """Overrides conftest's `db`: the demo data seeded once per module, each test rolled back."""
    return rolled_back_db


# Who the demo accounts are with respect to a collective nomination of PBGDPL (department STP).
ACTORS = {
    "tp_pbgdpl": "unit head of the nominated unit",
    "tp_hctp": "unit head of another unit of the same department",
    "tp_stp2": "unit head in another department",
    "vanphong": "secretariat of the department",
    "giamdoc": "director of the department",
    "canbo1": "staff of the nominated unit (not the subject)",
    "botp": "ministry reviewer (sees only what reached the ministry)",
    "thanhtra": "auditor (reads everything, changes nothing)",
    "admin": "administrator (manages the system, not nominations)",
}
OK, DENY, HIDDEN = "ok", 403, 404


def _row(**special):
    """Everyone who can see the dossier is refused (403), those who cannot get 404, except `special`."""
    base = {"tp_pbgdpl": DENY, "vanphong": DENY, "giamdoc": DENY, "thanhtra": DENY, "admin": DENY,
            "tp_hctp": HIDDEN, "tp_stp2": HIDDEN, "canbo1": HIDDEN, "botp": HIDDEN}
    return base | special


EXPECTED = {
    # create has no object yet, so nothing is hidden: whoever may not register is refused.
    "create": dict.fromkeys(ACTORS, DENY) | {"tp_pbgdpl": OK, "vanphong": OK},
    "start_nurturing": _row(tp_pbgdpl=OK, vanphong=OK),
    "submit": _row(tp_pbgdpl=OK),
    "return_for_revision": _row(vanphong=OK),
    "withdraw": _row(tp_pbgdpl=OK, vanphong=OK),
    "update": _row(tp_pbgdpl=OK, vanphong=OK),
    "add_checkin": _row(tp_pbgdpl=OK, vanphong=OK),
}
# The state each action is tried from.
SETUP = {"start_nurturing": "registered", "submit": "nurtured", "return_for_revision": "submitted",
         "withdraw": "nurtured", "update": "registered", "add_checkin": "nurtured"}


def _create(db, demo, username, unit="PBGDPL", department="STP"):
    return service.create_nomination(db, demo.actor(username), campaign_id=demo.campaign("annual", department).id,
                                     subject_type="collective", unit_id=demo.unit(unit).id, title=f"Tập thể {unit}")


def _prepare(db, demo, state, tmp_path):
    tp = demo.actor("tp_pbgdpl")
    n = _create(db, demo, "tp_pbgdpl")
    n = service.update_nomination(db, tp, n.id, n.version, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for("collective", "annual")})
    service.add_attachment(db, tp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    if state in ("nurtured", "submitted"):
        n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    if state == "submitted":
        n = service.transition(db, tp, n.id, "submit", n.version)
    db.commit()
    return n


def _perform(db, demo, username, action, n, tmp_path):
    actor = demo.actor(username)
    if action == "update":
        return service.update_nomination(db, actor, n.id, n.version, achievements="Bổ sung thành tích")
    if action == "add_checkin":
        return service.add_checkin(db, actor, n.id, date="2026-02-01", note="Theo dõi")
    data = {"start_nurturing": {"nurture_plan": "Kế hoạch"}, "withdraw": {"reason": "Rút"},
            "return_for_revision": {"reason": "Bổ sung"}}.get(action, {})
    return service.transition(db, actor, n.id, action, n.version, **data)


@pytest.mark.parametrize("username", sorted(ACTORS))
def test_create_collective_for_pbgdpl(db, demo, username):
    expected = EXPECTED["create"][username]
    if expected == OK:
        n = _create(db, demo, username)
        assert (n.state, n.unit_id, n.created_by_id) == ("registered", demo.unit("PBGDPL").id, demo.user(username).id)
    else:
        with pytest.raises(Forbidden):
            _create(db, demo, username)
        assert db.scalar(select(Nomination.id)) is None


@pytest.mark.parametrize("action", sorted(SETUP))
@pytest.mark.parametrize("username", sorted(ACTORS))
def test_matrix(db, demo, tmp_path, username, action):
    n = _prepare(db, demo, SETUP[action], tmp_path)
    version, state = n.version, n.state
    expected = EXPECTED[action][username]
    if expected == OK:
        _perform(db, demo, username, action, n, tmp_path)
        if action in ("update",):
            assert n.version == version + 1
        elif action != "add_checkin":
            assert n.version == version + 1 and n.state != state
            assert n.history[-1].actor_id == demo.user(username).id
        return
    error = Forbidden if expected == DENY else NotFound
    with pytest.raises(error):
        _perform(db, demo, username, action, n, tmp_path)
    db.rollback()
    fresh = db.get(Nomination, n.id)
    assert (fresh.state, fresh.version) == (state, version)


@pytest.mark.parametrize("username", sorted(ACTORS))
def test_available_actions_offer_exactly_the_permitted_steps(db, demo, tmp_path, username):
    n = _prepare(db, demo, "nurtured", tmp_path)
    if not policy.can(demo.actor(username), "view", n):
        assert EXPECTED["submit"][username] == HIDDEN
        return
    offered = {o.code for o in service.available_actions(db, demo.actor(username), n)}
    assert offered == {a for a in ("submit", "withdraw") if EXPECTED[a][username] == OK}


# ------------------------------------------------------------------------------------ separation of duties
def _individual(db, demo, full_name, by="vanphong"):
    return service.create_nomination(db, demo.actor(by), campaign_id=demo.campaign().id, subject_type="individual",
                                     person_id=demo.person(full_name).id, title=full_name)


def test_nobody_registers_themselves(db, demo):
    with pytest.raises(Forbidden):  # tp_pbgdpl is Võ Minh Tuấn, head of PBGDPL
        _individual(db, demo, "Võ Minh Tuấn", by="tp_pbgdpl")
    with pytest.raises(Forbidden):  # vanphong is Lê Văn Phúc of VP
        _individual(db, demo, "Lê Văn Phúc", by="vanphong")


@pytest.mark.parametrize("action", ["start_nurturing", "withdraw", "update", "add_checkin"])
def test_subject_may_not_act_on_their_own_nomination(db, demo, tmp_path, action):
    n = _individual(db, demo, "Võ Minh Tuấn")  # registered by the secretariat
    tp = demo.actor("tp_pbgdpl")
    assert policy.can(tp, "view", n) and service.available_actions(db, tp, n) == []
    with pytest.raises(Forbidden) as exc:
        _perform(db, demo, "tp_pbgdpl", action, n, tmp_path)
    assert any("đối tượng được đề nghị" in r for r in exc.value.reasons)
    # Another head's nomination of the same kind is theirs to handle.
    other = _individual(db, demo, "Nguyễn Thị Lan", by="tp_pbgdpl")
    _perform(db, demo, "tp_pbgdpl", action, other, tmp_path)


def test_staff_see_their_own_nomination_but_cannot_act(db, demo, tmp_path):
    own = _individual(db, demo, "Nguyễn Thị Lan", by="tp_pbgdpl")  # canbo1's person
    colleague = _individual(db, demo, "Huỳnh Văn Đức", by="tp_pbgdpl")
    canbo = demo.actor("canbo1")
    assert service.load(db, canbo, own.id).id == own.id
    with pytest.raises(Forbidden):
        service.transition(db, canbo, own.id, "withdraw", own.version, reason="Không muốn")
    with pytest.raises(NotFound):
        service.load(db, canbo, colleague.id)


def test_listing_scope_is_the_same_as_loading_scope(db, demo):
    made = [_create(db, demo, "tp_pbgdpl"), _create(db, demo, "tp_hctp", "HCTP"),
            _create(db, demo, "tp_stp2", "STP2-VP", "STP2"), _individual(db, demo, "Nguyễn Thị Lan", by="tp_pbgdpl")]
    db.commit()
    for username in ACTORS:
        actor = demo.actor(username)
        listed = set(db.scalars(select(Nomination.id).where(policy.scope(actor, "nomination"))))
        assert listed == {n.id for n in made if policy.can(actor, "view", n)}, username
    # the ministry's window opens only once a department recognised a nomination
    assert set(db.scalars(select(Nomination.id).where(policy.scope(demo.actor("botp"), "nomination")))) == set()
