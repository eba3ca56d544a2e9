"""Deadline reminders (`dienhinh reminders send`): who is reminded of which deadline, and on which days.

Deadlines (seed 004 §V and the campaigns): every unit introduces at least one example by the 10th of each month;
units report to the Văn phòng by 20/10 and the Văn phòng reports to Sở Nội vụ by 30/10 every year; each campaign
has its registration and evaluation deadlines, and a period its sơ kết and tổng kết dates. Each rule is a small
function `rule(session, today)` yielding `Due` reminders. A reminder is queued once per recipient per occurrence:
a `reminder_log` row is inserted in a SAVEPOINT before the notification, and its unique constraint turns a second
(or concurrent) run into a no-op.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Campaign, ReminderLog, Unit, User
from notifications.inbox import holders, notify
from workflow import links, policy

MONTHLY_DAY = 10  # "giới thiệu tối thiểu 01 gương điển hình tiên tiến tiêu biểu vào ngày 10 hàng tháng"
UNIT_REPORT = (10, 20)  # units → Văn phòng Sở, 20/10
OFFICE_REPORT = (10, 30)  # Văn phòng Sở → Sở Nội vụ, 30/10
REPORT_LEADS = (5, 0)  # days before the deadline on which the yearly reports are reminded
CAMPAIGN_LEADS = (7, 0)


@dataclass
class Due:
    kind: str
    deadline: dt.date
    occurrence: str
    users: list[User]
    title: str
    body: str
    link: str | None = None
    object_type: str | None = None
    object_id: int | None = None


def _d(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _when(today: dt.date, deadline: dt.date) -> str:
    left = (deadline - today).days
    return "Hôm nay là hạn cuối." if left == 0 else f"Còn {left} ngày đến hạn."


def _occurrence(key: str, today: dt.date, deadline: dt.date) -> str:
    return f"{key}:{(deadline - today).days}d"


def _unit_heads(session: Session, *, department_id: int | None = None) -> list[User]:
    """Active unit heads of active divisions and district offices (optionally of one department)."""
    stmt = (policy.holders("nomination", "submit").join(Unit, Unit.id == User.unit_id)
            .where(Unit.active.is_(True), Unit.kind.in_(("division", "district_office"))))
    if department_id is not None:
        stmt = stmt.where(Unit.parent_id == department_id)
    return list(session.scalars(stmt.order_by(User.id)).unique())


def monthly_example(session: Session, today: dt.date) -> Iterator[Due]:
    deadline = today.replace(day=MONTHLY_DAY)
    if (deadline - today).days not in REPORT_LEADS:
        return
    yield Due(
        kind="reminder.monthly_example", deadline=deadline,
        occurrence=_occurrence(f"{deadline:%Y-%m}", today, deadline), users=_unit_heads(session),
        title=f"Nhắc việc: giới thiệu gương điển hình tiên tiến tháng {deadline:%m/%Y} (hạn {_d(deadline)})",
        body=(f"Mỗi đơn vị giới thiệu tối thiểu 01 gương điển hình tiên tiến tiêu biểu vào ngày 10 hàng tháng. "
              f"Hạn tháng này: {_d(deadline)}. {_when(today, deadline)}"),
        link=links.path("nominations"),
    )


def _yearly(today: dt.date, month_day: tuple[int, int]) -> dt.date | None:
    deadline = dt.date(today.year, *month_day)
    return deadline if (deadline - today).days in REPORT_LEADS else None


def yearly_unit_report(session: Session, today: dt.date) -> Iterator[Due]:
    deadline = _yearly(today, UNIT_REPORT)
    if deadline is None:
        return
    yield Due(
        kind="reminder.yearly_report_unit", deadline=deadline,
        occurrence=_occurrence(str(deadline), today, deadline), users=_unit_heads(session),
        title=f"Nhắc việc: báo cáo định kỳ năm {deadline.year} gửi Văn phòng Sở (hạn {_d(deadline)})",
        body=(f"Đơn vị gửi báo cáo định kỳ năm {deadline.year} về công tác xây dựng, nhân rộng điển hình tiên tiến "
              f"về Văn phòng Sở tổng hợp trước ngày {_d(deadline)}. {_when(today, deadline)}"),
    )


def yearly_office_report(session: Session, today: dt.date) -> Iterator[Due]:
    deadline = _yearly(today, OFFICE_REPORT)
    if deadline is None:
        return
    yield Due(
        kind="reminder.yearly_report_office", deadline=deadline,
        occurrence=_occurrence(str(deadline), today, deadline), users=holders(session, "report", "send_yearly"),
        title=f"Nhắc việc: báo cáo định kỳ năm {deadline.year} gửi Sở Nội vụ (hạn {_d(deadline)})",
        body=(f"Văn phòng Sở tổng hợp kết quả, báo cáo định kỳ năm {deadline.year} về Sở Nội vụ trước ngày "
              f"{_d(deadline)}. {_when(today, deadline)}"),
    )


def _campaigns_due(session: Session, column, today: dt.date) -> list[Campaign]:
    days = [today + dt.timedelta(days=lead) for lead in CAMPAIGN_LEADS]
    return list(session.scalars(select(Campaign).where(column.in_(days)).order_by(Campaign.id)))


def campaign_registration(session: Session, today: dt.date) -> Iterator[Due]:
    for c in _campaigns_due(session, Campaign.registration_deadline, today):
        deadline = c.registration_deadline
        yield Due(
            kind="reminder.campaign_registration", deadline=deadline,
            occurrence=_occurrence(f"campaign:{c.id}:{deadline}", today, deadline),
            users=_unit_heads(session, department_id=c.department_id),
            title=f"Nhắc việc: hạn đăng ký thi đua “{c.name}” ngày {_d(deadline)}",
            body=f"Đơn vị đăng ký, đề nghị điển hình tiên tiến trước ngày {_d(deadline)}. {_when(today, deadline)}",
            link=links.path("nominations"), object_type="campaign", object_id=c.id,
        )


def campaign_evaluation(session: Session, today: dt.date) -> Iterator[Due]:
    for c in _campaigns_due(session, Campaign.evaluation_deadline, today):
        deadline = c.evaluation_deadline
        yield Due(
            kind="reminder.campaign_evaluation", deadline=deadline,
            occurrence=_occurrence(f"campaign:{c.id}:{deadline}", today, deadline),
            users=holders(session, "campaign", "evaluate", department_id=c.department_id),
            title=f"Nhắc việc: hạn bình xét “{c.name}” ngày {_d(deadline)}",
            body=(f"Văn phòng Sở hoàn thành việc bình xét, đánh giá các hồ sơ trước ngày {_d(deadline)}. "
                  f"{_when(today, deadline)}"),
            link=links.path("campaign", c.id), object_type="campaign", object_id=c.id,
        )


REVIEW_LEADS = (14, 7, 0)  # a review conference needs the units' reports and the examples chosen beforehand
REVIEW_STAGES = {"midterm": ("midterm_review_date", "sơ kết"), "final": ("final_review_date", "tổng kết")}


def campaign_reviews(session: Session, today: dt.date) -> Iterator[Due]:
    """The sơ kết and tổng kết of a campaign (000 §1.4, 002, 004 §V): the department's secretariat prepares the
    report and the conference, every unit head reports and proposes examples to honour."""
    for stage, (field, word) in REVIEW_STAGES.items():
        column = getattr(Campaign, field)
        days = [today + dt.timedelta(days=lead) for lead in REVIEW_LEADS]
        for c in session.scalars(select(Campaign).where(column.in_(days)).order_by(Campaign.id)):
            deadline = getattr(c, field)
            users = (holders(session, "campaign", "evaluate", department_id=c.department_id)
                     + _unit_heads(session, department_id=c.department_id))
            yield Due(
                kind=f"reminder.campaign_{stage}_review", deadline=deadline,
                occurrence=_occurrence(f"campaign:{c.id}:{deadline}", today, deadline), users=users,
                title=f"Nhắc việc: {word} “{c.name}” ngày {_d(deadline)}",
                body=(f"Ngày {_d(deadline)} {word} phong trào “{c.name}”. Các đơn vị gửi báo cáo {word} và đề xuất "
                      f"điển hình tiên tiến tiêu biểu để biểu dương về Văn phòng Sở trước ngày này. "
                      f"{_when(today, deadline)}"),
                link=links.path("nominations"), object_type="campaign", object_id=c.id,
            )


RULES = (campaign_registration, campaign_evaluation, campaign_reviews, monthly_example, yearly_unit_report,
         yearly_office_report)


def _claim(session: Session, kind: str, occurrence: str, user_id: int) -> bool:
    """Insert the log row in a SAVEPOINT; False when this recipient was already reminded of this occurrence."""
    already = session.scalar(select(exists().where(ReminderLog.kind == kind, ReminderLog.occurrence == occurrence,
                                                   ReminderLog.user_id == user_id)))
    if already:
        return False
    try:
        with session.begin_nested():
            session.add(ReminderLog(kind=kind, occurrence=occurrence, user_id=user_id))
    except IntegrityError:  # a concurrent run got there first
        return False
    return True


def queue(session: Session, due: Due) -> int:
    count = 0
    for user in due.users:
        if not _claim(session, due.kind, due.occurrence, user.id):
            continue
        notify(session, [user], kind=due.kind, title=due.title, body=due.body, link=due.link,
               object_type=due.object_type, object_id=due.object_id)
        count += 1
    return count


def due_reminders(session: Session, today: dt.date, rules: Iterable = RULES) -> list[Due]:
    return [due for rule in rules for due in rule(session, today)]


def send(session: Session, today: dt.date) -> int:
    """Queue the reminders due on `today` (in-app notification + e-mail); returns how many were queued.
    The caller commits."""
    return sum(queue(session, due) for due in due_reminders(session, today))
