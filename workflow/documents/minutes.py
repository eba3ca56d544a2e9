"""Part of workflow.documents (see its docstring)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgendaItem, CouncilMember, CouncilSession, Nomination, PublicComment, Unit, User
from workflow.council.operations import FUNCTION_LABELS, OUTCOME_LABELS, recusal_reason, share
from workflow.council.queries import active_members, held_on
from workflow.council.turnout import present_not_voted
from workflow.documents.common import (
    _body,
    _cell,
    _closing,
    _council_issuer,
    _excerpt,
    _header,
    _heading,
    _local_date,
    _new_document,
    _para,
    _row_flags,
    _signer_block,
    _table,
    _title,
    _to_bytes,
    issuer_of,
    vn_count,
    vn_date,
    vn_int,
    vn_percent,
    vn_short_date,
    vn_time,
)
from workflow.documents.decision import _period, _subject_name, _subjects_phrase, names_on
from workflow.labels import SUBJECT_TYPE_LABELS


# ------------------------------------------------------------------------------------------------ the minutes
@dataclass(frozen=True)
class _Member:
    user: User
    function: str
    present: bool | None  # None: attendance not recorded yet


def _roster(session: Session, s: CouncilSession) -> list[_Member]:
    """The members the minutes speak of: those whose attendance was recorded (the council may have changed since),
    plus, while the session is not closed, active members not yet recorded. Chair first, then by function."""
    functions = {m.user_id: m for m in session.scalars(
        select(CouncilMember).where(CouncilMember.council_id == s.council_id))}
    roster = [_Member(session.get(User, a.user_id), functions[a.user_id].function if a.user_id in functions
                      else "uy_vien", a.present) for a in s.attendance]
    if s.state != "closed":
        recorded = {a.user_id for a in s.attendance}
        roster += [_Member(m.user, m.function, None) for m in active_members(session, s.council)
                   if m.user_id not in recorded]
    order = list(FUNCTION_LABELS)
    return sorted(roster, key=lambda m: (order.index(m.function) if m.function in order else len(order), m.user.id))


def _presiding(roster: list[_Member], function: str, fallback: str | None = None) -> _Member | None:
    """Who signs for a function: the holder if present, else a present holder of `fallback`, else the holder."""
    holders = [m for m in roster if m.function == function]
    present = [m for m in holders if m.present]
    if present:
        return present[0]
    backup = [m for m in roster if m.function == fallback and m.present] if fallback else []
    return (backup or holders or [None])[0]


def _member_line(m: _Member) -> str:
    """"Nguyễn Văn Giám, Giám đốc Sở – Chủ tịch Hội đồng": name, position, function. Never a choice."""
    person = m.user.person
    position = f", {person.position}" if person is not None and person.position else ""
    return f"- {m.user.full_name}{position} – {FUNCTION_LABELS.get(m.function, 'Ủy viên')} Hội đồng;"


def _time_place(doc, s: CouncilSession) -> None:
    _heading(doc, "I. THỜI GIAN, ĐỊA ĐIỂM")
    opened = f"Khai mạc lúc {vn_time(s.opened_at)}, {vn_date(_local_date(s.opened_at))}" if s.opened_at else \
        f"{vn_date(s.date).capitalize()}"
    if s.opened_at and held_on(s) != s.date:  # held on another day than planned: both, the held day first
        opened += f" (theo lịch dự kiến {vn_date(s.date)})"
    _body(doc, f"{opened}.", lead="1. Thời gian:")
    _body(doc, f"{s.location}." if s.location else "Chưa ghi nhận.", lead="2. Địa điểm:")
    campaign = s.campaign
    if campaign is not None:
        _body(doc, f"{campaign.name}.", lead="3. Phong trào thi đua:")


def _composition(doc, s: CouncilSession, roster: list[_Member]) -> None:
    """Who was there and who was not, with their functions; then the quorum the session was judged by."""
    _heading(doc, "II. THÀNH PHẦN THAM DỰ")
    present = [m for m in roster if m.present]
    absent = [m for m in roster if m.present is False]
    unknown = [m for m in roster if m.present is None]
    _body(doc, f"{vn_count(len(present))} thành viên:" if present else "chưa ghi nhận.",
          lead="1. Thành viên Hội đồng có mặt:")
    for m in present:
        _body(doc, _member_line(m))
    _body(doc, f"{vn_count(len(absent))} thành viên:" if absent else "không có.", lead="2. Thành viên vắng mặt:")
    for m in absent:
        _body(doc, _member_line(m))
    if unknown:
        _body(doc, f"{vn_count(len(unknown))} thành viên:", lead="Thành viên chưa được điểm danh:")
        for m in unknown:
            _body(doc, _member_line(m))
    secretary = _presiding(roster, "thuong_truc")
    if secretary is not None:
        _body(doc, f"{secretary.user.full_name}, {FUNCTION_LABELS['thuong_truc']} Hội đồng.", lead="3. Thư ký:")
    _quorum(doc, s, roster)


def _quorum(doc, s: CouncilSession, roster: list[_Member]) -> None:
    """The quorum as recorded when the session closed (settings may change later); before that, provisional."""
    if s.state == "closed" and s.members_total is not None:
        present, total, required, met = s.present_count or 0, s.members_total, s.quorum_required, s.quorum_met
        note = ""
    else:
        present = sum(1 for m in roster if m.present)
        total, required = len(roster), s.council.quorum
        met = total > 0 and share(present, total) >= required
        note = " (tạm tính theo điểm danh hiện tại)"
    ratio = Decimal(present) / Decimal(total) if total else Decimal(0)
    verdict = "đủ" if met else "không đủ"
    _body(doc, f"có mặt {vn_int(present)}/{vn_int(total)} thành viên ({vn_percent(ratio)}); tỷ lệ tối thiểu theo "
               f"quy chế: {vn_percent(required)} tổng số thành viên Hội đồng. Phiên họp {verdict} điều kiện tiến "
               f"hành{note}.", lead="4. Số thành viên tham dự:")


def _ballots_in(doc, session: Session, s: CouncilSession) -> None:
    """How many present members voted (never what), once closed: the chair had to confirm closing without the
    others (workflow/council/turnout.py), and the minutes keep that on record."""
    if s.state != "closed":
        return
    present = sum(1 for a in s.attendance if a.present)
    missing = present_not_voted(session, s)
    if missing:
        text = (f"{vn_int(present - missing)}/{vn_int(present)} thành viên có mặt đã bỏ phiếu; {vn_count(missing)} "
                "thành viên có mặt không bỏ phiếu (Chủ tọa đã xác nhận kết thúc phiên họp khi các thành viên này chưa "
                "bỏ phiếu).")
    else:
        text = f"tất cả {vn_int(present)} thành viên có mặt đã bỏ phiếu." if present else "không có phiếu."
    _body(doc, text, lead="5. Bỏ phiếu:")


def _publicity(doc, session: Session, s: CouncilSession) -> None:
    """When the list was public, and what was said: counts per item and the comments themselves (public)."""
    _heading(doc, "III. CÔNG KHAI DANH SÁCH VÀ Ý KIẾN GÓP Ý")
    if s.published_at is None:
        _body(doc, "Danh sách đề nghị chưa được công khai để lấy ý kiến.")
        return
    until = f" đến hết {vn_time(s.comments_until)}, {vn_date(_local_date(s.comments_until))}" \
        if s.comments_until else ""
    _body(doc, f"Danh sách các tập thể, cá nhân được đề nghị đã được công khai từ "
               f"{vn_date(_local_date(s.published_at))}{until} để lấy ý kiến.")
    comments = list(session.scalars(select(PublicComment).where(PublicComment.session_id == s.id)
                                    .order_by(PublicComment.created_at, PublicComment.id)))
    _body(doc, f"Tổng số ý kiến góp ý nhận được: {vn_count(len(comments))}.")
    for item in s.items:
        mine = [c for c in comments if c.nomination_id == item.nomination_id]
        _body(doc, f"- Hồ sơ “{item.nomination.title}”: {vn_count(len(mine))} ý kiến"
                   + (":" if mine else "."))
        for c in mine:
            author = c.author.full_name if c.author is not None else "Không rõ người góp ý"
            day = vn_short_date(_local_date(c.created_at))
            _body(doc, f"+ “{_excerpt(c.text, 500)}” (ý kiến của {author}, {day}).")


def _item_subject(n: Nomination, names: Callable[[Unit | None], str]) -> str:
    """"Tập thể: Phòng Hành chính tư pháp." or "Cá nhân: Phan Thị Kim Oanh, Chuyên viên; đơn vị: Phòng Hành chính tư
    pháp." (a collective is its own unit, so the unit is not repeated). `names`: units as named on the session's
    date."""
    label = SUBJECT_TYPE_LABELS.get(n.subject_type, "")
    if n.subject_type != "individual":
        return f"{label}: {_subject_name(n, names)}."
    person = n.subject_person
    position = f", {person.position}" if person is not None and person.position else ""
    unit = f"; đơn vị: {names(n.unit)}" if n.unit is not None else ""
    return f"{label}: {_subject_name(n, names)}{position}{unit}."


def _outcome(item: AgendaItem) -> str:
    if item.outcome is None:
        return "Không xét"
    return OUTCOME_LABELS.get(item.outcome, "Không xác định")


def _results(doc, s: CouncilSession, roster: list[_Member], pass_threshold,
             names: Callable[[Unit | None], str]) -> None:
    """Per item: subject and unit, the counts (never who chose what), recused members by name (recusal is public),
    the share with a decimal comma, the outcome and its note; then a table of the same counts."""
    _heading(doc, "IV. NỘI DUNG VÀ KẾT QUẢ BÌNH XÉT")
    _body(doc, f"Chương trình phiên họp gồm {vn_count(len(s.items))} hồ sơ đề nghị, biểu quyết theo hình thức bỏ phiếu "
               "kín. Hồ sơ được "
               f"công nhận khi có số phiếu đồng ý đạt từ {vn_percent(pass_threshold)} trở lên so với tổng số thành "
               "viên Hội đồng có quyền biểu quyết đối với hồ sơ đó (không tính thành viên không tham gia biểu quyết "
               "vì liên quan đến hồ sơ).")
    closed = s.state == "closed"
    for pos, item in enumerate(s.items, start=1):
        n = item.nomination
        _para(doc, f"{pos}. {n.title}", bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, indent_cm=1.0,
              keep_next=True)
        _body(doc, _item_subject(n, names))
        recused = [m.user.full_name for m in roster if recusal_reason(m.user, n)]
        if recused:
            _body(doc, f"- Thành viên không tham gia biểu quyết vì liên quan đến hồ sơ: {', '.join(recused)}.")
        if not closed or item.entitled is None:
            _body(doc, "- Chưa có kết quả.")
            continue
        _body(doc, f"- Số thành viên có quyền biểu quyết: {vn_int(item.entitled)}; không tham gia biểu quyết: "
                   f"{vn_int(item.recused or 0)}. Kết quả: {vn_int(item.agree or 0)} phiếu đồng ý, "
                   f"{vn_int(item.disagree or 0)} phiếu không đồng ý, {vn_int(item.abstain or 0)} phiếu không biểu "
                   f"quyết; tỷ lệ đồng ý {vn_percent(item.share)}.")
        note = f" ({item.outcome_note.strip().rstrip('.')})" if item.outcome_note else ""
        _body(doc, f"{_outcome(item)}{note}.", lead="- Kết quả:")
    if closed:
        _results_table(doc, s)
    else:
        _body(doc, "Chưa có kết quả: phiên họp chưa kết thúc.", italic=True)


def _results_table(doc, s: CouncilSession) -> None:
    """The tally of every item at a glance. Only numbers: a column per choice, no column per member."""
    _para(doc, "Bảng tổng hợp kết quả biểu quyết", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6,
          keep_next=True)
    widths = (0.8, 3.7, 1.7, 1.7, 1.3, 1.7, 1.7, 1.5, 2.4)
    heads = ("TT", "Hồ sơ", "Có quyền biểu quyết", "Không tham gia", "Đồng ý", "Không đồng ý", "Không biểu quyết",
             "Tỷ lệ đồng ý", "Kết quả")
    table = _table(doc, 1, widths, grid=True)
    _row_flags(table.rows[0], header=True)
    center = WD_ALIGN_PARAGRAPH.CENTER
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        _cell(cell, text, size=10.5, bold=True, align=center)
    for pos, item in enumerate(s.items, start=1):
        row = table.add_row()
        _row_flags(row)
        values = (str(pos), item.nomination.title, *(vn_int(v or 0) for v in (
            item.entitled, item.recused, item.agree, item.disagree, item.abstain)), vn_percent(item.share),
            _outcome(item))
        for i, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            _cell(cell, text, size=11, align=WD_ALIGN_PARAGRAPH.LEFT if i in (1, 8) else center)


def _quota(doc, s: CouncilSession, names: Callable[[Unit | None], str]) -> None:
    """How the campaign's quota per subject type was applied: items that met the threshold, ranked by share."""
    _heading(doc, "V. ÁP DỤNG CHỈ TIÊU")
    campaign = s.campaign
    quotas = campaign.quotas if campaign is not None else {}
    for subject_type in ("collective", "individual"):
        label = SUBJECT_TYPE_LABELS[subject_type].lower()
        quota = quotas.get(subject_type)
        limit = f"chỉ tiêu của phong trào là {vn_count(quota)} {label}" if quota is not None \
            else "phong trào không quy định chỉ tiêu"
        items = [i for i in s.items if i.nomination.subject_type == subject_type]
        if not items:
            continue
        _body(doc, f"- {SUBJECT_TYPE_LABELS[subject_type]}: {limit}.")
        if s.state != "closed" or not s.quorum_met:
            continue
        ranked = sorted((i for i in items if i.rank is not None), key=lambda i: i.rank)
        if not ranked:
            _body(doc, "+ Không có hồ sơ đạt tỷ lệ biểu quyết.")
        for i in ranked:
            _body(doc, f"+ Xếp hạng {i.rank}: {_subject_name(i.nomination, names)} – "
                       f"tỷ lệ đồng ý {vn_percent(i.share)} – {_outcome(i)}.")


