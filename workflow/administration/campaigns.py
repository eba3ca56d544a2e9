"""Campaigns (phong trào, đợt thi đua): creating one and listing them within the caller's scope.

Used by the JSON API (`POST /api/v1/campaigns`) and by the admin pages. Like the workflow service, the functions
take a session and an actor, raise a DomainError when refused, and never commit.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CAMPAIGN_KINDS, SUBJECT_TYPES, Campaign, Unit
from workflow import events, inputs, policy, signals
from workflow.context import CLI, Context
from workflow.errors import Forbidden, ValidationFailed
from workflow.nominations.queries import Page, page_params, paginate
from workflow.policy import Actor

NAME_LIMIT = 300
TEXT_LIMIT = 5000
QUOTA_LIMIT = 10_000


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


def campaign_values(*, name, kind, legal_basis, award_forms, start_date, end_date, registration_deadline,
                    evaluation_deadline, midterm_review_date, final_review_date, subject_types, quotas) -> dict:
    """The columns of a campaign from what was typed, or one ValidationFailed naming every wrong field. The one
    validation of a campaign: its creation (API and admin page) and its edit (admin page) answer the same messages.
    Dates are dates, ISO or dd/mm/yyyy strings; `quotas` is {subject_type: int or digits} (absent = no limit)."""
    form = inputs.Form("Thông tin phong trào thi đua không hợp lệ.")
    values = {
        "name": form.text("name", name, limit=NAME_LIMIT, required=True),
        "kind": form.choice("kind", kind, CAMPAIGN_KINDS),
        "legal_basis": form.text("legal_basis", legal_basis, limit=TEXT_LIMIT),
        "award_forms": form.text("award_forms", award_forms, limit=TEXT_LIMIT),
        "start_date": form.date("start_date", start_date, required=True),
        "end_date": form.date("end_date", end_date, required=True),
        "registration_deadline": form.date("registration_deadline", registration_deadline, required=True),
        "evaluation_deadline": form.date("evaluation_deadline", evaluation_deadline),
        "midterm_review_date": form.date("midterm_review_date", midterm_review_date),
        "final_review_date": form.date("final_review_date", final_review_date),
    }
    start, end = values["start_date"], values["end_date"]
    registration, evaluation = values["registration_deadline"], values["evaluation_deadline"]
    if start and end and start > end:
        form.add("end_date", "Không được trước ngày bắt đầu.", "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.")
    if registration and start and registration < start:
        form.add("registration_deadline", "Không được trước ngày bắt đầu.",
                 "Hạn đăng ký phải từ ngày bắt đầu phong trào trở đi.")
    if registration and end and registration > end:
        form.add("registration_deadline", "Không được sau ngày kết thúc.",
                 "Hạn đăng ký phải trước hoặc trùng ngày kết thúc phong trào.")
    if evaluation and registration and evaluation < registration:
        form.add("evaluation_deadline", "Không được trước hạn đăng ký.",
                 "Hạn xét khen thưởng phải sau hoặc trùng hạn đăng ký.")
    for field, message in review_date_errors(start, end, values["midterm_review_date"],
                                             values["final_review_date"]).items():
        form.add(field, message, message)

    types: list[str] = []
    if not isinstance(subject_types, list | tuple) or not all(isinstance(t, str) for t in subject_types) \
            or not set(subject_types) <= set(SUBJECT_TYPES):
        form.add("subject_types", f"Loại đối tượng phải là một hoặc nhiều trong: {', '.join(SUBJECT_TYPES)}.")
    elif not subject_types:
        form.add("subject_types", "Chọn ít nhất một loại đối tượng.")
    else:
        types = list(dict.fromkeys(subject_types))
    clean_quotas: dict[str, int | None] = {}
    if quotas is None:
        quotas = {}
    if not isinstance(quotas, dict):
        form.add("quotas", "Chỉ tiêu phải là đối tượng {loại đối tượng: số lượng}.")
        quotas = {}
    for key, value in quotas.items():
        if key not in SUBJECT_TYPES:
            form.add("quotas", f"Loại đối tượng không hợp lệ: {inputs.visible(str(key))[:40]}.")
            continue
        try:
            clean_quotas[key] = inputs.integer(value, minimum=0, maximum=QUOTA_LIMIT)
        except inputs.Invalid:
            form.add("quotas", f"Chỉ tiêu phải là số nguyên từ 0 đến {QUOTA_LIMIT}.")
            continue
        if clean_quotas[key] is not None and types and key not in types:
            form.add("quotas", "Phong trào không áp dụng cho loại đối tượng này.")
    form.check()
    values.update(allows_collective="collective" in types, allows_individual="individual" in types,
                  quota_collective=clean_quotas.get("collective"), quota_individual=clean_quotas.get("individual"))
    return values


def campaign_department(session: Session, actor: Actor, department_id) -> Unit:
    """The department a new campaign belongs to: admin names any department (or their own); a secretariat creates
    campaigns of their own department only."""
    if department_id is not None and (isinstance(department_id, bool) or not isinstance(department_id, int)):
        raise ValidationFailed("Sở không hợp lệ.", ["Sở: chọn một Sở trong danh sách."],
                               {"department_id": "Không hợp lệ"})
    widest = policy.widest_scope(actor, "create", "campaign")
    if widest == policy.ALL:
        dep_id = department_id if department_id is not None else actor.department_id
        if dep_id is None:
            raise ValidationFailed("Chưa chọn Sở của phong trào.", ["Sở: bắt buộc chọn."],
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
        raise ValidationFailed("Sở không hợp lệ.", ["Sở: phải là một Sở đang hoạt động."],
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
    values = campaign_values(name=name, kind=kind, legal_basis=legal_basis, award_forms=award_forms,
                             start_date=start_date, end_date=end_date, registration_deadline=registration_deadline,
                             evaluation_deadline=evaluation_deadline, midterm_review_date=midterm_review_date,
                             final_review_date=final_review_date, subject_types=subject_types, quotas=quotas)
    campaign = Campaign(department_id=dep.id, **values)
    session.add(campaign)
    session.flush()
    signals.emit(session, events.CampaignCreated(campaign_id=campaign.id, campaign=campaign_data(campaign),
                                                 actor=actor, context=context))
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
