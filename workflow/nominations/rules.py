"""Eligibility rules of Kế hoạch 79/KH-STP §II.2 (seed 000) and 98/KH-STP §II.1 (seed 001), and the criteria
checklist a dossier answers.

Each rule is a named check with a Vietnamese explanation, a citation and a result: pass, fail, or judgement
(left to the council). Hard rules block `submit` (stage "submit") or `propose_nganh` (stage "propose").
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Protocol

from sqlalchemy import bindparam, event, exists, select
from sqlalchemy.orm import Session

from models import AwardRecord, Campaign, DisciplineRecord, Nomination, Person, StateChange
from models.plain import PlainSelect
from workflow.administration import unit_history
from workflow.labels import AWARD_TITLES
from workflow.nominations.machine import RECOGNISED_STATES

SEED_000 = "Kế hoạch 79/KH-STP ngày 27/4/2023, mục II.2"
SEED_001 = "Kế hoạch 98/KH-STP ngày 13/7/2021, mục II.1"

ELIGIBLE_EMPLOYMENT = ("cong_chuc", "vien_chuc", "nguoi_lao_dong", "tap_su")
HIGH_AWARD_LEVELS = ("bo", "tinh", "nha_nuoc")


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    subject_types: tuple[str, ...] = ("collective", "individual")
    campaign_kinds: tuple[str, ...] = ("annual", "period", "thematic", "peak")


CRITERIA: tuple[Criterion, ...] = (
    Criterion("noi_bo_doan_ket", "Nội bộ đoàn kết, gương mẫu, chấp hành tốt đường lối, chủ trương của Đảng, "
              "chính sách, pháp luật của Nhà nước"),
    Criterion("hoan_thanh_xuat_sac", "Hoàn thành xuất sắc các nhiệm vụ được giao"),
    Criterion("sang_kien_mo_hinh", "Có phong trào thi đua sôi nổi; mô hình mới, cách làm hay, sáng kiến, giải pháp "
              "sáng tạo mang lại hiệu quả thiết thực"),
    Criterion("tuong_than_tuong_ai", "Tinh thần đoàn kết, tương thân tương ái, giúp đỡ mọi người cùng tiến bộ; "
              "tích cực tham gia hoạt động xã hội, nhân đạo, từ thiện"),
    Criterion("du_dieu_kien_tldxs", "Đủ điều kiện xét tặng danh hiệu Tập thể Lao động xuất sắc trở lên (hoặc Bằng "
              "khen, Cờ thi đua của UBND tỉnh; Giấy khen Giám đốc Sở đối với Phòng Tư pháp)", ("collective",)),
    Criterion("du_dieu_kien_cstdcs", "Đủ điều kiện xét tặng danh hiệu Chiến sĩ thi đua cơ sở trở lên (hoặc Bằng khen "
              "của Bộ trưởng Bộ Tư pháp theo chuyên đề)", ("individual",)),
    Criterion("pham_chat_chinh_tri", "Phẩm chất chính trị vững vàng, đạo đức, lối sống lành mạnh, tinh thần trách "
              "nhiệm cao, năng động, sáng tạo; đoàn kết, phối hợp tốt trong công tác", ("individual",)),
    Criterion("be_day_thanh_tich", "Có bề dày thành tích được Bộ, Ngành, Tỉnh và cấp Nhà nước tặng thưởng trong "
              "giai đoạn", campaign_kinds=("period",)),
)


def criteria_for(subject_type: str, campaign_kind: str) -> list[Criterion]:
    return list(_criteria_of(subject_type, campaign_kind))


_CRITERIA_OF: dict[tuple[str, str], tuple[Criterion, ...]] = {}


def _criteria_of(subject_type: str, campaign_kind: str) -> tuple[Criterion, ...]:
    """The criteria of a kind of dossier, chosen once per (subject type, campaign kind): every detail and checklist
    asks (two or three times a request) and the answer is a fact of the table above."""
    found = _CRITERIA_OF.get((subject_type, campaign_kind))
    if found is None:
        found = _CRITERIA_OF[subject_type, campaign_kind] = tuple(
            c for c in CRITERIA if subject_type in c.subject_types and campaign_kind in c.campaign_kinds)
    return found


@dataclass(frozen=True)
class RuleResult:
    code: str
    label: str
    citation: str
    result: str  # pass | fail | judgement
    reason: str
    hard: bool
    stage: str

    def as_dict(self) -> dict:
        return asdict(self)


SUBJECTS = ("collective", "individual")


@dataclass(frozen=True)
class Rule:
    """A rule applies to the subjects in `subjects` in the campaigns `campaigns` names: "any", "annual" (every kind
    but a period's: annual, thematic, peak) or "period". Data, not a predicate of the nomination: which rules apply
    to a kind of dossier is then chosen once (`_applying`), not asked of every rule for every nomination."""

    code: str
    label: str
    citation: str
    stage: str  # submit | propose
    hard: bool
    check: Callable[[Session, Nomination], tuple[str, str]]  # (result, reason)
    subjects: tuple[str, ...] = SUBJECTS
    campaigns: str = "any"  # any | annual | period

    def applies(self, subject_type: str, campaign_kind: str) -> bool:
        return subject_type in self.subjects and (
            self.campaigns == "any" or (campaign_kind == "period") == (self.campaigns == "period"))

    def run(self, session: Session, n: Nomination) -> RuleResult:
        result, reason = self.check(session, n)
        return RuleResult(self.code, self.label, self.citation, result, reason, self.hard, self.stage)


RULES: list[Rule] = []


def rule(code, label, citation, *, stage, hard, subjects=SUBJECTS, campaigns="any"):
    def register(fn):
        RULES.append(Rule(code, label, citation, stage, hard, fn, subjects, campaigns))
        return fn

    return register


_APPLYING: dict[tuple, tuple[Rule, ...]] = {}


def _applying(stage: str | None, subject_type: str, campaign_kind: str) -> tuple[Rule, ...]:
    """The rules of `stage` (all with None) that apply to a kind of dossier, in the order of RULES: chosen once per
    kind (the detail asks for every nomination it shows, a page of proposals for each of its items)."""
    key = (stage, subject_type, campaign_kind, len(RULES))
    found = _APPLYING.get(key)
    if found is None:
        found = _APPLYING[key] = tuple(r for r in RULES if (stage is None or r.stage == stage)
                                       and r.applies(subject_type, campaign_kind))
    return found


def _years(n: Nomination) -> range:
    return n.campaign.years


def _disciplined_in_unit(session: Session, unit_id: int, years: range) -> list[str]:
    """The names of the unit's people with a discipline record decided within `years`, one per record in the order
    decided (empty: none). Every nomination's detail asks it (the eligibility panel): plain rows of a statement built
    once, no ORM record nor a lazy load of its person per record."""
    start, end = dt.date(years.start, 1, 1), dt.date(years.stop - 1, 12, 31)
    return [name for (name,) in _DISCIPLINED_IN_UNIT.all(session, {"unit_id": unit_id, "start": start, "end": end})]


_DISCIPLINED_IN_UNIT = PlainSelect(select(Person.full_name).select_from(DisciplineRecord)
                                   .join(Person, Person.id == DisciplineRecord.person_id)
                                   .where(Person.unit_id == bindparam("unit_id"),
                                          DisciplineRecord.decided_on.between(bindparam("start"), bindparam("end")))
                                   .order_by(DisciplineRecord.decided_on))


def _award_subject(session: Session, n: Nomination):
    """A person's own records (they follow the person from unit to unit); a collective's, with those of the
    predecessors it inherits (merged into it, the inheriting part of a split: workflow.administration.unit_history)."""
    if n.subject_type == "individual":
        return AwardRecord.person_id == n.subject_person_id
    return AwardRecord.unit_id.in_(unit_history.record_unit_ids(session, n.unit_id))


def _inherited_text(session: Session, n: Nomination, awards: list[AwardRecord]) -> str:
    """Which predecessors' awards were counted, and by which change (the rule cites its successor's inheritance)."""
    if n.subject_type != "collective":
        return ""
    used = {a.unit_id for a in awards} - {n.unit_id}
    cited = [f"“{p.name}” ({_KIND_TEXT.get(p.kind, p.kind)} ngày {p.effective_date:%d/%m/%Y})"
             for p in unit_history.predecessors(session, n.unit_id) if p.unit_id in used]
    return f" Tính cả khen thưởng của đơn vị tiền thân: {', '.join(cited)}." if cited else ""


_KIND_TEXT = {"merge": "sáp nhập", "split": "chia tách", "close": "giải thể, chuyển giao"}


def _high_awards(session: Session, n: Nomination) -> list[AwardRecord]:
    subject = _award_subject(session, n)
    years = _years(n)
    return list(
        session.scalars(
            select(AwardRecord).where(
                subject, AwardRecord.level.in_(HIGH_AWARD_LEVELS), AwardRecord.revoked.is_(False),
                AwardRecord.year.between(years.start, years.stop - 1),
            )
        )
    )


def _year_text(years: range) -> str:
    return f"năm {years.start}" if len(years) == 1 else f"giai đoạn {years.start}–{years.stop - 1}"


@rule("thanh_vien_don_vi", "Là công chức, viên chức, người lao động của đơn vị", SEED_001, stage="submit", hard=True,
      subjects=("individual",))
def _member_of_unit(session: Session, n: Nomination):
    p = n.subject_person
    if p is None or not p.active:
        return "fail", "Cá nhân không còn công tác tại đơn vị."
    if p.unit_id != n.unit_id:
        return "fail", "Cá nhân không thuộc đơn vị đề nghị."
    if p.employment_type not in ELIGIBLE_EMPLOYMENT:
        return "fail", "Người lao động hợp đồng dưới 01 năm không thuộc đối tượng xét (Kế hoạch 98/KH-STP, mục II.1)."
    return "pass", "Là công chức, viên chức, người lao động của đơn vị."


@rule("khong_ky_luat_nam", "Không có công chức, viên chức, người lao động của đơn vị bị kỷ luật từ khiển trách "
      "trở lên trong năm", SEED_000 + ".b", stage="submit", hard=True,
      subjects=("collective",), campaigns="annual")
def _collective_no_discipline_year(session: Session, n: Nomination):
    records = _disciplined_in_unit(session, n.unit_id, _years(n))
    if records:
        names = ", ".join(sorted(set(records)))
        return "fail", f"Đơn vị có người bị kỷ luật từ khiển trách trở lên trong {_year_text(_years(n))}: {names}."
    return "pass", f"Không có người bị kỷ luật trong {_year_text(_years(n))}."


@rule("khong_ky_luat_giai_doan", "Không có công chức, viên chức, người lao động của đơn vị bị kỷ luật từ khiển trách "
      "trở lên trong giai đoạn", SEED_000 + " (cấp cơ sở giai đoạn 2021–2025)", stage="submit", hard=True,
      subjects=("collective",), campaigns="period")
def _collective_no_discipline_period(session: Session, n: Nomination):
    return _collective_no_discipline_year(session, n)


@rule("du_dieu_kien_tldxs", "Đủ điều kiện xét tặng danh hiệu Tập thể Lao động xuất sắc trở lên", SEED_000 + ".b",
      stage="submit", hard=False, subjects=("collective",), campaigns="annual")
def _collective_tldxs(session: Session, n: Nomination):
    return "judgement", "Hội đồng xem xét mức độ đủ điều kiện danh hiệu Tập thể Lao động xuất sắc theo hồ sơ."


@rule("du_dieu_kien_cstdcs", "Đủ điều kiện xét tặng danh hiệu Chiến sĩ thi đua cơ sở trở lên", SEED_000 + ".b",
      stage="submit", hard=False, subjects=("individual",), campaigns="annual")
def _individual_cstdcs(session: Session, n: Nomination):
    return "judgement", "Hội đồng xem xét mức độ đủ điều kiện danh hiệu Chiến sĩ thi đua cơ sở theo hồ sơ."


@rule("nguoi_dung_dau", "Người đứng đầu đơn vị: đơn vị cũng phải đủ điều kiện Tập thể Lao động xuất sắc",
      SEED_000 + ".b", stage="submit", hard=True, subjects=("individual",))
def _head_of_unit(session: Session, n: Nomination):
    p = n.subject_person
    if p is None or not p.is_unit_head:
        return "pass", "Cá nhân không phải người đứng đầu đơn vị."
    records = _disciplined_in_unit(session, n.unit_id, _years(n))
    if records:
        return "fail", "Cá nhân là người đứng đầu đơn vị, nhưng đơn vị có người bị kỷ luật từ khiển trách trở lên " \
                       f"trong {_year_text(_years(n))} nên không đủ điều kiện Tập thể Lao động xuất sắc."
    return "judgement", ("Cá nhân là người đứng đầu đơn vị: Hội đồng xem xét đơn vị đủ điều kiện "
                         "Tập thể Lao động xuất sắc.")


@rule("be_day_thanh_tich", "Có bề dày thành tích được Bộ, Ngành, Tỉnh và cấp Nhà nước tặng thưởng trong giai đoạn",
      SEED_000 + " (cấp cơ sở giai đoạn 2021–2025)", stage="submit", hard=True, campaigns="period")
def _period_award_record(session: Session, n: Nomination):
    awards = _high_awards(session, n)
    if not awards:
        return "fail", f"Chưa có khen thưởng cấp Bộ, Tỉnh hoặc Nhà nước trong {_year_text(_years(n))}."
    titles = "; ".join(f"{AWARD_TITLES.get(a.title, a.title)} ({a.year})" for a in awards[:5])
    return "pass", f"Có {len(awards)} khen thưởng: {titles}.{_inherited_text(session, n, awards)}"


@rule("tieu_chuan_chung", "Đạt các điều kiện, tiêu chuẩn chung", SEED_000 + ".a", stage="submit", hard=False)
def _general_standards(session: Session, n: Nomination):
    return "judgement", "Hội đồng bình xét các tiêu chuẩn chung trên cơ sở hồ sơ và báo cáo thành tích."


_CO_SO_KNOWN = "rules.recognised_co_so"


@contextmanager
def recognised_co_so_known(session: Session, answers: dict[int, bool]):
    """Within the block, whether each of these nominations has a recognize_co_so step is `answers[id]` (read by the
    caller with the nominations' history, for a page of proposals' items) instead of one query per nomination.
    For reads only: a step taken inside the block would not be seen."""
    outer = session.info.get(_CO_SO_KNOWN)
    session.info[_CO_SO_KNOWN] = {**(outer or {}), **answers}
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(_CO_SO_KNOWN, None)
        else:
            session.info[_CO_SO_KNOWN] = outer


def _recognized_co_so(session: Session, n: Nomination) -> bool:
    known = session.info.get(_CO_SO_KNOWN)
    if known is not None and n.id in known:
        return known[n.id]
    return session.scalar(
        select(exists().where(StateChange.nomination_id == n.id, StateChange.action == "recognize_co_so"))
    )


@rule("da_cong_nhan_co_so", "Đã được công nhận điển hình tiên tiến cấp cơ sở trong năm", SEED_000 + ".c",
      stage="propose", hard=True)
def _nganh_recognized_co_so(session: Session, n: Nomination):
    if n.state in RECOGNISED_STATES and _recognized_co_so(session, n):
        return "pass", f"Đã được công nhận điển hình cấp cơ sở ({_year_text(_years(n))})."
    return "fail", "Chưa được công nhận điển hình tiên tiến cấp cơ sở."


@rule("it_nhat_mot_lan_nganh", "Có ít nhất 01 lần được công nhận điển hình tiên tiến ngành Tư pháp hằng năm",
      SEED_000 + " (ngành Tư pháp giai đoạn 2021–2025)", stage="propose", hard=True, campaigns="period")
def _period_annual_nganh(session: Session, n: Nomination):
    years = _years(n)
    subject = _award_subject(session, n)
    found = session.scalars(
        select(AwardRecord).where(subject, AwardRecord.title == "dien_hinh_nganh", AwardRecord.revoked.is_(False),
                                  AwardRecord.year.between(years.start, years.stop - 1))
    ).first()
    if found is None:
        return "fail", f"Chưa lần nào được công nhận điển hình ngành Tư pháp hằng năm trong {_year_text(years)}."
    return "pass", f"Được công nhận điển hình ngành Tư pháp năm {found.year}."


@rule("be_day_thanh_tich_nganh", "Có bề dày thành tích cao được Bộ, Ngành, Tỉnh và cấp Nhà nước tặng thưởng",
      SEED_000 + " (ngành Tư pháp giai đoạn 2021–2025)", stage="propose", hard=True, campaigns="period")
def _period_high_awards(session: Session, n: Nomination):
    return _period_award_record(session, n)


class ProposeSubject(Protocol):
    """What the rules of stage "propose" read of a nomination (and `evaluate` of any): a read model that holds these
    as plain values (a proposal's items, `workflow.proposals.operations.ItemNomination`) is evaluated by the same
    rules as the ORM object, without loading it. The rules of stage "submit" read more (the person's record, the
    dossier): they take a `Nomination`."""

    id: int
    version: int
    state: str
    subject_type: str
    unit_id: int
    subject_person_id: int | None
    campaign: Campaign  # its `kind` and `years`


def evaluate(session: Session, n: Nomination | ProposeSubject, stage: str | None = None) -> list[RuleResult]:
    """The rules of `stage` (all with None) for `n` (a `ProposeSubject` row: stage "propose" only). Within one
    transaction, each rule is asked once about the same version of the nomination: the submit guard and the detail's
    eligibility (both asked by one request, the page all the rules and the guard those of one stage) would otherwise
    read the same records twice. The answers are kept only while nothing changes in the session: any flush, and the
    end of the transaction, forget them; a session holding unflushed changes does not use them (the reads would have
    flushed them and might answer differently)."""
    return evaluate_many(session, [n], stage)[0]


def evaluate_many(session: Session, ns: list, stage: str | None = None) -> list[list[RuleResult]]:
    """`evaluate` of each of `ns` (a page of rows: a proposal's items), the answers kept as `evaluate` says: the
    session's state is asked once for the page and the rules of the stage chosen once (per nomination, that was 600
    times for the Ministry's page of proposals)."""
    if not session._is_clean():  # what `new or dirty or deleted` says, without building the three sets
        return [[r.run(session, n) for r in _applying(stage, n.subject_type, n.campaign.kind)] for n in ns]
    memos = session.info.setdefault(_MEMO, {})
    out = []
    for n in ns:
        memo = memos.setdefault((n.id, n.version, n.state), {})
        wanted = _applying(stage, n.subject_type, n.campaign.kind)
        for r in wanted:
            if r.code not in memo:
                memo[r.code] = r.run(session, n)
        out.append([memo[r.code] for r in wanted])
    return out


_MEMO = "dienhinh.rules.evaluate"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, *_) -> None:
    session.info.pop(_MEMO, None)


def hard_failures(results: list[RuleResult]) -> list[str]:
    return [f"{r.label}: {r.reason}" for r in results if r.hard and r.result == "fail"]


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the completeness checklist: what the dossier must hold, whether it does, and the gap if not."""

    label: str
    ok: bool
    gap: str = ""


def dossier_checklist(n: Nomination) -> list[ChecklistItem]:
    """The completeness checklist of a dossier (thành phần hồ sơ): the achievements, the achievement report and each
    criterion of the campaign answered as met. The unit checks it before submitting (`dossier_gaps`, the submit
    guard) and the secretariat again when it accepts the dossier (service.check_accept): one list, both steps.

    Each line is one of a few fixed items (its label and gap are facts of the criterion), made once: a detail asks the
    checklist twice or three times (the gaps, the submit guard, the desk's acceptance) and built ~10 frozen objects
    and their texts each time."""
    answers = {a.code: a.met for a in n.criteria}
    items = [_ACHIEVEMENTS[bool((n.achievements or "").strip())],
             _REPORT[any(a.kind == "achievement_report" for a in n.attachments)]]
    for code, unanswered, unmet, ok in _criteria_lines(n.subject_type, n.campaign.kind):
        met = answers.get(code)
        items.append(unanswered if met is None else ok if met else unmet)
    return items


def _lines(label: str, gap: str) -> tuple[ChecklistItem, ChecklistItem]:
    """A line's two items, (failed, ok): an ok line carries no gap."""
    return ChecklistItem(label, False, gap), ChecklistItem(label, True)


_ACHIEVEMENTS = _lines("Nội dung thành tích", "Chưa nhập nội dung thành tích.")
_REPORT = _lines("Báo cáo thành tích (tệp đính kèm)", "Chưa đính kèm báo cáo thành tích.")
_CRITERIA_LINES: dict[tuple[str, str], tuple] = {}


def _criteria_lines(subject_type: str, campaign_kind: str) -> tuple:
    """Each criterion of a kind of dossier with its three items: (code, not answered, answered as not met, met)."""
    found = _CRITERIA_LINES.get((subject_type, campaign_kind))
    if found is None:
        found = _CRITERIA_LINES[subject_type, campaign_kind] = tuple(
            (c.code, ChecklistItem(f"Tiêu chí: {c.label}", False, f"Chưa trả lời tiêu chí: {c.label}."),
             ChecklistItem(f"Tiêu chí: {c.label}", False, f"Tiêu chí được khai là chưa đạt: {c.label}."),
             ChecklistItem(f"Tiêu chí: {c.label}", True))
            for c in _criteria_of(subject_type, campaign_kind))
    return found


def dossier_gaps(n: Nomination) -> list[str]:
    """What the dossier lacks before it may be submitted (Hồ sơ chưa đầy đủ): the checklist's failed lines."""
    return [i.gap for i in dossier_checklist(n) if not i.ok]
