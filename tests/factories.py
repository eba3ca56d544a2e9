"""Builders for every object of the workflow in any state, so that a test states only what matters to it.

Two kinds, on purpose:
- *through the services* (`submitted`, `nomination_in`, `closed_session`, `recognised`, `proposed`, `nganh_decision`,
  `story`): the real path, with its guards, history, audit events and notifications — for tests whose subject depends
  on how the object got there;
- *written straight* (`nomination`, `co_so_example`): the rows the services would leave, without the path — for tests
  of what reads them (reports, councils, proposals), where driving the whole workflow would only cost time.

Everything works on the demo data (workflow/administration/demo.py) through the `db` and `demo` fixtures and never
commits unless the builder says so (the test's transaction is rolled back at the end either way). Imported by its bare
name (`from factories import submitted`): tests/ is on sys.path under pytest's default "prepend" import mode.

The demo council: giamdoc (chu_tich, unit STP), vanphong (thuong_truc, VP), hoidong1 (PBGDPL), hoidong2 (head of TTR),
hoidong3 (head of XDKT), hoidong4 (head of TGPL), hoidong5 (head of VP). Nobody of the council belongs to HCTP, PTP-LX
or PTP-CD.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from types import SimpleNamespace

from conftest import DEMO_PASSWORD  # tests/conftest.py, importable as `conftest` under pytest
from samples import PDF, image
from sqlalchemy import select

from models import AgendaItem, AuditEvent, AwardRecord, Campaign, Nomination, Notification, StateChange, User, UserRole
from workflow.administration import accounts
from workflow.council import operations as council
from workflow.errors import DomainError
from workflow.nominations import rules, service
from workflow.nominations.machine import stage_rank
from workflow.policy import actor_for
from workflow.propagation import stories
from workflow.proposals import decisions
from workflow.proposals import operations as proposals

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)  # Monday 01/06/2026, 09:00 in Viet Nam
LATER = NOW + dt.timedelta(hours=3)
DAY = dt.date(2026, 11, 25)  # a working day late in the annual campaign: proposals and decisions are dated on it
PROBLEM = "application/problem+json"
ENVELOPE = {"items", "total", "page", "per_page"}


# ------------------------------------------------------------------------------------------------ people and units
def uid(demo, username: str) -> int:
    return demo.user(username).id


def user(db, username: str, roles: list[str], unit: str, *, password: str | None = None,
         full_name: str | None = None) -> User:
    """An account with `roles` in `unit` (a unit code), through the same service as the admin pages and the CLI."""
    u = accounts.create_user(db, username, roles=roles, password=password or DEMO_PASSWORD, unit_code=unit,
                             full_name=full_name or username)
    db.flush()
    return u


def deputy_director(db, demo, *roles: str) -> User:
    """The demo's deputy director `phogiamdoc` (the director role as a deputy: signs only when delegated; the person
    "Lê Thị Phó"), holding `roles` as well."""
    deputy = demo.user("phogiamdoc")
    for role in roles:
        if role not in deputy.role_codes:
            deputy.roles.append(UserRole(role=role))
    db.flush()
    return deputy


def unit_head(db, demo, code: str) -> str:
    """The username of the unit's head (trưởng phòng) who registers and submits its dossiers; created when the demo
    has none."""
    username = f"tp_{code.lower().replace('-', '')}"
    if demo.user(username) is None:
        accounts.create_user(db, username, roles=["unit_head"], password=demo.password, unit_code=code)
        db.flush()
    return username


def campaign(db, demo, *, kind: str = "annual", department: str = "STP", **changes) -> Campaign:
    """The demo campaign of `kind` in `department`, with `changes` applied (quotas, dates, ...)."""
    c = demo.campaign(kind, department)
    for name, value in changes.items():
        setattr(c, name, value)
    db.flush()
    return c


def unlimited(demo) -> None:
    """Lifts the annual campaign's quotas, so that every item a council passes is passed."""
    c = demo.campaign()
    c.quota_collective = c.quota_individual = None


