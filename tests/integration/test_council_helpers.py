"""Helpers shared by the council tests (test_council_*.py, test_decisions_*.py, test_service_council_steps.py).

No tests here; the module is named like its siblings because it belongs with them. Imported by its bare name
(pytest's default "prepend" import mode puts tests/integration on sys.path).

The demo council (workflow/demo.py): giamdoc (chu_tich, unit STP), vanphong (thuong_truc, VP, person Lê Văn Phúc),
hoidong1 (PBGDPL, Huỳnh Văn Đức), hoidong2 (head of TTR), hoidong3 (head of XDKT), hoidong4 (head of TGPL),
hoidong5 (head of VP, Trần Thị Thu Hà). Nobody of the council belongs to HCTP, PTP-LX or PTP-CD.
"""
from __future__ import annotations

import datetime as dt

import pytest
from samples import PDF
from sqlalchemy import select

from models import AgendaItem, AuditEvent, Campaign, Nomination, Notification, StateChange
from workflow import council, rules, service

MEMBERS = ["giamdoc", "vanphong", "hoidong1", "hoidong2", "hoidong3", "hoidong4", "hoidong5"]
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)  # Monday 01/06/2026, 09:00 in Viet Nam
LATER = NOW + dt.timedelta(hours=3)


@pytest.fixture
def db(rolled_back_db):
    """Overrides conftest's `db`: the demo data seeded once per module, each test rolled back."""
    return rolled_back_db


def uid(demo, username: str) -> int:
    return demo.user(username).id


def nominate(db, demo, *, unit: str | None = None, person: str | None = None, campaign: Campaign | None = None,
             state: str = "submitted", title: str | None = None) -> Nomination:
    """A nomination written straight into `state` (default submitted): the council judges what is submitted and does
    not care how it got there; the dossier path has its own tests (and `submit_via_service` below)."""
    campaign = campaign or demo.campaign()
    if person is not None:
        p = demo.person(person)
        u, subject_type, key = p.unit, "individual", f"p:{p.id}"
    else:
        p, u = None, demo.unit(unit)
        subject_type, key = "collective", f"u:{u.id}"
    n = Nomination(campaign_id=campaign.id, department_id=u.department_id, unit_id=u.id, subject_type=subject_type,
                   subject_person_id=p.id if p else None, subject_key=key, title=title or (person or u.name),
                   achievements="Thành tích nổi bật", state=state)
    db.add(n)
    db.flush()
    db.add(StateChange(nomination_id=n.id, version=1, action="create", from_state=None, to_state=state, data={}))
    db.flush()
    return n


def submit_via_service(db, demo, tmp_path, head: str, *, unit: str | None = None, person: str | None = None,
                       title: str = "Hồ sơ") -> Nomination:
    """The real path: registered → nurtured → submitted by the unit head, with a complete dossier."""
    actor = demo.actor(head)
    if person is not None:
        n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="individual",
                                      person_id=demo.person(person).id, title=title)
    else:
        n = service.create_nomination(db, actor, campaign_id=demo.campaign().id, subject_type="collective",
                                      unit_id=demo.unit(unit).id, title=title)
    answers = {c.code: {"met": True, "evidence": "Có"} for c in rules.criteria_for(n.subject_type, "annual")}
    n = service.update_nomination(db, actor, n.id, n.version, achievements="Thành tích nổi bật", criteria=answers)
    service.add_attachment(db, actor, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    n = service.transition(db, actor, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    return service.transition(db, actor, n.id, "submit", n.version)


def council_of(db, demo):
    return council.council_for_department(db, demo.unit("STP").id)


def schedule(db, demo, items, *, campaign: Campaign | None = None, now=NOW, date: dt.date | None = None,
             publicity_days: int | None = 0, publish: bool = True):
    if publicity_days is not None:
        council_of(db, demo).publicity_working_days = publicity_days
    sec = demo.actor("vanphong")
    s = council.schedule(db, sec, title="Phiên họp bình xét", date=date or (now.date() + dt.timedelta(days=30)),
                         campaign_id=(campaign or demo.campaign()).id)
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
    return [u for u in members if council.recusal_reason(demo.user(u), n) is None]


def vote(db, demo, s, n: Nomination, agree: int, disagree: int = 0, abstain: int = 0, *, voters=None):
    """`agree` + `disagree` + `abstain` votes on `n`, by its entitled members in the order of MEMBERS."""
    voters = list(voters or entitled(demo, n))
    choices = ["agree"] * agree + ["disagree"] * disagree + ["abstain"] * abstain
    assert len(choices) <= len(voters), "more votes than entitled members"
    for username, choice in zip(voters, choices, strict=False):
        council.cast_vote(db, demo.actor(username), s.id, nomination_id=n.id, choice=choice)


def close(db, demo, s, *, now=LATER):
    return council.close_session(db, demo.actor("giamdoc"), s.id, now=now)


def item_of(s, n: Nomination):
    return next(i for i in s.items if i.nomination_id == n.id)


def actions(db, prefix: str = "") -> list[str]:
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith(prefix))
                           .order_by(AuditEvent.id)))


def notified(db, demo, kind: str) -> set[str]:
    from models import User

    return set(db.scalars(select(User.username).join(Notification, Notification.user_id == User.id)
                          .where(Notification.kind == kind)))