def _conclusion(doc, s: CouncilSession, period: str, names: Callable[[Unit | None], str]) -> None:
    _heading(doc, "VI. KẾT LUẬN")
    if s.state != "closed":
        _body(doc, "Chưa có kết quả.")
        return
    if not s.quorum_met:
        _body(doc, "Phiên họp không đủ số thành viên tham dự theo quy định; kết quả biểu quyết không được áp dụng. "
                   "Các hồ sơ được đưa ra xét tại phiên họp khác.")
        return
    passed = [i.nomination for i in s.items if i.outcome == "passed"]
    collectives = sum(1 for n in passed if n.subject_type == "collective")
    if passed:
        _body(doc, f"Hội đồng thống nhất đề nghị Giám đốc Sở xem xét, công nhận điển hình tiên tiến cấp cơ sở {period} "
                   f"đối với {_subjects_phrase(collectives, len(passed) - collectives)}:")
        for n in passed:
            _body(doc, f"- {_subject_name(n, names)} ({SUBJECT_TYPE_LABELS.get(n.subject_type, '').lower()}).")
    else:
        _body(doc, "Không có hồ sơ đạt kết quả bình xét.")
    ties = [i for i in s.items if i.outcome == "tie"]
    if ties:
        _body(doc, f"Có {vn_count(len(ties))} hồ sơ bằng phiếu tại ngưỡng chỉ tiêu, chờ Chủ tịch Hội đồng quyết định.")