# ------------------------------------------------------------------------------------------------ nominations
def nomination(db, demo, *, unit: str | None = None, person: str | None = None, campaign: Campaign | None = None,
               state: str = "submitted", path: tuple[str, ...] | None = None, title: str | None = None,
               achievements: str = "Thành tích nổi bật", start: dt.datetime | None = None) -> Nomination:
    """A nomination of `unit` (collective) or `person` (individual) written straight into `state`, with one history
    row per step of `path` (default: just `state`; one day apart from `start` when given)."""
    campaign = campaign or demo.campaign()
    path = path or (state,)
    if person is not None:
        p = demo.person(person)
        u, subject_type, key = p.unit, "individual", f"p:{p.id}"
    else:
        p, u = None, demo.unit(unit)
        subject_type, key = "collective", f"u:{u.id}"
    n = Nomination(campaign_id=campaign.id, department_id=u.department_id, unit_id=u.id, subject_type=subject_type,
                   subject_person_id=p.id if p else None, subject_key=key, title=title or (person or u.name),
                   achievements=achievements, state=path[-1], furthest_stage=max(map(stage_rank, path)))
    db.add(n)
    db.flush()
    prev = None
    for i, to_state in enumerate(path, start=1):
        when = {} if start is None else {"created_at": start + dt.timedelta(days=i - 1)}
        db.add(StateChange(nomination_id=n.id, version=i, action="create" if i == 1 else "step", from_state=prev,
                           to_state=to_state, data={}, **when))
        prev = to_state
    db.flush()
    return n


def registered(db, demo, head: str, *, unit: str | None = None, person: str | None = None, title: str = "Hồ sơ",
               campaign: Campaign | None = None, achievements: str | None = None) -> Nomination:
    """Registered by `head` through the service."""
    actor = demo.actor(head)
    extra = {} if achievements is None else {"achievements": achievements}
    cid = (campaign or demo.campaign()).id
    if person is not None:
        return service.create_nomination(db, actor, campaign_id=cid, subject_type="individual",
                                         person_id=demo.person(person).id, title=title, **extra)
    return service.create_nomination(db, actor, campaign_id=cid, subject_type="collective",
                                     unit_id=demo.unit(unit).id, title=title, **extra)


def registered_through_api(api, db, demo, *, head: str = "tp_pbgdpl", unit: str = "PBGDPL",
                           title: str = "Phòng PBGDPL"):
    """A collective nomination registered by `head` through `POST /api/v1/nominations` (the test's pending objects
    rolled back first, as a request starts from what is committed): the head's API client and the answer's JSON."""
    campaign_id, unit_id = demo.campaign().id, demo.unit(unit).id
    db.rollback()
    client = api.as_(head)
    r = client.post("/nominations", json={"campaign_id": campaign_id, "subject_type": "collective", "unit_id": unit_id,
                                          "title": title})
    assert r.status_code == 201, r.get_json()
    return client, r.get_json()


def nurtured(db, demo, head: str, **subject) -> Nomination:
    """Registered, its dossier complete (every criterion met, the achievement report attached) and being nurtured."""
    actor = demo.actor(head)
    n = registered(db, demo, head, **subject)
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for(n.subject_type, "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, achievements="Thành tích nổi bật", criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    return service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")


def submitted(db, demo, head: str, **subject) -> Nomination:
    """The real path: registered → nurtured → submitted to the council by the unit head, with a complete dossier."""
    n = nurtured(db, demo, head, **subject)
    return service.transition(db, demo.actor(head), n.id, "submit", n.version)


