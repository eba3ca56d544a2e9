"""Role × action × scope, enforced by the workflow service itself (DOMAIN.md "Who uses it", ARCHITECTURE.md "Scope":
an object outside the caller's scope is 404 to a reader, 403 to an actor who can see it but may not act)."""
from __future__ import annotations

import pytest
from samples import PDF
from sqlalchemy import select

from models import Council, Nomination
from workflow import policy
from workflow.administration import calendar as calendar_admin
from workflow.administration import campaigns, imports
from workflow.administration import operations as admin
from workflow.administration import units as reorg
from workflow.council import operations as council
from workflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.nominations import rules, service
from workflow.propagation import stories, themes
from workflow.proposals import decisions
from workflow.proposals import operations as proposals
from workflow.reporting import audit_queries, report_documents, reports


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
    "accept": _row(vanphong=OK),
    "withdraw": _row(tp_pbgdpl=OK, vanphong=OK),
    "update": _row(tp_pbgdpl=OK, vanphong=OK),
    "add_checkin": _row(tp_pbgdpl=OK, vanphong=OK),
}
# The state each action is tried from.
SETUP = {"start_nurturing": "registered", "submit": "nurtured", "return_for_revision": "submitted",
         "accept": "submitted", "withdraw": "nurtured", "update": "registered", "add_checkin": "nurtured"}


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
    if action == "accept":
        return service.accept_nomination(db, actor, n.id, n.version)
    data = {"start_nurturing": {"nurture_plan": "Kế hoạch"}, "withdraw": {"reason": "Rút"},
            "return_for_revision": {"reason": "Bổ sung"}}.get(action, {})
    return service.transition(db, actor, n.id, action, n.version, **data)


@pytest.mark.parametrize("username", sorted(ACTORS))
def test_create_collective_for_pbgdpl(db, demo, username):
    expected = EXPECTED["create"][username]
    pbgdpl = demo.unit("PBGDPL")
    assert bool(policy.can(demo.actor(username), "create", "nomination", department_id=pbgdpl.department_id,
                           unit_id=pbgdpl.id)) == (expected == OK)
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
    actor = demo.actor(username)  # the policy answers what the service does: allowed, refused (403) or hidden (404)
    verb = "edit" if action in ("update", "add_checkin") else action
    assert bool(policy.can(actor, verb, n)) == (expected == OK), (username, action)
    assert bool(policy.can(actor, "view", n)) == (expected != HIDDEN), (username, action)
    if expected == OK:
        _perform(db, demo, username, action, n, tmp_path)
        if action in ("update",):
            assert n.version == version + 1
        elif action == "accept":  # no state of its own: a history row, the acceptance kept
            assert n.version == version + 1 and n.state == state and n.accepted_by_id == demo.user(username).id
            assert n.history[-1].actor_id == demo.user(username).id
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


# ------------------------------------------------------------------------------------------------ the whole table
# For every rule of the policy table, the service call that performs it (an operation, or the list that reads it),
# tried by every demo account: the service refuses (403) exactly when `policy.can` says no. A call that passes the
# permission check may still fail on its data (422/409/404): the permission is what is compared.
def _department(demo, actor):
    return {"department_id": actor.department_id, "unit_id": actor.unit_id}


def _stp_council(db, demo):
    return db.scalar(select(Council).where(Council.department_id == demo.unit("STP").id))


