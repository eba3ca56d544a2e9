"""Who is told what: in-app notifications to whoever must act next, written in the change's transaction."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from models import Notification, Unit, User
from notifications.outbox import email_enabled, opted_out, queue_email
from workflow import links, policy
from workflow.council.queries import active_members
from workflow.labels import ITEM_OUTCOME_LABELS, STATE_LABELS, step_label

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def holders(session: Session, object_type: str, verb: str, **target) -> list[User]:
    """Who is told is who must act next: the active users the policy grants `(object_type, verb)` at `target`."""
    return list(session.scalars(policy.holders(object_type, verb, **target).order_by(User.id)))


@dataclass(frozen=True)
class Message:
    """One notification to send to several users (what `notify` takes)."""

    users: list
    kind: str
    title: str
    body: str = ""
    link: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    exclude_id: int | None = None


def notify(session: Session, users, *, kind: str, title: str, body: str = "", link: str | None = None,
           object_type: str | None = None, object_id: int | None = None, exclude_id: int | None = None) -> list:
    return notify_many(session, [Message(list(users), kind, title, body, link, object_type, object_id, exclude_id)])


_NOTE_COLUMNS = ("user_id", "kind", "title", "body", "link", "object_type", "object_id")


def notify_many(session: Session, messages: list[Message]) -> list:
    """Every message's notifications, then their e-mails: one INSERT (or, with e-mail, one flush giving the ids the
    outbox rows refer to) and one opt-out query per kind, however many messages (a council's close sends one per
    agenda item)."""
    rows = []
    for m in messages:
        for user in {u.id: u for u in m.users if u.id != m.exclude_id}.values():
            rows.append((user, Notification(user_id=user.id, kind=m.kind, title=m.title[:300], body=m.body,
                                            link=m.link, object_type=m.object_type, object_id=m.object_id)))
    if not rows:
        return []
    if not email_enabled():
        # No e-mail, so no outbox row needs the notifications' ids: one multi-row INSERT (the ORM reads ids back one
        # row per statement on SQLite); the notifications returned are the rows written, outside the session.
        table = Notification.__table__
        session.execute(insert(table), [{c: getattr(note, c) for c in _NOTE_COLUMNS} for _, note in rows])
        return [note for _, note in rows]
    session.add_all([note for _, note in rows])
    session.flush()
    muted: dict[str, set[int]] = {}
    for kind in dict.fromkeys(note.kind for _, note in rows):
        muted[kind] = opted_out(session, {u.id for u, note in rows if note.kind == kind}, kind)
    for user, note in rows:
        queue_email(session, user, note, muted=muted[note.kind])
    return [note for _, note in rows]


_NOTIFICATIONS = Notification.__table__


def notify_holders(session: Session, grant: tuple[str, str], target: dict, *, kind: str, title: str, body: str = "",
                   link: str | None = None, object_type: str | None = None, object_id: int | None = None,
                   exclude_id: int | None = None) -> None:
    """`notify` of the `holders` of `grant` (object type, verb) at `target`, but in one statement: with e-mail off
    (no outbox row needs the notifications' ids, nor the users' addresses) the recipients are not read first, the
    rows are an `INSERT ... SELECT` from the holders' own query, in their order (by user id), without the one
    excluded. The rows are those `notify` writes (the same columns and values; `created_at` the column's default,
    taken once for the statement as a multi-row INSERT takes it per row). With e-mail on, `notify` as before."""
    if email_enabled():
        notify(session, holders(session, *grant, **target), kind=kind, title=title, body=body, link=link,
               object_type=object_type, object_id=object_id, exclude_id=exclude_id)
        return
    who = policy.holders(*grant, **target)
    if exclude_id is not None:
        who = who.where(User.id != exclude_id)
    values = {"kind": kind, "title": title[:300], "body": body, "link": link, "object_type": object_type,
              "object_id": object_id, "created_at": _NOTIFICATIONS.c.created_at.default.arg(None)}
    rows = who.with_only_columns(User.id, *(bindparam(f"n_{key}", value, type_=_NOTIFICATIONS.c[key].type)
                                            for key, value in values.items())).order_by(User.id)
    session.execute(insert(_NOTIFICATIONS).from_select(["user_id", *values], rows))


def _recipients(nomination, action: str) -> tuple[tuple[str, str], dict] | None:
    """Whose grant makes them the ones told of a step (`notify_holders`' grant and target), or None."""
    dep, unit = nomination.department_id, nomination.unit_id
    if action == "submit":  # whoever checks the dossier next
        return ("nomination", "return_for_revision"), {"department_id": dep}
    # reject_co_so, recognize_co_so and recognize_nganh are told by the council results and the decisions.
    if action == "reject_nganh":  # the Ministry's outcome goes to whoever keeps the dossier: the department, the unit
        return ("nomination", "edit"), {"department_id": dep, "unit_id": unit}
    if action in ("return_for_revision", "withdraw", "revoke"):  # the unit that submits it
        return ("nomination", "submit"), {"unit_id": unit}
    return None


def on_transitioned(session, *, event, **_):
    nomination, change, actor = event.nomination, event.change, event.actor
    recipients = _recipients(nomination, change.action)
    if recipients is None:
        return
    title = f"{step_label(change.action, change.data)}: {nomination.title}"
    body = f"Hồ sơ “{nomination.title}” chuyển sang trạng thái “{STATE_LABELS[change.to_state]}”."
    if change.action == "submit" and (change.data or {}).get("resubmission"):
        body = (f"Đơn vị đã bổ sung và nộp lại hồ sơ “{nomination.title}” sau khi bị trả lại; "
                f"hồ sơ chuyển sang trạng thái “{STATE_LABELS[change.to_state]}”.")
    if change.comment:
        body += f"\nÝ kiến: {change.comment}"
    notify_holders(session, *recipients, kind=f"nomination.{change.action}", title=title, body=body,
                   link=links.path("nomination", nomination.id), object_type="nomination", object_id=nomination.id,
                   exclude_id=actor.id)


def on_accepted(session, *, event, **_):
    """The unit that submitted the dossier is told the secretariat accepted it (it now waits for the council)."""
    n, change = event.nomination, event.change
    how = " khi lập chương trình phiên họp Hội đồng" if event.via_agenda else ""
    body = f"Văn phòng Sở đã tiếp nhận hồ sơ “{n.title}”{how}; hồ sơ chờ Hội đồng Thi đua – Khen thưởng xét."
    if change.comment:
        body += f"\nÝ kiến: {change.comment}"
    notify_holders(session, ("nomination", "submit"), {"unit_id": n.unit_id}, kind="nomination.accept",
                   title=f"Tiếp nhận hồ sơ: {n.title}", body=body, link=links.path("nomination", n.id),
                   object_type="nomination", object_id=n.id, exclude_id=event.actor.id)


def _council_members(session: Session, council_session) -> list[User]:
    return [m.user for m in active_members(session, council_session.council) if m.user.active]


def on_session_scheduled(session, *, event, **_):
    s = event.council_session
    notify(session, _council_members(session, s), kind="council.scheduled",
           title=f"Lịch họp Hội đồng: {s.title}", body=f"Phiên họp dự kiến ngày {s.date:%d/%m/%Y}.",
           link=links.path("council_session", s.id), object_type="council_session", object_id=s.id,
           exclude_id=event.actor.id)


FIELD_NAMES = {"date": "ngày họp", "start_time": "giờ họp", "location": "địa điểm", "title": "tên phiên họp"}


def _shown(field: str, value) -> str:
    """A changed value as the members read it: dates dd/mm/yyyy, an empty value as "chưa xác định"."""
    if value in (None, ""):
        return "chưa xác định"
    if field == "date":
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return str(value)


def on_session_rescheduled(session, *, event, **_):
    s = event.council_session
    lines = [f"- {FIELD_NAMES.get(field, field).capitalize()}: {_shown(field, old)} → {_shown(field, new)}"
             for field, (old, new) in event.changes.items()]
    moved = "date" in event.changes or "start_time" in event.changes or "location" in event.changes
    notify(session, _council_members(session, s), kind="council.rescheduled",
           title=f"{'Dời lịch' if moved else 'Thay đổi thông tin'} phiên họp: {s.title}",
           body="Phiên họp Hội đồng có thay đổi:\n" + "\n".join(lines),
           link=links.path("council_session", s.id), object_type="council_session", object_id=s.id,
           exclude_id=event.actor.id)


def on_session_cancelled(session, *, event, **_):
    s = event.council_session
    notify(session, _council_members(session, s), kind="council.cancelled",
           title=f"Hủy phiên họp: {s.title}",
           body=f"Phiên họp dự kiến ngày {s.date:%d/%m/%Y} đã bị hủy.\nLý do: {event.reason}",
           link=links.path("council_session", s.id), object_type="council_session", object_id=s.id,
           exclude_id=event.actor.id)


def on_session_opened(session, *, event, **_):
    s = event.council_session
    notify(session, _council_members(session, s), kind="council.opened",
           title=f"Khai mạc phiên họp: {s.title}", body="Phiên họp đã khai mạc; mời thành viên biểu quyết.",
           link=links.path("council_ballot", s.id), object_type="council_session", object_id=s.id,
           exclude_id=event.actor.id)


def _local(value) -> str:
    return value.astimezone(TZ).strftime("%H:%M ngày %d/%m/%Y") if value is not None else ""


def on_list_published(session, *, event, **_):
    """A list made public for comments: the heads of the units whose dossiers are on it learn that their dossiers
    entered publicity (one message each, naming their dossiers), every other account of the department that it may
    read the dossiers and comment until the end of the period. One notification per person."""
    s = event.council_session
    until = _local(s.comments_until)
    link = links.path("council_session", s.id)
    by_unit: dict[int, list] = {}
    for item in s.items:
        by_unit.setdefault(item.nomination.unit_id, []).append(item.nomination)
    heads: dict[int, tuple[User, list]] = {}
    for unit_id, listed in by_unit.items():
        for user in holders(session, "nomination", "submit", unit_id=unit_id):
            heads.setdefault(user.id, (user, []))[1].extend(listed)
    messages = [Message([user], "council.publicity_unit", f"Hồ sơ của đơn vị được công khai lấy ý kiến: {s.title}",
                        "Hồ sơ được công khai: " + "; ".join(f"“{n.title}”" for n in listed)
                        + f". Thời hạn góp ý đến {until}.", link, "council_session", s.id, event.actor.id)
                for user, listed in heads.values()]
    staff = [u for u in holders(session, "council_session", "comment", department_id=s.department_id)
             if u.id not in heads]
    messages.append(Message(staff, "council.published", f"Công khai danh sách lấy ý kiến: {s.title}",
                            f"{len(s.items)} hồ sơ đề nghị công nhận điển hình tiên tiến đang được công khai. "
                            f"Anh/chị có thể xem phần công khai của hồ sơ và góp ý đến {until}.",
                            link, "council_session", s.id, event.actor.id))
    notify_many(session, messages)


def on_proposal_created(session, *, event, **_):
    """A Tờ trình drafted: the director (who signs it) is told it awaits signature."""
    p = event.proposal
    notify(session, holders(session, "proposal", "sign", department_id=p.department_id),
           kind="proposal.awaiting_signature", title=f"Tờ trình chờ ký: {p.title}",
           body=f"Văn phòng Sở đã lập tờ trình đề nghị Bộ Tư pháp công nhận {len(event.nomination_ids)} điển hình "
                "tiên tiến ngành Tư pháp; tờ trình chờ Giám đốc Sở ký và trình Bộ.",
           link=links.path("proposal", p.id), object_type="proposal", object_id=p.id, exclude_id=event.actor.id)


def _tell_decisions_await(session, s, count: int) -> None:
    """Items the council passed wait for the director's decision: told to who signs it, the one who closed the
    session included (the notification stays in the inbox as the task, not as news of their own action)."""
    if not count:
        return
    notify(session, holders(session, "decision", "issue_co_so", department_id=s.department_id),
           kind="decision.awaiting_signature", title=f"Quyết định công nhận chờ ký: {s.title}",
           body=f"{count} hồ sơ đạt tại phiên họp “{s.title}” chờ quyết định công nhận điển hình tiên tiến cấp cơ sở.",
           link=links.path("council_session", s.id), object_type="council_session", object_id=s.id)


def on_example_recognised(session, *, event, **_):
    """An example recognised (cơ sở or ngành): the editors of its department, who write about it, are told."""
    n = event.nomination
    level = "cấp ngành Tư pháp" if event.level == "nganh" else "cấp cơ sở"
    number = f" (Quyết định số {event.decision_number})" if event.decision_number else ""
    notify(session, holders(session, "story", "write", department_id=n.department_id),
           kind="propagation.recognised", title=f"Điển hình tiên tiến {level} mới được công nhận: {n.title}",
           body=f"“{n.title}” được công nhận điển hình tiên tiến {level}{number}. Mời Ban biên tập viết bài giới "
                "thiệu, nhân rộng điển hình.",
           link=links.path("nomination", n.id), object_type="nomination", object_id=n.id, exclude_id=event.actor.id)


def on_many_transitioned(session, *, event, **_):
    """A batch of steps (events.NominationsTransitioned): each told as its single transition would be."""
    for step in event.steps:
        on_transitioned(session, event=step)


def on_session_closed(session, *, event, **_):
    _tell_results(session, event, "closed", concerned=None)
    s = event.council_session
    _tell_decisions_await(session, s, sum(1 for i in s.items if i.outcome == "passed"))


def on_tie_resolved(session, *, event, **_):
    # Only the tied items: the others were told their result when the session closed.
    _tell_results(session, event, "tie_resolved", concerned=set(event.tied))
    _tell_decisions_await(session, event.council_session, len(event.chosen))


def _tell_results(session, event, kind: str, concerned: set[int] | None) -> None:
    """One message per item to the heads of its unit: the heads looked up once per unit (a session's hundreds of
    items come from a handful of units), every notification written in one flush."""
    s = event.council_session
    heads: dict[int, list[User]] = {}
    messages = []
    for item in s.items:
        if concerned is not None and item.nomination_id not in concerned:
            continue
        n = item.nomination
        if n.unit_id not in heads:
            heads[n.unit_id] = holders(session, "nomination", "submit", unit_id=n.unit_id)
        outcome = ITEM_OUTCOME_LABELS.get(item.outcome or "", "Không xét")
        messages.append(Message(heads[n.unit_id], f"council.{kind}", f"Kết quả bình xét: {n.title}",
                                f"Phiên họp “{s.title}”: {outcome}.", links.path("nomination", n.id),
                                "nomination", n.id, event.actor.id))
    notify_many(session, messages)


def on_decision_issued(session, *, event, **_):
    decision, actor = event.decision, event.actor
    for n in event.nominations:
        users = holders(session, "nomination", "submit", unit_id=n.unit_id)
        if decision.level == "nganh":  # the Ministry's outcome also goes to who drafts the department's proposals
            users += holders(session, "proposal", "draft", department_id=n.department_id)
        if n.subject_person_id is not None:
            users += list(session.scalars(select(User).where(User.person_id == n.subject_person_id,
                                                             User.active.is_(True))))
        notify(session, users, kind="decision.issued", title=f"Quyết định {decision.number}: {n.title}",
               body=f"Quyết định số {decision.number} ngày {decision.date:%d/%m/%Y} công nhận “{n.title}”.",
               link=links.path("decision", decision.id), object_type="decision", object_id=decision.id,
               exclude_id=actor.id)


def on_proposal_submitted(session, *, event, **_):
    proposal, actor = event.proposal, event.actor
    reviewers = holders(session, "nomination", "recognize_nganh")
    notify(session, reviewers, kind="proposal.submitted",
           title=f"Tờ trình {proposal.number}: {proposal.department.name}",
           body=(f"{proposal.department.name} đề nghị công nhận {len(proposal.items)} "
                 "điển hình tiên tiến ngành Tư pháp."),
           link=links.path("proposal", proposal.id), object_type="proposal", object_id=proposal.id, exclude_id=actor.id)


def _period(d) -> str:
    return f"từ {d.starts_on:%d/%m/%Y} đến {d.ends_on:%d/%m/%Y}"


def on_delegation_granted(session, *, event, **_):
    """Both people are told: the deputy that they sign "KT. GIÁM ĐỐC" for the period, the director that it is
    recorded (a grant made from another browser or the API shows up in their inbox)."""
    d = event.delegation
    notify(session, [d.deputy], kind="delegation.granted",
           title=f"Anh/chị được ủy quyền ký thay Giám đốc Sở {_period(d)}",
           body=f"{d.director.full_name} ủy quyền ký (KT. GIÁM ĐỐC / {d.deputy_title}).",
           link=links.path("delegations"), object_type="delegation", object_id=d.id)
    notify(session, [d.director], kind="delegation.granted",
           title=f"Đã ủy quyền ký cho {d.deputy.full_name} {_period(d)}",
           body=f"{d.deputy.full_name} ký KT. GIÁM ĐỐC / {d.deputy_title} trong thời gian này.",
           link=links.path("delegations"), object_type="delegation", object_id=d.id)


def on_delegation_ended(session, *, event, **_):
    d = event.delegation
    what = "Đã hủy ủy quyền ký (chưa bắt đầu)" if event.cancelled else f"Ủy quyền ký kết thúc ngày {d.ends_on:%d/%m/%Y}"
    notify(session, [d.deputy, d.director], kind="delegation.ended",
           title=f"{what}: {d.director.full_name} → {d.deputy.full_name}",
           body=f"Ủy quyền {_period(d)} không còn hiệu lực; từ nay {d.deputy.full_name} không ký thay Giám đốc Sở.",
           link=links.path("delegations"), object_type="delegation", object_id=d.id)


def _closed_and_successor(event) -> tuple[list[int], int | None]:
    d = event.details
    if event.kind == "merge":
        return [s["id"] for s in d.get("sources", [])], d["into"]["id"]
    if event.kind == "split":
        heir = next((p["id"] for p in d.get("parts", []) if p.get("inherits_records")), None)
        return [event.unit_id], heir
    if event.kind == "close":
        return [event.unit_id], (d.get("successor") or {}).get("id")
    return [], None


def on_unit_reorganised(session, *, event, **_):
    """A unit that closes (merged, split, dissolved): its accounts are told when the change is recorded — before the
    effective date when it is set ahead — that the unit's scope ends that day; the successor's heads that the merged
    units' nominations and records pass to them."""
    closed, successor_id = _closed_and_successor(event)
    if not closed:
        return
    when = dt.date.fromisoformat(event.effective_date)
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_([*closed, successor_id or 0]))).all())
    successor = names.get(successor_id)
    people = session.scalars(select(User).where(User.unit_id.in_(closed), User.active.is_(True))).all()
    for unit_id in closed:
        users = [u for u in people if u.unit_id == unit_id]
        then = f"; hồ sơ đang xử lý và thành tích chuyển sang “{successor}”" if successor else ""
        notify(session, users, kind="unit.closing",
               title=f"Đơn vị “{names.get(unit_id, '')}” thôi hoạt động từ ngày {when:%d/%m/%Y}",
               body=f"Từ ngày {when:%d/%m/%Y}, tài khoản không còn phạm vi của đơn vị này{then}.",
               object_type="unit", object_id=unit_id)
    if successor_id is not None:
        heads = session.scalars(policy.holders("nomination", "submit", unit_id=successor_id)).all()
        merged = ", ".join(f"“{names.get(u, '')}”" for u in closed)
        notify(session, heads, kind="unit.succeeding",
               title=f"“{successor}” kế thừa {merged} từ ngày {when:%d/%m/%Y}",
               body="Hồ sơ, cá nhân và thành tích của đơn vị tiền thân thuộc phạm vi của đơn vị từ ngày hiệu lực.",
               object_type="unit", object_id=successor_id)