def nomination_in(db, demo, state: str, *, unit: str = "HCTP", person: str | None = None, head: str | None = None,
                  title: str = "Hồ sơ") -> Nomination:
    """A nomination brought to `state` through the services (registered, nurtured, submitted, withdrawn,
    not_recognized, evaluated_co_so, proposed_nganh, recognized, revoked): the council votes, the director's and the
    Minister's decisions and the proposal are the real ones. HCTP by default: no council member belongs to it."""
    head = head or unit_head(db, demo, demo.person(person).unit.code if person else unit)
    subject = {"person": person} if person else {"unit": unit}
    if state == "registered":
        return registered(db, demo, head, title=title, **subject)
    if state == "nurtured":
        return nurtured(db, demo, head, title=title, **subject)
    if state == "withdrawn":
        n = registered(db, demo, head, title=title, **subject)
        return service.transition(db, demo.actor(head), n.id, "withdraw", n.version, reason="Rút hồ sơ")
    n = submitted(db, demo, head, title=title, **subject)
    if state == "submitted":
        return n
    unlimited(demo)
    s = open_session(db, demo, [n])
    if state == "not_recognized":
        vote(db, demo, s, n, 0, len(entitled(demo, n)))
        close(db, demo, s)
        return n
    vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s)
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=_next_number(db), date=DAY,
                    nomination_ids=[n.id])
    if state == "evaluated_co_so":
        return n
    if state == "revoked":
        return service.transition(db, demo.actor("giamdoc"), n.id, "revoke", n.version, reason="Thu hồi",
                                  decision_number="99/QĐ-STP")
    proposed(db, demo, [n], number=_next_number(db))
    if state == "proposed_nganh":
        return n
    if state == "recognized":
        nganh_decision(db, demo, [n.id])
        return n
    raise ValueError(f"no builder for a nomination in state {state!r}")


def _next_number(db) -> int:
    """A decision or proposal number not used yet in this test (numbers are unique per department and year)."""
    return 100 + len(db.scalars(select(AuditEvent.id)).all())


# ------------------------------------------------------------------------------------------------ council
def council_of(db, demo, department: str = "STP"):
    return council.council_for_department(db, demo.unit(department).id)


def schedule(db, demo, items, *, campaign: Campaign | None = None, now=NOW, date: dt.date | None = None,
             publicity_days: int | None = 0, publish: bool = True):
    """A council session of STP on `items`, its agenda set and (by default) published with no publicity period."""
    if publicity_days is not None:
        council_of(db, demo).publicity_working_days = publicity_days
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên họp bình xét", date=date or (now.date() + dt.timedelta(days=30)),
                         campaign_id=(campaign or demo.campaign()).id, now=now)
    council.set_agenda(db, sec, s.id, [n.id for n in items])
    if publish:
        council.publish(db, sec, s.id, now=now)
    return s


def open_session(db, demo, items, *, present=tuple(MEMBERS), campaign: Campaign | None = None, now=NOW):
    """Scheduled, agenda set, published (no publicity period), attendance taken and opened by the director."""
    s = schedule(db, demo, items, campaign=campaign, now=now)
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in present])
    council.open_session(db, demo.actor("giamdoc"), s.id, now=now)
    return s


def open_session_again(db, demo, items, *, present=tuple(MEMBERS), now=NOW):
    """Like `open_session`, for items a closed session already passed (or tied on). `set_agenda` refuses those (they
    wait for the decision: test_read_models), so the agenda rows are written directly — the state that rows written
    before that rule leave behind, which the close must still count right."""
    s = schedule(db, demo, [], now=now, publish=False)
    for pos, n in enumerate(items, start=1):
        s.items.append(AgendaItem(nomination_id=n.id, position=pos))
    db.flush()
    council.publish(db, demo.actor("vanphong"), s.id, now=now)
    council.record_attendance(db, demo.actor("vanphong"), s.id, [uid(demo, u) for u in present])
    council.open_session(db, demo.actor("giamdoc"), s.id, now=now)
    return s


def entitled(demo, n: Nomination, members=MEMBERS) -> list[str]:
    """The members who may vote on `n` (those of its unit or its subject are recused)."""
    return [u for u in members if council.recusal_reason(demo.user(u), n) is None]


