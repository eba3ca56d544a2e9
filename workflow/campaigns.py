"""Campaigns (phong trào, đợt thi đua): creating one and listing them within the caller's scope.

Used by the JSON API (`POST /api/v1/campaigns`) and by the admin pages. Like the workflow service, the functions
take a session and an actor, raise a DomainError when refused, and never commit.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CAMPAIGN_KINDS, SUBJECT_TYPES, Campaign, Unit
from workflow import policy, signals
from workflow.context import CLI, Context
from workflow.errors import Forbidden, ValidationFailed
from workflow.policy import Actor
from workflow.queries import Page, page_params, paginate

NAME_LIMIT = 300
TEXT_LIMIT = 5000
QUOTA_LIMIT = 10_000


def _date(value, field: str, errors: dict, *, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            errors[field] = "Bắt buộc"
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = "Ngày phải theo định dạng YYYY-MM-DD"
    return None


def _text(value, field: str, errors: dict, *, limit: int, required: bool = False) -> str | None:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = "Phải là chuỗi ký tự"
        return None
    value = value.strip()
    if required and not value:
        errors[field] = "Bắt buộc"
    elif len(value) > limit:
        errors[field] = f"Tối đa {limit} ký tự"
    return value or None


REVIEW_GRACE_DAYS = 366  # a period's tổng kết may fall after its last day (e.g. Quý I of the next year)


def review_date_errors(start, end, midterm, final) -> dict[str, str]:
    """The sơ kết (mid-term) date lies within the campaign; the tổng kết (final) date after the sơ kết and the start,
    and at most a year after the end (seeds 000 §1.4 and 002: sơ kết 2023 and tổng kết 2025 of 2021–2025)."""
    errors: dict[str, str] = {}
    if midterm and start and end and not start <= midterm <= end:
        errors["midterm_review_date"] = "Ngày sơ kết phải trong thời gian của phong trào."
    if final and start and final < start:
        errors["final_review_date"] = "Ngày tổng kết không được trước ngày bắt đầu."
    elif final and end and (final - end).days > REVIEW_GRACE_DAYS:
        errors["final_review_date"] = "Ngày tổng kết không được quá một năm sau ngày kết thúc."
    elif final and midterm and final < midterm:
        errors["final_review_date"] = "Ngày tổng kết phải sau ngày sơ kết."
    return errors


def campaign_department(session: Session, actor: Actor, department_id) -> Unit:
    """The department a new campaign belongs to: admin names any department (or their own); a secretariat creates
    campaigns of their own department only."""
    if department_id is not None and (isinstance(department_id, bool) or not isinstance(department_id, int)):
        raise ValidationFailed("Sở không hợp lệ.", ["department_id phải là số."], {"department_id": "Không hợp lệ"})
    widest = policy.widest_scope(actor, "create", "campaign")
    if widest == policy.ALL:
        dep_id = department_id if department_id is not None else actor.department_id
        if dep_id is None:
            raise ValidationFailed("Chưa chọn Sở của phong trào.", ["department_id là bắt buộc."],
                                   {"department_id": "Bắt buộc"})
    elif widest == policy.DEPARTMENT and actor.department_id is not None:
        if department_id is not None and department_id != actor.department_id:
            raise Forbidden("Không có quyền tạo phong trào cho Sở khác.",
                            ["Văn phòng Sở chỉ tạo phong trào thi đua của Sở mình."])
        dep_id = actor.department_id
    else:
        raise Forbidden("Không có quyền tạo phong trào thi đua.", [policy.rule("campaign", "create").reason])
    dep = session.get(Unit, dep_id)
    if dep is None or dep.kind != "department" or not dep.active:
        raise ValidationFailed("Sở không hợp lệ.", ["department_id phải là một Sở đang hoạt động."],
                               {"department_id": "Không hợp lệ"})
    return dep


def create_campaign(
    session: Session,
    actor: Actor,
    *,
    name,
    kind,
    start_date,
    end_date,
    registration_deadline,
    evaluation_deadline=None,
    midterm_review_date=None,
    final_review_date=None,
    subject_types,
    quotas,
    legal_basis=None,
    award_forms=None,
    department_id=None,
    context: Context = CLI,
) -> Campaign:
    """Creates a campaign; dates are `date` objects or ISO strings, `quotas` is {subject_type: int} (absent = no
    limit). Raises Forbidden (not admin / not the department's secretariat) or ValidationFailed with field errors."""
    dep = campaign_department(session, actor, department_id)
    errors: dict[str, str] = {}
    reasons: list[str] = []
    name = _text(name, "name", errors, limit=NAME_LIMIT, required=True)
    legal_basis = _text(legal_basis, "legal_basis", errors, limit=TEXT_LIMIT)
    award_forms = _text(award_forms, "award_forms", errors, limit=TEXT_LIMIT)
    if kind not in CAMPAIGN_KINDS:
        errors["kind"] = f"Một trong: {', '.join(CAMPAIGN_KINDS)}"
    start = _date(start_date, "start_date", errors)
    end = _date(end_date, "end_date", errors)
    registration = _date(registration_deadline, "registration_deadline", errors)
    evaluation = _date(evaluation_deadline, "evaluation_deadline", errors, required=False)
    midterm = _date(midterm_review_date, "midterm_review_date", errors, required=False)
    final = _date(final_review_date, "final_review_date", errors, required=False)

    if start and end and start > end:
        errors["end_date"] = "Không được trước ngày bắt đầu"
        reasons.append("Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.")
    if registration and start and registration < start:
        errors["registration_deadline"] = "Không được trước ngày bắt đầu"
        reasons.append("Hạn đăng ký phải từ ngày bắt đầu phong trào trở đi.")
    if registration and end and registration > end:
        errors["registration_deadline"] = "Không được sau ngày kết thúc"
        reasons.append("Hạn đăng ký phải trước hoặc trùng ngày kết thúc phong trào.")
    if evaluation and registration and evaluation < registration:
        errors["evaluation_deadline"] = "Không được trước hạn đăng ký"
        reasons.append("Hạn xét khen thưởng phải sau hoặc trùng hạn đăng ký.")
    for field, message in review_date_errors(start, end, midterm, final).items():
        errors[field] = message
        reasons.append(message)

    types: list[str] = []
    if not isinstance(subject_types, list | tuple) or not all(isinstance(t, str) for t in subject_types):
        errors["subject_types"] = "Danh sách loại đối tượng"
    else:
        types = list(dict.fromkeys(subject_types))
        if not types or not set(types) <= set(SUBJECT_TYPES):
            errors["subject_types"] = f"Một hoặc nhiều trong: {', '.join(SUBJECT_TYPES)}"
    clean_quotas: dict[str, int] = {}
    if quotas is None:
        quotas = {}
    if not isinstance(quotas, dict):
        errors["quotas"] = "Phải là đối tượng {loại đối tượng: số lượng}"
    else:
        for key, value in quotas.items():
            if key not in SUBJECT_TYPES:
                errors["quotas"] = f"Loại đối tượng không hợp lệ: {key}"
            elif value is None:
                continue
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= QUOTA_LIMIT:
                errors["quotas"] = "Số lượng phải là số nguyên không âm"
            elif types and key not in types:
                errors["quotas"] = f"Phong trào không áp dụng cho loại đối tượng {key}"
            else:
                clean_quotas[key] = value
    if errors:
        reasons = reasons or [f"{k}: {v}" for k, v in errors.items()]
        raise ValidationFailed("Thông tin phong trào thi đua không hợp lệ.", reasons, errors)

    campaign = Campaign(
        department_id=dep.id, name=name, kind=kind, legal_basis=legal_basis, start_date=start, end_date=end,
        registration_deadline=registration, evaluation_deadline=evaluation,
        midterm_review_date=midterm, final_review_date=final,
        allows_collective="collective" in types, allows_individual="individual" in types,
        quota_collective=clean_quotas.get("collective"), quota_individual=clean_quotas.get("individual"),
        award_forms=award_forms,
    )
    session.add(campaign)
    session.flush()
    signals.admin_changed.send(session, actor=actor, action="campaign.create", object_type="campaign",
                               object_id=campaign.id, data=campaign_data(campaign), context=context)
    return campaign


def campaign_data(c: Campaign) -> dict:
    """The campaign as the API and the audit trail show it (the keys of CONTRACT.md)."""
    return {
        "id": c.id, "name": c.name, "kind": c.kind, "department_id": c.department_id,
        "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(),
        "registration_deadline": c.registration_deadline.isoformat(),
        "evaluation_deadline": c.evaluation_deadline.isoformat() if c.evaluation_deadline else None,
        "midterm_review_date": c.midterm_review_date.isoformat() if c.midterm_review_date else None,
        "final_review_date": c.final_review_date.isoformat() if c.final_review_date else None,
        "subject_types": c.subject_types, "quotas": c.quotas, "legal_basis": c.legal_basis,
        "award_forms": c.award_forms,
    }


def campaigns_query(actor: Actor):
    return select(Campaign).where(policy.scope(actor, "campaign"))


def list_campaigns(session: Session, actor: Actor, page=1, per_page=20) -> Page:
    """Campaigns the actor may see: every department's for global roles (admin, auditor, ministry reviewer),
    otherwise those of the actor's department. Newest first."""
    page, per_page = page_params(page, per_page)
    stmt = campaigns_query(actor)
    return paginate(session, stmt, page, per_page, Campaign.start_date.desc(), Campaign.id.desc())
