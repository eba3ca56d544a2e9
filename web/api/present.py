"""ORM objects → the plain dicts the response schemas dump. Read-only; the nomination list serialiser reads the plain
rows of `workflow.nominations.queries.list_nominations` (unit, campaign, subject_person included: nothing to load)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Attachment,
    AuditEvent,
    Campaign,
    Checkin,
    Council,
    CouncilSession,
    Decision,
    Nomination,
    Notification,
    Person,
    Proposal,
    PublicComment,
    Unit,
    User,
)
from web.json_provider import json_ready  # noqa: F401 - the list's and detail's document, as tests read it
from workflow import clock, documents, offers, policy
from workflow.administration.campaigns import campaign_data
from workflow.council import operations as council_core
from workflow.council import queries as council_queries
from workflow.council import turnout
from workflow.council.queries import held_on
from workflow.labels import (
    DEPUTY_DIRECTOR_LABEL,
    ROLE_LABELS,
    RULE_RESULT_LABELS,
    STATE_LABELS,
    step_label,
)
from workflow.nominations import desk, queries, rules, service
from workflow.policy import Actor
from workflow.proposals import decisions as decision_core
from workflow.proposals import operations as proposal_core
from workflow.reporting import audit_queries


def user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "full_name": user.full_name}


def me(actor: Actor) -> dict:
    user = actor.profile
    roles = sorted(actor.roles)
    held = {(g.scope, bool(g.states)) for g in policy.rule("nomination", "view").grants
            if g.roles is not None and actor.has(*g.roles)}
    if (policy.ALL, False) in held:
        scope = {"kind": "all", "description": "Toàn bộ hệ thống (mọi Sở và Bộ)."}
    elif (policy.ALL, True) in held and not held & {(policy.DEPARTMENT, False), (policy.UNIT, False)}:
        scope = {"kind": "all", "description": "Hồ sơ đã công nhận cấp cơ sở của mọi Sở (Bộ Tư pháp)."}
    elif (policy.DEPARTMENT, False) in held:
        scope = {"kind": "department", "description": "Các hồ sơ thuộc Sở của tài khoản."}
    elif (policy.UNIT, False) in held:
        scope = {"kind": "unit", "description": "Các hồ sơ của đơn vị mình."}
    else:
        scope = {"kind": "self", "description": "Các hồ sơ mà mình là cá nhân được đề nghị."}
    scope.update(department_id=user.department_id, unit_id=user.unit_id)
    return {
        "id": user.id, "username": user.username, "full_name": user.full_name, "email": user.email,
        "roles": roles, "role_labels": [_role_label(actor, r) for r in roles],
        "department_id": user.department_id, "unit_id": user.unit_id, "person_id": user.person_id,
        "on_behalf_of": user_ref(actor.on_behalf_of), "scope": scope,
        # A deputy director holds the director role (CONTRACT.md) but signs only under a delegation in force.
        "deputy": actor.deputy, "signs": actor.signs,
    }


def _role_label(actor: Actor, role: str) -> str:
    if role == policy.DIRECTOR and actor.deputy:
        return DEPUTY_DIRECTOR_LABEL
    return ROLE_LABELS.get(role, role)


def unit(u: Unit) -> dict:
    return {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind, "parent_id": u.parent_id,
            "department_id": u.department_id, "active": u.active, "closed_on": u.closed_on}


def person(p: Person) -> dict:
    return {"id": p.id, "full_name": p.full_name, "unit_id": p.unit_id, "position": p.position,
            "employment_type": p.employment_type, "is_unit_head": p.is_unit_head, "active": p.active}


def campaign(c: Campaign) -> dict:
    data = campaign_data(c)
    for key in ("start_date", "end_date", "registration_deadline", "evaluation_deadline", "midterm_review_date",
                "final_review_date"):
        data[key] = getattr(c, key)
    return data


def page(p, present) -> dict:
    return {"items": [present(item) for item in p.items], "total": p.total, "page": p.page, "per_page": p.per_page}


# ------------------------------------------------------------------------------------------------ nominations
def nomination_summary(n: Nomination) -> dict:
    u, c, p = n.unit, n.campaign, n.subject_person
    return {
        "id": n.id, "state": n.state, "state_label": STATE_LABELS[n.state], "version": n.version,
        "subject_type": n.subject_type, "title": n.title, "campaign_id": n.campaign_id, "unit_id": n.unit_id,
        "department_id": n.department_id,
        "subject": {
            "type": n.subject_type,
            "name": n.subject_name,
            "unit": {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind},
            "person": {"id": p.id, "full_name": p.full_name} if p is not None else None,
        },
        "campaign": {"id": c.id, "name": c.name, "kind": c.kind},
        "created_at": n.created_at, "updated_at": n.updated_at,
    }


def nomination_page(p) -> dict:
    """The list envelope with the keyset cursor of the next page (`before_id=`)."""
    data = page(p, nomination_summary)
    for item, row in zip(data["items"], p.items, strict=True):
        # Issue 16: the unit's former name (or its own, once a successor carries it on) and the list's label, read
        # in the list's own statement (`queries.UnitRef`).
        item["subject"]["unit"].update(former_name=row.unit.previous_name, listed_name=row.unit.listed_name)
    data["next_before_id"] = p.next_before_id
    return data


def attachment(a: Attachment) -> dict:
    return {"id": a.id, "kind": a.kind, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "sha256": a.sha256, "internal": bool(a.internal), "created_at": a.created_at,
            "url": f"/api/v1/nominations/{a.nomination_id}/attachments/{a.id}"}


def checkin(c: Checkin) -> dict:
    return {"id": c.id, "date": c.date, "note": c.note, "author_id": c.author_id, "created_at": c.created_at}


def _eligibility_stage(n: Nomination) -> str | None:
    """Pre-council dossiers show the rules of `submit`; recognised ones also those of `propose_nganh`."""
    return "submit" if n.state in ("registered", "nurtured", "submitted", "withdrawn", "not_recognized") else None


def nomination_public(session: Session, n: Nomination, sessions) -> dict:
    """The public part of a dossier, for a reader during a publicity period: no criteria, history, check-ins, nurture
    plan or internal attachments; the sessions on whose list it is open for comments."""
    data = nomination_summary(n)
    data.update(part="public", achievements=n.achievements or "", initiatives=n.initiatives or "",
                attachments=[attachment(a) for a in n.attachments if not a.internal],
                publicity_sessions=[{"id": s.id, "title": s.title, "comments_until": s.comments_until,
                                     "url": f"/api/v1/council-sessions/{s.id}"} for s in sessions])
    return data


def nomination_detail(session: Session, actor: Actor, n: Nomination) -> dict:
    if not queries.reads_whole_dossier(actor, n):
        return nomination_public(session, n, council_queries.publicity_sessions(session, n.id, n.department_id,
                                                                                clock.now()))
    data = nomination_summary(n)
    answers = {a.code: a for a in n.criteria}
    criteria = []
    for crit in rules.criteria_for(n.subject_type, n.campaign.kind):
        a = answers.get(crit.code)
        criteria.append({"code": crit.code, "label": crit.label, "met": a.met if a else None,
                         "evidence": a.evidence if a else ""})
    eligibility = [
        {"rule": r.code, "label": r.label, "result": r.result,
         "result_label": RULE_RESULT_LABELS.get(r.result, r.result), "reason": r.reason, "hard": r.hard,
         "citation": r.citation, "stage": r.stage}
        for r in rules.evaluate(session, n, _eligibility_stage(n))
    ]
    actions = [
        {"action": o.code, "label": o.label, "allowed": o.allowed, "reasons": list(o.reasons),
         "requires": list(o.requires), "irreversible": o.irreversible, "to_state": o.dest}
        for o in service.available_actions(session, actor, n)
    ]
    users = queries.history_users(session, n)
    returned, accepted = desk.latest_return(n, users), desk.acceptance(n, users)
    history = [
        {"version": h.version, "action": h.action, "action_label": step_label(h.action, h.data),
         "from_state": h.from_state, "to_state": h.to_state, "actor": user_ref(users.get(h.actor_id)),
         "on_behalf_of": user_ref(users.get(h.on_behalf_of_id)), "at": h.created_at, "comment": h.comment or "",
         "data": h.data or {}}
        for h in n.history
    ]
    data.update(
        return_reason={"at": returned.at, "author": returned.author, "reason": returned.reason} if returned else None,
        accepted={"at": accepted.at, "author": accepted.author} if accepted else None,
        achievements=n.achievements or "", initiatives=n.initiatives or "", nurture_plan=n.nurture_plan,
        criteria=criteria, eligibility=eligibility, dossier_gaps=rules.dossier_gaps(n), available_actions=actions,
        history=history, checkins=[checkin(c) for c in n.checkins], part="whole",
        attachments=[attachment(a) for a in n.attachments],
    )
    return data


# ------------------------------------------------------------------------------------------------ audit, inbox
def audit_event(e: AuditEvent) -> dict:
    return {"id": e.id, "created_at": e.created_at, "actor": {"id": e.actor_id, "username": e.actor_username},
            "action": e.action, "action_label": audit_queries.action_label(e.action), "outcome": e.outcome,
            "object_type": e.object_type,
            "object_type_label": audit_queries.OBJECT_TYPE_LABELS.get(e.object_type or "", e.object_type),
            "object_id": e.object_id,
            "data": e.data or {}, "ip": e.ip, "user_agent": e.user_agent, "hash": e.hash}


def notification(note: Notification) -> dict:
    return {"id": note.id, "kind": note.kind, "title": note.title, "body": note.body, "link": note.link,
            "object_type": note.object_type, "object_id": note.object_id, "created_at": note.created_at,
            "read_at": note.read_at, "read": note.read_at is not None}


# ------------------------------------------------------------------------------------------------ councils
def _ratio(value) -> float | None:
    return float(value) if value is not None else None


def council(c: Council) -> dict:
    return {
        "id": c.id, "department_id": c.department_id, "name": c.name, "quorum": _ratio(c.quorum),
        "pass_threshold": _ratio(c.pass_threshold), "publicity_working_days": c.publicity_working_days,
        "members": [{"user_id": m.user_id, "username": m.user.username, "full_name": m.user.full_name,
                     "function": m.function, "function_label": council_core.FUNCTION_LABELS.get(m.function, m.function),
                     "active": m.active} for m in c.members],
    }


def council_session_summary(s: CouncilSession) -> dict:
    return {"id": s.id, "council_id": s.council_id, "department_id": s.department_id, "campaign_id": s.campaign_id,
            "title": s.title, "date": s.date, "location": s.location, "state": s.state,
            "state_label": council_core.STATE_LABELS.get(s.state, s.state), "published_at": s.published_at,
            "comments_until": s.comments_until, "opened_at": s.opened_at, "closed_at": s.closed_at,
            "start_time": s.start_time.strftime("%H:%M") if s.start_time else None, "version": s.version,
            "held_on": held_on(s), "cancelled_at": s.cancelled_at, "cancel_reason": s.cancel_reason}


def public_comment(c: PublicComment) -> dict:
    return {"id": c.id, "nomination_id": c.nomination_id, "text": c.text,
            "author": c.author.full_name if c.author is not None else None, "created_at": c.created_at}


def council_session_detail(session: Session, actor: Actor, s: CouncilSession) -> dict:
    """The session as `actor` sees it: the agenda with how many have voted (never what), public comments,
    attendance, the caller's own receipts (`my_votes`) and, once closed, the results for those who may see them."""
    data = council_session_summary(s)
    prog = council_core.progress(session, s)
    ballots_in = turnout.turnout(session, s)
    my_votes = sorted(council_core.voted_items(session, s, actor.id))
    comments: dict[int, list] = {}
    for c in session.scalars(select(PublicComment).where(PublicComment.session_id == s.id)
                             .order_by(PublicComment.id)):
        comments.setdefault(c.nomination_id, []).append(public_comment(c))
    agenda = []
    for p in prog.items:
        n = p.item.nomination
        agenda.append({"nomination_id": n.id, "title": n.title, "subject_name": n.subject_name,
                       "subject_type": n.subject_type, "unit": n.unit.name, "state": n.state,
                       "position": p.item.position, "voted": p.voted, "entitled": p.entitled,
                       "recused": list(p.recused_names), "comments": comments.get(n.id, [])})
    names = {m.user_id: m for m in s.council.members}
    attendance = []
    for a in sorted(s.attendance, key=lambda a: a.user_id):
        m = names.get(a.user_id)
        attendance.append({"user_id": a.user_id, "full_name": m.user.full_name if m else None,
                           "function": m.function if m else None, "present": a.present})
    data.update(agenda=agenda, attendance=attendance,
                progress={"members": prog.members, "present": prog.present, "quorum_met": prog.quorum_met},
                ballots={"present": ballots_in.present, "submitted": ballots_in.submitted,
                         "not_voted": ballots_in.not_voted, "needed": ballots_in.needed, "label": ballots_in.label},
                my_votes=my_votes, my_ballot_submitted=bool(my_votes))
    actions = council_core.available_actions(session, actor, s)
    data["available_actions"] = [offers.as_dict(o) for o in actions]
    if any(o.code == "set_agenda" and o.allowed for o in actions):
        data["agenda_candidates"] = [
            {"nomination_id": n.id, "title": n.title, "subject_name": n.subject_name,
             "subject_type": n.subject_type, "unit": n.unit.name} for n in council_core.agenda_candidates(session, s)]
    if s.state == "closed" and council_core.can_see_results(actor, s):
        data.update(
            results=[{"nomination_id": i.nomination_id, "title": i.nomination.title, "agree": i.agree,
                      "disagree": i.disagree, "abstain": i.abstain, "entitled": i.entitled, "recused": i.recused,
                      "share": _ratio(i.share), "outcome": i.outcome,
                      "outcome_label": council_core.OUTCOME_LABELS.get(i.outcome) if i.outcome else None,
                      "outcome_note": i.outcome_note, "rank": i.rank} for i in s.items],
            quorum_met=s.quorum_met, present_count=s.present_count, members_total=s.members_total,
            quorum_required=_ratio(s.quorum_required), pass_threshold_applied=_ratio(s.pass_threshold_applied),
            minutes_number=documents.minutes_number_text(s),
        )
    return data