def vote(db, demo, s, n: Nomination, agree: int, disagree: int = 0, abstain: int = 0, *, voters=None):
    """`agree` + `disagree` + `abstain` votes on `n`, by its entitled members in the order of MEMBERS."""
    voters = list(voters or entitled(demo, n))
    choices = ["agree"] * agree + ["disagree"] * disagree + ["abstain"] * abstain
    assert len(choices) <= len(voters), "more votes than entitled members"
    for username, choice in zip(voters, choices, strict=False):
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)


def close(db, demo, s, *, now=LATER, confirm_missing=True):
    """The chair closes `s`; by default confirming the close when some present members have not voted (tests of
    outcomes leave members out on purpose; tests/council/test_ballot_sheet.py tests the confirmation itself)."""
    return council.close_session(db, demo.actor("giamdoc"), s.id, now=now, confirm_missing=confirm_missing)


def closed_session(db, demo, items, *, agree: dict | None = None, now=NOW):
    """A session on `items` opened with every member present and closed; each item gets `agree[item.id]` agreeing
    votes (default: every entitled member agrees)."""
    s = open_session(db, demo, items, now=now)
    for n in items:
        vote(db, demo, s, n, (agree or {}).get(n.id, len(entitled(demo, n))))
    return close(db, demo, s, now=now + dt.timedelta(hours=3))


def item_of(s, n: Nomination):
    return next(i for i in s.items if i.nomination_id == n.id)


# ------------------------------------------------------------------------------------------------ decisions
def recognised(db, demo, *units: str, number: str = "12/QĐ-STP", date: dt.date = dt.date(2026, 11, 20),
               now: dt.datetime = NOW):
    """Nominations of `units` passed by the council (held at `now`) and recognised cơ sở by the director's decision
    (committed); a decision is never dated before the close of its session."""
    unlimited(demo)
    ns = [nomination(db, demo, unit=u) for u in units]
    s = open_session(db, demo, ns, now=now)
    for n in ns:
        vote(db, demo, s, n, len(entitled(demo, n)))
    close(db, demo, s, now=now + dt.timedelta(hours=3))
    decisions.issue(db, demo.actor("giamdoc"), level="co_so", number=number, date=date,
                    nomination_ids=[n.id for n in ns])
    db.commit()
    return ns


def co_so_example(db, demo, *, unit=None, person=None, campaign=None, n=None):
    """A cơ sở example: `n` (or a new submitted nomination) moved to evaluated_co_so with the history row and the
    award record that the director's decision writes (the decision path has its own tests)."""
    n = n or nomination(db, demo, unit=unit, person=person, campaign=campaign)
    from_state = n.state
    n.state = "evaluated_co_so"
    n.furthest_stage = max(n.furthest_stage, stage_rank("evaluated_co_so"))  # as the service's step raises it
    db.flush()  # bumps the version (mapper version_id_col)
    db.add(StateChange(nomination_id=n.id, version=n.version, action="recognize_co_so", from_state=from_state,
                       to_state="evaluated_co_so", actor_id=uid(demo, "giamdoc") if n.department_id ==
                       demo.unit("STP").id else None, data={"decision_number": "9/QĐ-STP"}))
    db.add(AwardRecord(person_id=n.subject_person_id, unit_id=None if n.subject_person_id else n.unit_id,
                       title="dien_hinh_co_so", level="co_so", year=n.campaign.end_date.year,
                       decision_number="9/QĐ-STP", nomination_id=n.id))
    db.flush()
    return n


def nganh_decision(db, demo, ids, number="100/QĐ-BTP", date=DAY, actor="botp"):
    """The Minister's decision recognising `ids` (proposed nominations) at ngành level."""
    actor = demo.actor(actor) if isinstance(actor, str) else actor
    return decisions.issue(db, actor, level="nganh", number=number, date=date, nomination_ids=ids)


# ------------------------------------------------------------------------------------------------ proposals
def draft(db, demo, items, title=None):
    """A draft proposal (Tờ trình) of the secretariat listing `items`."""
    return proposals.create(db, demo.actor("vanphong"), nomination_ids=[n.id for n in items], title=title)