TYPE_PROBES = {
    ("audit", "view"): lambda db, demo, a: audit_queries.require_audit_reader(a),
    ("audit", "view_checkpoints"): lambda db, demo, a: audit_queries.list_checkpoints(db, a),
    ("user", "view"): lambda db, demo, a: admin.list_users(db, a),
    ("user", "manage"): lambda db, demo, a: admin.create_user(db, a, {}),
    ("unit", "manage"): lambda db, demo, a: admin.create_unit(db, a, {}),
    ("person", "manage"): lambda db, demo, a: admin.create_person(db, a, {}),
    ("campaign", "manage"): lambda db, demo, a: admin.update_campaign(db, a, demo.campaign().id, {}),
    ("calendar", "manage"): lambda db, demo, a: calendar_admin.save_day(db, a, {}),
    ("unit", "import"): lambda db, demo, a: imports.import_xlsx(db, a, "units", b""),
    ("unit", "reorganise"): lambda db, demo, a: reorg.rename_unit(db, a, demo.unit("HCTP").id, {}),
    ("person", "import"): lambda db, demo, a: imports.import_xlsx(db, a, "people", b""),
    ("administration", "view"): lambda db, demo, a: admin.require_admin(a),
    ("report", "view"): lambda db, demo, a: reports.summary(db, a),
    ("report", "draw_up"): lambda db, demo, a: report_documents.report_scope(db, a),
    ("campaign", "create"): lambda db, demo, a: campaigns.campaign_department(db, a, None),
    ("proposal", "draft"): lambda db, demo, a: proposals.create(db, a, nomination_ids=[]),
    ("decision", "issue_co_so"): lambda db, demo, a: decisions.issue(db, a, level="co_so", number="", date="",
                                                                     nomination_ids=[]),
    ("decision", "issue_nganh"): lambda db, demo, a: decisions.issue(db, a, level="nganh", number="", date="",
                                                                     nomination_ids=[]),
    ("council_session", "prepare"): lambda db, demo, a: council.schedule(db, a, title="", date="", campaign_id=0),
    ("story", "write"): lambda db, demo, a: stories.create(db, a, nomination_id=0, title=""),
}
# Rules on one object, with the object the call acts on.
OBJECT_PROBES = {
    ("council", "manage"): (_stp_council, lambda db, demo, a, c: council.update_council(db, a, c.id)),
    ("theme", "edit"): (lambda db, demo: demo.unit("STP"),
                        lambda db, demo, a, dep: themes.save(db, a, year=2026, months={}, department=dep.id)),
}
# Rules exercised elsewhere with their own scenarios (the nomination triggers above and in test_properties.py; the
# council steps in test_service_council_steps.py and test_api_council.py; delegations in
# tests/administration/test_delegations.py; the whole dossier beside its public part in tests/council/test_publicity.py
# and tests/platform/test_policy.py).
COVERED_ELSEWHERE = {
    ("nomination", verb) for verb in ("view", "view_dossier", "create", "edit", "start_nurturing", "submit",
                                      "return_for_revision", "accept", "reject_co_so", "recognize_co_so",
                                      "propose_nganh", "recognize_nganh", "reject_nganh", "withdraw", "revoke")
} | {("council_session", v) for v in ("view", "see_results", "chair", "comment", "sit")} | {
    ("ballot", "cast"), ("council", "view"), ("decision", "view"), ("proposal", "view"), ("proposal", "sign"),
    ("story", "view"), ("story", "view_drafts"), ("introduction", "view"), ("introduction", "record"),
    ("theme", "view"), ("report", "send_yearly"), ("campaign", "view"), ("campaign", "evaluate"), ("unit", "view"),
    ("unit", "register_for"), ("person", "view"), ("metrics", "view"), ("delegation", "view"),
    ("delegation", "grant"), ("delegation", "end"), ("notification", "view"),
}


def test_every_rule_of_the_table_is_tried_somewhere():
    probed = set(TYPE_PROBES) | set(OBJECT_PROBES)
    assert not probed & COVERED_ELSEWHERE
    assert set(policy.POLICY) == probed | COVERED_ELSEWHERE


def _refused(call, *args) -> bool:
    try:
        call(*args)
    except Forbidden:
        return True
    except (ValidationFailed, Conflict, NotFound):
        return False
    return False


@pytest.mark.parametrize("rule", sorted(TYPE_PROBES), ids="-".join)
def test_the_service_refuses_exactly_what_the_policy_refuses(db, demo, rule):
    object_type, verb = rule
    for username in sorted(ACTORS) + ["bientap", "hoidong1"]:
        actor = demo.actor(username)
        allowed = bool(policy.can(actor, verb, object_type, **_department(demo, actor)))
        refused = _refused(TYPE_PROBES[rule], db, demo, actor)
        db.rollback()
        assert refused != allowed, (rule, username, allowed)


@pytest.mark.parametrize("rule", sorted(OBJECT_PROBES), ids="-".join)
def test_the_service_refuses_exactly_what_the_policy_refuses_on_an_object(db, demo, rule):
    target_of, probe = OBJECT_PROBES[rule]
    for username in sorted(ACTORS) + ["bientap", "hoidong1"]:
        actor = demo.actor(username)
        target = target_of(db, demo)
        if rule[0] == "theme":
            allowed = bool(policy.can(actor, rule[1], "theme", department_id=target.id))
        else:
            allowed = bool(policy.can(actor, rule[1], target))
        refused = _refused(probe, db, demo, actor, target)
        db.rollback()
        assert refused != allowed, (rule, username, allowed)
