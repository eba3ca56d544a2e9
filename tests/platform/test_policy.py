"""The one policy (workflow/policy.py): role names live there only; what an account can open it can list, for every
object type and every demo account; menus, page gates and services answer the same; admin pages and the CLI create
accounts under one rule."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from models import (
    ROLES,
    AgendaItem,
    Campaign,
    Council,
    CouncilSession,
    Decision,
    DecisionItem,
    Nomination,
    Person,
    Proposal,
    Story,
    Unit,
    User,
)
from workflow import clock, policy
from workflow.administration import campaigns, org_queries
from workflow.administration import operations as admin
from workflow.council import operations as council
from workflow.errors import NotFound, ValidationFailed
from workflow.nominations import queries
from workflow.propagation import stories
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

ROOT = Path(__file__).resolve().parents[2]
# The role definitions, the policy table and the demo data: the only homes of role names (issue 12).
ROLE_HOMES = {"workflow/policy.py", "workflow/labels.py", "workflow/administration/demo.py",
              "workflow/administration/demo_living.py", "models/accounts.py"}
# Strings spelled like a role that name something else: a blueprint, an audit action family, a home-page card.
NOT_ROLES = ('Blueprint("admin"', '"admin": "Quản trị",', 'Card("admin", "Quản trị hệ thống"')
ROLE_LITERAL = re.compile("[\"'](" + "|".join(ROLES) + ")[\"']")

@pytest.fixture
def db(rolled_back_db):
    """Overrides conftest's `db`: the demo data seeded once per module, each test rolled back."""
    return rolled_back_db


DEMO_ACCOUNTS = ["admin", "vanphong", "giamdoc", "hoidong1", "hoidong2", "tp_pbgdpl", "tp_hctp", "tp_ptpcd",
                 "tp_stp2", "botp", "bientap", "thanhtra", "canbo1"]


def test_no_role_name_outside_the_policy_the_role_definitions_and_the_demo_data():
    found = []
    for folder in ("workflow", "web", "notifications", "models"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".html", ".js") or "vendor" in path.parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            if rel in ROLE_HOMES:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if ROLE_LITERAL.search(line) and not any(marker in line for marker in NOT_ROLES):
                    found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], "role names outside workflow/policy.py:\n" + "\n".join(found)


def test_every_rule_names_known_roles_and_scopes_and_gives_a_reason():
    for (object_type, verb), rule in policy.POLICY.items():
        assert object_type in policy.KINDS, object_type
        assert rule.reason.strip(), (object_type, verb)
        for grant in rule.grants:
            assert grant.roles is None or grant.roles <= set(ROLES), (object_type, verb)
            assert grant.scope in policy.SCOPE_WIDTH, (object_type, verb)
    for required in ("nomination", "council", "council_session", "ballot", "decision", "proposal", "story",
                     "introduction", "theme", "report", "audit", "unit", "person", "user", "campaign", "calendar",
                     "delegation", "notification"):
        assert policy.verbs(required), required


# ------------------------------------------------------------------------------------------------ load ⇔ list
def _page_ids(page) -> set[int]:
    return {o.id for o in page.items}


# Each listable type: its model and the service's own list (every page of it).
LISTS = {
    "nomination": (Nomination, lambda s, a: set(s.scalars(queries.nominations_query(a).with_only_columns(
        Nomination.id)))),
    "council": (Council, lambda s, a: {c.id for c in s.scalars(council.councils_query(a))}),
    "council_session": (CouncilSession, lambda s, a: _page_ids(council.list_sessions(s, a, page=1, per_page=100))),
    "decision": (Decision, lambda s, a: _page_ids(decisions.list_decisions(s, a, page=1, per_page=100))),
    "proposal": (Proposal, lambda s, a: _page_ids(proposals.list_proposals(s, a, page=1, per_page=100))),
    "story": (Story, lambda s, a: _page_ids(stories.list_stories(s, a, page=1, per_page=100))),
    "campaign": (Campaign, lambda s, a: {c.id for c in s.scalars(campaigns.campaigns_query(a))}),
    "unit": (Unit, lambda s, a: _page_ids(org_queries.list_units(s, a, page=1, per_page=100))),
    "person": (Person, lambda s, a: _page_ids(org_queries.list_people(s, a, page=1, per_page=100))),
}