def submit(db, demo, p, number=46, date=DAY, actor="giamdoc"):
    actor = demo.actor(actor) if isinstance(actor, str) else actor
    return proposals.submit(db, actor, p.id, number=number, date=date)


def proposed(db, demo, items, number=46, date=DAY):
    """A proposal listing `items`, submitted to the Minister by the director."""
    return submit(db, demo, draft(db, demo, items), number=number, date=date)


# ------------------------------------------------------------------------------------------------ stories
def png(width: int = 1, height: int = 1) -> bytes:
    """A genuine PNG (uploads decode and re-encode images: this one comes back byte for byte)."""
    return image("PNG", width, height)


def story(db, demo, n, *, body="<p>Nội dung</p>", title="Tấm gương Phòng Hành chính tư pháp", user="bientap",
          published: bool = False):
    """A story of the department's editor about the recognised example `n` (committed), published if asked."""
    s = stories.create(db, demo.actor(user), nomination_id=n.id, title=title, body=body, channel="portal")
    if published:
        s = stories.publish(db, demo.actor(user), s.id, version=s.version)
    db.commit()
    return s


# ------------------------------------------------------------------------------------------------ reading back
def history(db, n, action):
    return db.scalars(select(StateChange).where(StateChange.nomination_id == n.id, StateChange.action == action)
                      ).all()


def actions(db, prefix: str = "") -> list[str]:
    """The audit trail's actions starting with `prefix`, oldest first."""
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith(prefix))
                           .order_by(AuditEvent.id)))


def notified(db, demo, kind: str) -> set[str]:
    """Who received a notification of `kind`."""
    return set(db.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                          .where(Notification.kind == kind)))


# ------------------------------------------------------------------------------------------------ the JSON API
def ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    return r.get_json()


def refused(r, status):
    """A refusal as CONTRACT.md shapes it: problem+json with the status, a detail and the list of reasons."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.content_type == PROBLEM
    body = r.get_json()
    assert body["status"] == status and body["detail"] and isinstance(body["reasons"], list)
    return body


def refs(db, demo) -> SimpleNamespace:
    """Ids of the demo data for API tests."""
    return SimpleNamespace(
        campaign=demo.campaign().id, stp2_campaign=demo.campaign(department="STP2").id,
        pbgdpl=demo.unit("PBGDPL").id, hctp=demo.unit("HCTP").id,
        council=council_of(db, demo).id, stp2_council=council_of(db, demo, "STP2").id,
        users={u.username: u.id for u in db.scalars(select(User))},
        names={u.username: u.full_name for u in db.scalars(select(User))},
    )


# ------------------------------------------------------------------------------------------------ races
def _on_threads(n: int, target, timeout: float) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)


def run_together(calls: list[Callable], *, timeout: float = 120) -> list:
    """Each call on a thread of its own, all released at the same moment (a barrier); their results in order, or
    ("exception", repr) for a call that raised (the assertions report it)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i):
        try:
            barrier.wait(timeout=20)
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[i] = ("exception", repr(exc))

    _on_threads(len(calls), worker, timeout)
    return results


def race(session_factory, calls: list[tuple[str, Callable]], *, refused=(DomainError,), errors: list | None = None,
         timeout: float = 60) -> list[str]:
    """Each (username, call(session, actor)) on a thread and a session of its own, all released at the same moment
    with no transaction held (on SQLite: no lock), committed when it returns. Each result is "ok", the class name of a
    `refused` error (kept in `errors` when given), or the repr of anything else (the assertions report it)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i):
        username, call = calls[i]
        session = session_factory()
        try:
            actor = actor_for(session, session.scalar(select(User).where(User.username == username)))
            session.rollback()
            barrier.wait(timeout=10)
            call(session, actor)
            session.commit()
            results[i] = "ok"
        except refused as exc:
            session.rollback()
            results[i] = type(exc).__name__
            if errors is not None:
                errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            session.rollback()
            results[i] = repr(exc)
        finally:
            session.close()

    _on_threads(len(calls), worker, timeout)
    return results
