"""Changing a council session before it opens: rescheduling (date, hour, place) and editing its title against the
version the editor saw, cancelling it with a reason (its agenda items go back to the pool), and the date rules every
schedule obeys — no meeting in the past, none before its publicity period has run, and a publicity period never
shorter than the legal minimum.

Why a module of its own: these rules are asked by `schedule`, `publish` and `update_council` in
`workflow.council.operations` as well as by the operations here, and they need nothing of the council's other
operations (this module imports only the kernel), so the operations module imports them without a cycle.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models import CouncilSession
from workflow import clock, events, inputs, offers, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Conflict, DomainError
from workflow.labels import SESSION_STATE_LABELS
from workflow.lifecycles import SESSION
from workflow.policy import Actor

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Decree 98/2023/NĐ-CP: the list of those proposed is made public for comments for at least 10 working days before
# the council meets. A deployment may set its own floor (PUBLICITY_MIN_WORKING_DAYS, web/config.py); the test suite
# sets 0 so that its flows reach the council step without waiting for a period.
LEGAL_PUBLICITY_WORKING_DAYS = 10
PUBLICITY_MIN_WORKING_DAYS = LEGAL_PUBLICITY_WORKING_DAYS
PUBLICITY_SOURCE = "Nghị định 98/2023/NĐ-CP"
REASON_LIMIT = 2000
FIELD_LABELS = {"title": "Tên phiên họp", "date": "Ngày họp", "start_time": "Giờ họp", "location": "Địa điểm",
                "reason": "Lý do hủy", "version": "Phiên bản"}
_TIME = re.compile(r"(\d{1,2})[:hH](\d{2})", re.ASCII)
_UNSET = object()


def configure_publicity_minimum(days: int) -> None:
    """Called by the application factory with the PUBLICITY_MIN_WORKING_DAYS setting."""
    global PUBLICITY_MIN_WORKING_DAYS
    PUBLICITY_MIN_WORKING_DAYS = int(days)


def publicity_minimum() -> int:
    return PUBLICITY_MIN_WORKING_DAYS


def publicity_days_error(days: int) -> str | None:
    """Why a council's publicity period of `days` working days is refused (None: it is not)."""
    floor = publicity_minimum()
    if days < floor:
        return (f"Thời hạn công khai lấy ý kiến tối thiểu {floor} ngày làm việc theo {PUBLICITY_SOURCE}; "
                f"không đặt {days} ngày.")
    return None


# ------------------------------------------------------------------------------------------------ dates
def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def past_date_error(day: dt.date, today: dt.date) -> str | None:
    """A meeting is never scheduled (or moved) to a day already gone."""
    if day < today:
        return f"Ngày họp ({day:%d/%m/%Y}) đã qua; chọn từ ngày {today:%d/%m/%Y} trở đi."
    return None


def earliest_after_publicity(s: CouncilSession) -> dt.date | None:
    """The first day the meeting may fall on once its list is public: the day after the period's last working day
    (a period runs to 23:59:59 of that day: `publish`), or the day of publication when there was no period."""
    if s.comments_until is None:
        return None
    until = s.comments_until.astimezone(TZ)
    return until.date() + dt.timedelta(days=1) if until.time() >= dt.time(23, 59) else until.date()


def parse_time(value) -> dt.time | None:
    """An hour as the form shows it ("08:00", "8h30") or a time object; None when empty."""
    if inputs.blank(value):
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str) and (m := _TIME.fullmatch(value.strip())):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise inputs.Invalid("Giờ họp không hợp lệ. Nhập theo dạng giờ:phút, ví dụ 08:00.")


# ------------------------------------------------------------------------------------------------ checks
def _prepare_refusal(actor: Actor, s: CouncilSession):
    return policy.refusal(actor, "prepare", s)


def _not_scheduled(s: CouncilSession, what: str) -> Conflict | None:
    if s.state == "scheduled":
        return None
    if s.state == "cancelled":
        return Conflict(f"Phiên họp đã hủy; không thể {what}.",
                        [f"Đã hủy ngày {local_date(s.cancelled_at):%d/%m/%Y}: {s.cancel_reason}."
                         if s.cancelled_at else "Phiên họp đã hủy."])
    return Conflict(f"Phiên họp đã khai mạc; không thể {what}.",
                    [f"Trạng thái: {SESSION_STATE_LABELS.get(s.state, s.state)}."])


def check_reschedule(actor: Actor, s: CouncilSession) -> DomainError | None:
    return _prepare_refusal(actor, s) or _not_scheduled(s, "dời lịch hoặc sửa thông tin phiên họp")


def check_cancel(actor: Actor, s: CouncilSession) -> DomainError | None:
    if refusal := _prepare_refusal(actor, s) or _not_scheduled(s, "hủy phiên họp"):
        return refusal
    if not SESSION.can_fire(s, "cancel"):
        return Conflict("Không thể hủy phiên họp ở trạng thái hiện tại.",
                        [f"Trạng thái: {SESSION_STATE_LABELS.get(s.state, s.state)}."])
    return None