def _scenario(db, demo):
    """Objects of every listable type in two departments, several units and several states (the demo data holds
    units, people, accounts and campaigns only): rows written directly, since only their scope is under test."""
    stp, stp2, btp = demo.unit("STP"), demo.unit("STP2"), demo.unit("BTP")
    canbo = demo.user("canbo1")

    def nomination(unit_code, state, campaign, person=None):
        unit = demo.unit(unit_code)
        n = Nomination(campaign_id=campaign.id, department_id=unit.department_id, unit_id=unit.id, state=state,
                       subject_type="individual" if person else "collective", subject_person_id=person,
                       subject_key=f"{'p' if person else 'u'}:{person or unit.id}:{state}",
                       title=f"{unit_code} {state}")
        db.add(n)
        return n

    annual, annual2 = demo.campaign("annual", "STP"), demo.campaign("annual", "STP2")
    pb = nomination("PBGDPL", "evaluated_co_so", annual)
    hc = nomination("HCTP", "registered", annual)
    nomination("PBGDPL", "nurtured", annual, person=canbo.person_id)
    far = nomination("STP2-VP", "recognized", annual2)
    proposed = nomination("HCTP", "proposed_nganh", annual)
    # On a list public for comments (issue 14): every account of STP reads it, nobody of STP2 (their own list holds
    # `far`), and once the period is over (the unpublished session's item) nobody new.
    listed = nomination("HCTP", "submitted", annual)
    unlisted = nomination("TGPL", "submitted", annual)
    db.flush()
    councils = {d.id: db.scalar(select(Council).where(Council.department_id == d.id)) for d in (stp, stp2)}
    if councils[stp2.id] is None:
        councils[stp2.id] = Council(department_id=stp2.id, name="Hội đồng Khánh Hòa")
        db.add(councils[stp2.id])
        db.flush()
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    for dep, campaign, published, item in ((stp, annual, True, listed), (stp, annual, False, unlisted),
                                           (stp2, annual2, True, far)):
        s = CouncilSession(council_id=councils[dep.id].id, department_id=dep.id, campaign_id=campaign.id,
                           title=f"Phiên {dep.code}", date=today, published_at=now if published else None,
                           comments_until=now + dt.timedelta(days=14) if published else None)
        db.add(s)
        db.flush()
        db.add(AgendaItem(session_id=s.id, nomination_id=item.id, position=1))
    signer = demo.user("giamdoc")
    co_so = Decision(level="co_so", issuer_id=stp.id, number="1/QĐ-STP", date=today, signer_id=signer.id,
                     year=today.year, seq=1)
    nganh = Decision(level="nganh", issuer_id=btp.id, number="9/QĐ-BTP", date=today, signer_id=demo.user("botp").id,
                     year=today.year, seq=9)
    co_so2 = Decision(level="co_so", issuer_id=stp2.id, number="1/QĐ-STP2", date=today,
                      signer_id=demo.user("tp_stp2").id, year=today.year, seq=1)
    db.add_all([co_so, nganh, co_so2])
    db.flush()
    db.add_all([DecisionItem(decision_id=co_so.id, nomination_id=pb.id),
                DecisionItem(decision_id=nganh.id, nomination_id=proposed.id),
                DecisionItem(decision_id=co_so2.id, nomination_id=far.id)])
    for dep, n, state in ((stp, pb, "published"), (stp, hc, "draft"), (stp2, far, "published")):
        db.add(Story(department_id=dep.id, nomination_id=n.id, title=f"Bài {n.title}", state=state,
                     published_at=dt.datetime.now(dt.UTC) if state == "published" else None))
    db.add_all([Proposal(department_id=stp.id, campaign_id=annual.id, title="Tờ trình STP", state="submitted",
                         year=today.year, seq=7, number="7/TTr-STP", date=today),
                Proposal(department_id=stp.id, campaign_id=annual.id, title="Dự thảo STP"),
                Proposal(department_id=stp2.id, campaign_id=annual2.id, title="Dự thảo Khánh Hòa")])
    db.flush()
    return nganh


@pytest.mark.parametrize("object_type", sorted(LISTS))
def test_what_an_account_can_list_is_what_it_can_open(db, demo, object_type):
    _scenario(db, demo)
    model, listed_by = LISTS[object_type]
    every = list(db.scalars(select(model)))
    assert every, f"the demo data holds no {object_type}"
    for username in DEMO_ACCOUNTS:
        actor = demo.actor(username)
        listed = listed_by(db, actor)
        openable = set()
        for obj in every:
            try:
                policy.load(db, actor, object_type, obj.id)
                openable.add(obj.id)
            except NotFound:
                pass
        allowed = {o.id for o in every if policy.can(actor, "view", o)}
        assert listed == openable == allowed, (object_type, username, listed ^ openable, openable ^ allowed)


def test_a_department_lists_the_ministers_decision_that_includes_its_nomination(db, demo):
    """The Minister's decision is issued by the Ministry: the department could open it but never saw it listed."""
    nganh = [_scenario(db, demo)]
    for username in ("vanphong", "giamdoc", "bientap"):
        actor = demo.actor(username)
        listed = _page_ids(decisions.list_decisions(db, actor, page=1, per_page=100))
        for d in nganh:
            assert decisions.load(db, actor, d.id).id == d.id
            assert d.id in listed, username
    assert not {d.id for d in nganh} & _page_ids(decisions.list_decisions(db, demo.actor("tp_stp2"), page=1,
                                                                          per_page=100))