# ------------------------------------------------------------------------------------------------ decisions
def decision(session: Session, d: Decision, actor: Actor | None = None, nominations: list | None = None) -> dict:
    """`actor` given (the detail): with the caller's `available_actions`. `nominations`: the decision's, already read
    for a page of decisions (`nominations_by_decision`)."""
    if nominations is None:
        nominations = decision_core.nominations_of(session, d)
    data = {
        "id": d.id, "level": d.level, "number": d.number, "date": d.date, "summary": d.summary,
        "issuer": {"id": d.issuer.id, "code": d.issuer.code, "name": d.issuer.name, "kind": d.issuer.kind},
        "signer": user_ref(d.signer), "on_behalf_of": user_ref(d.on_behalf_of), "signer_title": d.signer_title,
        "signed_by_name": d.signed_by_name, "signed_as_deputy": bool(d.signed_as_deputy),
        "nominations": [{"id": n.id, "title": n.title, "subject_name": n.subject_name,
                         "subject_type": n.subject_type, "state": n.state, "state_label": STATE_LABELS[n.state]}
                        for n in nominations],
        "created_at": d.created_at,
    }
    if actor is not None:
        data["available_actions"] = [offers.as_dict(o) for o in decision_core.available_actions(session, actor, d)]
    return data


# ------------------------------------------------------------------------------------------------ proposals
def proposal(session: Session, p: Proposal, actor: Actor | None = None, rows: list | None = None) -> dict:
    """A Tờ trình with its items (workflow.proposals.operations.item_rows): each with the ngành rules (stage `propose`)
    as they evaluate now, a draft's refusals, and a submitted one's Minister's outcome and the decision recorded for it;
    `actor` given (the detail), the caller's `available_actions`. `rows`: the items already read for a page of
    proposals (`items_of`)."""
    d = p.department
    items = []
    for row in rows if rows is not None else proposal_core.item_rows(session, p):
        n = row.n
        items.append({
            "nomination_id": n.id, "title": n.title, "subject_name": n.subject_name, "unit": n.unit.name,
            "state": n.state, "state_label": STATE_LABELS[n.state],
            "eligibility": [{"rule": r.code, "label": r.label, "result": r.result, "reason": r.reason,
                             "hard": r.hard, "citation": r.citation}
                            for r in row.results],
            "refusals": list(row.refusals), "outcome": row.outcome,
            "outcome_label": proposal_core.OUTCOME_LABELS.get(row.outcome) if row.outcome else None,
            "reason": row.reason or "", "decided_at": row.decided_at,
            "decision": {"id": row.decision_id, "number": row.decision_number, "date": row.decision_date}
            if row.decision_id is not None else None,
        })
    data = {
        "id": p.id, "department_id": p.department_id,
        "department": {"id": d.id, "code": d.code, "name": d.name, "kind": d.kind},
        "campaign_id": p.campaign_id, "title": p.title, "state": p.state,
        "state_label": proposal_core.STATE_LABELS.get(p.state, p.state), "number": p.number, "date": p.date,
        "signer": user_ref(p.signer), "on_behalf_of": user_ref(p.on_behalf_of), "signer_title": p.signer_title,
        "submitted_at": p.submitted_at, "items": items,
    }
    if actor is not None:
        data["available_actions"] = [offers.as_dict(o) for o in proposal_core.available_actions(session, actor, p)]
    return data