def offers_for(actor: Actor, s: CouncilSession) -> list[tuple[str, str, DomainError | None, offers.Check, bool]]:
    """The rows `available_actions` lists for these operations: code, label, who, check, irreversible."""
    who = _prepare_refusal(actor, s)
    return [("reschedule", "Dời lịch, sửa thông tin", who, lambda: check_reschedule(actor, s), False),
            ("cancel", "Hủy phiên họp", who, lambda: check_cancel(actor, s), True)]


def _stale(s: CouncilSession, version) -> Conflict | None:
    """An edit sent against an older version than the row holds: refused in words a secretary understands."""
    if version == s.version:
        return None
    start = f" lúc {s.start_time:%H:%M}" if s.start_time else ""
    return Conflict(
        "Phiên họp vừa được người khác thay đổi sau khi bạn mở trang; thay đổi của bạn chưa được lưu.",
        [f"Thông tin hiện tại: “{s.title}”, ngày {s.date:%d/%m/%Y}{start}, địa điểm {s.location or 'chưa xác định'}.",
         "Hãy xem lại thông tin hiện tại rồi nhập lại thay đổi của bạn."])


def _version(form: inputs.Form, value, *, required: bool) -> int | None:
    return form.integer("version", value, required=required, minimum=1)


# ------------------------------------------------------------------------------------------------ operations
def _load(session: Session, actor: Actor, session_id: int) -> CouncilSession:
    return policy.load(session, actor, "council_session", session_id, for_update=True)


def reschedule(session: Session, actor: Actor, session_id: int, *, version, title=_UNSET, date=_UNSET,
               start_time=_UNSET, location=_UNSET, now: dt.datetime | None = None,
               context: Context = CLI) -> CouncilSession:
    """Moves a session not yet opened (date, hour, place) or renames it. `version` is the one the editor saw: an
    older one is a 409 naming the current values. A new date is never in the past and, once the list is public,
    never before its publicity period has run. Fields left out stay as they are; nothing changed, nothing written."""
    s = _load(session, actor, session_id)
    offers.enforce(check_reschedule(actor, s))
    form = inputs.Form("Chưa lưu được thay đổi của phiên họp.")
    expected = _version(form, version, required=True)
    form.check()
    offers.enforce(_stale(s, expected))
    wanted: dict = {}
    if title is not _UNSET:
        wanted["title"] = form.text("title", title, limit=300, required=True)
    if location is not _UNSET:
        wanted["location"] = form.text("location", location, limit=300)
    if start_time is not _UNSET:
        wanted["start_time"] = form.field("start_time", parse_time, start_time)
    if date is not _UNSET:
        day = form.date("date", date, required=True)
        if day is not None and day != s.date:
            today = local_date(now) if now is not None else clock.today()
            if message := past_date_error(day, today):
                form.add("date", message, message)
            earliest = earliest_after_publicity(s)
            if earliest is not None and day < earliest and "date" not in form:
                until = s.comments_until.astimezone(TZ)
                message = (f"Danh sách đã công khai lấy ý kiến đến {until:%H:%M} ngày {until:%d/%m/%Y}; "
                           f"ngày họp sớm nhất là {earliest:%d/%m/%Y}.")
                form.add("date", message, f"{FIELD_LABELS['date']}: {message}")
        wanted["date"] = day
    form.check()
    changes = {field: (_text(getattr(s, field)), _text(value)) for field, value in wanted.items()
               if getattr(s, field) != value}
    if not changes:
        return s
    for field in changes:
        setattr(s, field, wanted[field])
    session.flush()  # the mapper's version counter: "AND version = :old", then version + 1
    signals.emit(session, events.SessionRescheduled(council_session=s, changes=changes, version=s.version,
                                                    actor=actor, context=context))
    return s


def _text(value) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def cancel(session: Session, actor: Actor, session_id: int, *, reason, version=None,
           now: dt.datetime | None = None, context: Context = CLI) -> CouncilSession:
    """Cancels a session not yet opened, with the reason the members are told. Its agenda rows stay as the record
    of what it was to judge, but a cancelled session holds none of them: they are agenda candidates again
    (`held_by_a_session` counts only live sessions and items awaiting a decision). A cancelled session is never
    held: no minutes number, no results, no place in the reports."""
    s = _load(session, actor, session_id)
    offers.enforce(check_cancel(actor, s))
    form = inputs.Form("Chưa hủy được phiên họp.")
    expected = _version(form, version, required=False)
    text = form.text("reason", reason, limit=REASON_LIMIT, required=True)
    if "reason" in form:
        form.errors["reason"] = f"{FIELD_LABELS['reason']}: {form.errors['reason']}"
    form.check()
    if expected is not None:
        offers.enforce(_stale(s, expected))
    SESSION.fire(s, "cancel")
    s.cancelled_at, s.cancelled_by_id, s.cancel_reason = now or clock.now(), actor.id, text
    session.flush()
    signals.emit(session, events.SessionCancelled(council_session=s, reason=text,
                                                  nomination_ids=tuple(i.nomination_id for i in s.items),
                                                  actor=actor, context=context))
    return s