# ------------------------------------------------------------------------------------------------ accounts
def test_admin_pages_apply_the_same_unit_rule_as_the_cli(db, demo):
    with pytest.raises(ValidationFailed) as exc:
        admin.create_user(db, demo.actor("admin"), {"username": "dept_head", "full_name": "X", "roles": ["unit_head"],
                                                    "unit_id": str(demo.unit("STP").id),
                                                    "password": "a-long-passphrase-2026"})
    assert exc.value.field_errors["unit_id"] == policy.assignment_errors(["unit_head"], demo.unit("STP"))["unit_id"]
    assert db.scalar(select(User.id).where(User.username == "dept_head")) is None


def test_an_allowed_answer_is_not_shared_between_callers(db, demo):
    """Services add their own reasons to the policy's list (e.g. `service.edit_refusals`): one caller's reasons
    must never show up in another's answer (a shared empty list once refused every registration afterwards)."""
    actor = demo.actor("tp_pbgdpl")
    unit = demo.unit("PBGDPL")
    first = policy.refusals(actor, "create", "nomination", department_id=unit.department_id, unit_id=unit.id)
    first.append("một lý do của người gọi")
    assert policy.refusals(actor, "create", "nomination", department_id=unit.department_id, unit_id=unit.id) == []
    answer = policy.can(actor, "create", "nomination", department_id=unit.department_id, unit_id=unit.id)
    answer.reasons.append("lý do khác")
    assert policy.can(actor, "create", "nomination", department_id=unit.department_id, unit_id=unit.id).reasons == []


def test_staff_read_the_listed_dossier_only_while_its_publicity_runs(db, demo, monkeypatch):
    """Issue 14, finding 5: a staff member asked to comment opened the dossier and got 404. The LISTED scope opens
    it (and lists it) to every account of the department during the period, to no one of another department, and to
    no one new once the period is over."""
    _scenario(db, demo)
    listed = db.scalar(select(Nomination).where(Nomination.title == "HCTP submitted"))
    unlisted = db.scalar(select(Nomination).where(Nomination.title == "TGPL submitted"))
    staff, stranger = demo.actor("canbo1"), demo.actor("tp_stp2")
    assert policy.load(db, staff, "nomination", listed.id).id == listed.id
    assert listed.id in LISTS["nomination"][1](db, staff)
    assert not policy.can(staff, "view_dossier", listed)  # the public part only
    for actor, n in ((staff, unlisted), (stranger, listed)):
        with pytest.raises(NotFound):
            policy.load(db, actor, "nomination", n.id)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=15)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(NotFound):
        policy.load(db, staff, "nomination", listed.id)
    assert listed.id not in LISTS["nomination"][1](db, staff)


def _standing_actors() -> list:
    """Actors of every shape the policy reads: role sets (none, each, pairs and more), a deputy with and without a
    delegation in force, with or without a department, a unit (one in force, one closed), a person."""
    import itertools
    import random

    rng = random.Random(13)
    names = sorted(ROLES)
    role_sets = [frozenset(), *(frozenset({r}) for r in names),
                 *(frozenset(rng.sample(names, k)) for k in (2, 2, 3, 4) for _ in range(5))]
    closed = clock.today() - dt.timedelta(days=1)
    actors = []
    for roles in role_sets:
        for deputy, delegated in ((False, False), (True, False), (True, True)):
            for department, unit, person in itertools.product((None, 2), (None, "open", "closed"), (None, 9)):
                who = policy.Who(id=1, username="u", full_name="U", email=None, department_id=department,
                                 unit_id=None if unit is None else 5, person_id=person,
                                 unit_closed_on=closed if unit == "closed" else None, unit_has_predecessors=False,
                                 unit_name=None, own_roles=roles)
                actors.append(policy.Actor(loaded_user=None, roles=roles, deputy=deputy, who=who,
                                           on_behalf_of=object() if delegated else None))
    return actors


def test_actors_of_equal_standing_get_the_same_answers_about_types():
    """`policy.standing` keys what a page keeps of the answers to questions about a type of object (the header's
    menu): two actors of equal standing must get the same answer to every such question of the policy, and the
    standing must tell apart what the answers tell apart (it fails when a part of it is left out)."""
    questions = sorted(policy.POLICY)
    seen: dict = {}
    for actor in [None, *_standing_actors()]:
        answers = tuple((bool(policy.can(actor, verb, object_type)), policy.widest_scope(actor, verb, object_type),
                         policy.reads_in_every_state(actor, verb, object_type)) for object_type, verb in questions)
        assert seen.setdefault(policy.standing(actor), answers) == answers, policy.standing(actor)
    assert len(seen) > 100