def _name(member: _Member | None) -> str:
    return member.user.full_name if member is not None else ""


def minutes_number_text(s: CouncilSession) -> str | None:
    """"3/BB-HĐTĐKT": the number the session took in its council's register when it closed; None before the close.
    The one home of it: the .docx prints it, the council's page and the API show it."""
    return f"{s.minutes_seq}/BB-HĐTĐKT" if s.minutes_seq else None


def minutes_number(s: CouncilSession) -> str:
    """The number as the header prints it: blank before the close (the minutes of an open session are a draft)."""
    return minutes_number_text(s) or "      /BB-HĐTĐKT"


def minutes_docx(session: Session, council_session: CouncilSession) -> bytes:
    """The Biên bản of a council session: time and place, composition and quorum, publicity and comments, each item's
    counts and outcome, the quota, the conclusion and the close, signed by the secretary and the presiding chair.
    Generated at any state; before the close the results read "Chưa có kết quả"."""
    s = council_session
    department = session.get(Unit, s.department_id)
    campaigns = [s.campaign] if s.campaign is not None else []
    held = held_on(s)  # the header, the body and the decisions cite the day it was held (opened), not the plan
    period = _period(campaigns, held.year)
    roster = _roster(session, s)
    threshold = s.pass_threshold_applied if s.pass_threshold_applied is not None else s.council.pass_threshold
    names = names_on(session, held)  # the units as they were named on the day the council sat (issue 16)
    doc = _new_document()
    _header(doc, _council_issuer(department, name=names(department)), minutes_number(s), held)
    body_name = issuer_of(department, name=names(department)).short_name
    _title(doc, "BIÊN BẢN", [f"Họp Hội đồng Thi đua – Khen thưởng {body_name} xét công nhận",
                            f"điển hình tiên tiến cấp cơ sở {period}"])
    _time_place(doc, s)
    _composition(doc, s, roster)
    _ballots_in(doc, session, s)
    _publicity(doc, session, s)
    _results(doc, s, roster, threshold, names)
    _quota(doc, s, names)
    _conclusion(doc, s, period, names)
    if s.closed_at is not None:
        _body(doc, f"Phiên họp kết thúc vào lúc {vn_time(s.closed_at)}, {vn_date(_local_date(s.closed_at))}.")
    else:
        _body(doc, "Phiên họp chưa kết thúc.", italic=True)
    secretary = _presiding(roster, "thuong_truc")
    chair = _presiding(roster, "chu_tich", fallback="pho_chu_tich")
    _closing(
        doc,
        lambda cell: _signer_block(cell, capacity=None, title="THƯ KÝ", name=_name(secretary),
                                   subtitle=f"{FUNCTION_LABELS['thuong_truc']} Hội đồng"),
        lambda cell: _signer_block(cell, capacity=None, title="CHỦ TỌA", name=_name(chair),
                                   subtitle=f"{FUNCTION_LABELS[chair.function if chair else 'chu_tich']} Hội đồng"),
    )
    return _to_bytes(doc)


