"""Vietnamese labels of the glossary (UX.md). Codes never reach a user; these do."""
from __future__ import annotations

STATE_LABELS = {
    "registered": "Đã đăng ký",
    "nurtured": "Đang bồi dưỡng",
    "submitted": "Chờ Hội đồng xét",
    "evaluated_co_so": "Điển hình cấp cơ sở",
    "proposed_nganh": "Đã đề nghị cấp ngành",
    "recognized": "Điển hình ngành Tư pháp",
    "not_recognized": "Không được công nhận",
    "withdrawn": "Đã rút",
    "revoked": "Đã thu hồi",
}
# Bootstrap colour per state, the same on every page (meaning is also in the label, never colour alone).
STATE_COLOURS = {
    "registered": "secondary",
    "nurtured": "info",
    "submitted": "primary",
    "evaluated_co_so": "success",
    "proposed_nganh": "warning",
    "recognized": "success",
    "not_recognized": "danger",
    "withdrawn": "dark",
    "revoked": "danger",
}
ACTION_LABELS = {
    "create": "Đăng ký điển hình",
    "update": "Cập nhật hồ sơ",
    "start_nurturing": "Bắt đầu bồi dưỡng",
    "submit": "Trình Hội đồng xét",
    "return_for_revision": "Trả lại để bổ sung",
    "accept": "Tiếp nhận hồ sơ",
    "withdraw": "Rút hồ sơ",
    "recognize_co_so": "Công nhận cấp cơ sở",
    "reject_co_so": "Không công nhận",
    "propose_nganh": "Đề nghị Bộ công nhận",
    "recognize_nganh": "Công nhận cấp ngành",
    "reject_nganh": "Không công nhận cấp ngành",
    "revoke": "Thu hồi",
    "add_checkin": "Ghi nhận theo dõi bồi dưỡng",
    "add_attachment": "Đính kèm tài liệu",
}
RESUBMIT_LABEL = "Nộp lại hồ sơ"  # a submit after a return for revision (its history row's data "resubmission")


def step_label(action: str, data: dict | None = None) -> str:
    """The label of one history row: a resubmission reads "Nộp lại hồ sơ", not as a first submission."""
    if action == "submit" and (data or {}).get("resubmission"):
        return RESUBMIT_LABEL
    return ACTION_LABELS.get(action, action)


SUBJECT_TYPE_LABELS = {"collective": "Tập thể", "individual": "Cá nhân"}
CAMPAIGN_KIND_LABELS = {
    "annual": "Hằng năm",
    "period": "Giai đoạn",
    "thematic": "Chuyên đề",
    "peak": "Đợt cao điểm",
}
ROLE_LABELS = {
    "admin": "Quản trị hệ thống",
    "secretariat": "Văn phòng Sở (Thường trực Hội đồng)",
    "council_member": "Thành viên Hội đồng TĐKT",
    "director": "Giám đốc Sở",
    "unit_head": "Thủ trưởng đơn vị",
    "ministry_reviewer": "Vụ Thi đua – Khen thưởng, Bộ Tư pháp",
    "editor": "Ban biên tập",
    "auditor": "Thanh tra",
    "staff": "Công chức, viên chức",
}
# The director role held as a deputy (models.accounts.UserRole.deputy): signs only under a delegation.
DEPUTY_DIRECTOR_LABEL = "Phó Giám đốc Sở"
UNIT_KIND_LABELS = {
    "ministry": "Bộ",
    "department": "Sở",
    "division": "Phòng, đơn vị thuộc Sở",
    "district_office": "Phòng Tư pháp cấp huyện",
}
# Changes of a unit's organisation (workflow.administration.units)
UNIT_CHANGE_LABELS = {
    "rename": "Đổi tên",
    "merge": "Sáp nhập",
    "split": "Chia tách",
    "move": "Điều chuyển sang đơn vị cấp trên khác",
    "close": "Giải thể",
}
EMPLOYMENT_TYPE_LABELS = {
    "cong_chuc": "Công chức",
    "vien_chuc": "Viên chức",
    "nguoi_lao_dong": "Người lao động (hợp đồng từ 01 năm trở lên)",
    "tap_su": "Đang trong thời gian tập sự",
    "hop_dong_duoi_1_nam": "Hợp đồng dưới 01 năm",
}
DISCIPLINE_FORM_LABELS = {
    "khien_trach": "Khiển trách",
    "canh_cao": "Cảnh cáo",
    "ha_bac_luong": "Hạ bậc lương",
    "giang_chuc": "Giáng chức",
    "cach_chuc": "Cách chức",
    "buoc_thoi_viec": "Buộc thôi việc",
}
AWARD_TITLES = {
    "lao_dong_tien_tien": "Lao động tiên tiến",
    "chien_si_thi_dua_co_so": "Chiến sĩ thi đua cơ sở",
    "tap_the_lao_dong_tien_tien": "Tập thể Lao động tiên tiến",
    "tap_the_lao_dong_xuat_sac": "Tập thể Lao động xuất sắc",
    "giay_khen_giam_doc": "Giấy khen của Giám đốc Sở",
    "bang_khen_bo_truong": "Bằng khen của Bộ trưởng Bộ Tư pháp",
    "bang_khen_chu_tich_tinh": "Bằng khen của Chủ tịch UBND tỉnh",
    "co_thi_dua": "Cờ thi đua",
    "bang_khen_thu_tuong": "Bằng khen của Thủ tướng Chính phủ",
    "huan_chuong_lao_dong": "Huân chương Lao động",
    "dien_hinh_co_so": "Điển hình tiên tiến cấp cơ sở",
    "dien_hinh_nganh": "Điển hình tiên tiến ngành Tư pháp",
}
AWARD_LEVEL_LABELS = {"co_so": "Cơ sở", "bo": "Bộ, ngành", "tinh": "Tỉnh", "nha_nuoc": "Nhà nước"}
RULE_RESULT_LABELS = {"pass": "Đạt", "fail": "Không đạt", "judgement": "Hội đồng xem xét"}
ATTACHMENT_KIND_LABELS = {
    "achievement_report": "Báo cáo thành tích",
    "evidence": "Tài liệu minh chứng",
    "nurture_plan": "Kế hoạch bồi dưỡng",
    "other": "Khác",
}
SESSION_STATE_LABELS = {"scheduled": "Đã lên lịch", "open": "Đang họp", "closed": "Đã kết thúc", "cancelled": "Đã hủy"}
SESSION_ACTION_LABELS = {"open": "Khai mạc phiên họp", "close": "Kết thúc phiên họp", "cancel": "Hủy phiên họp"}
PROPOSAL_STATE_LABELS = {"draft": "Dự thảo", "submitted": "Đã trình Bộ"}
PROPOSAL_ACTION_LABELS = {"submit": "Ký và trình Bộ"}
STORY_STATE_LABELS = {"draft": "Bản nháp", "published": "Đã xuất bản"}
STORY_ACTION_LABELS = {"publish": "Xuất bản", "unpublish": "Gỡ bài"}
# The audit trail's actions and object types beyond those of the nomination, council and proposal areas (which the
# audit review builds from their own tables): the review page and the .csv/.xlsx exports print these, never a code.
AUDIT_ACTION_LABELS = {
    "admin.unit_rename": "Đổi tên đơn vị",
    "admin.unit_merge": "Sáp nhập đơn vị",
    "admin.unit_split": "Chia tách đơn vị",
    "admin.unit_move": "Điều chuyển đơn vị sang đơn vị cấp trên khác",
    "admin.unit_close": "Giải thể đơn vị",
    "account.email_preferences": "Thay đổi lựa chọn nhận thư điện tử",
    "account.password_change": "Đổi mật khẩu",
    "admin.award_add": "Ghi nhận khen thưởng",
    "admin.discipline_add": "Ghi nhận kỷ luật",
    "admin.calendar_day_create": "Thêm ngày vào lịch làm việc",
    "admin.calendar_day_update": "Sửa ngày trong lịch làm việc",
    "admin.calendar_day_delete": "Xóa ngày khỏi lịch làm việc",
    "admin.calendar_day_save": "Lưu ngày trong lịch làm việc",  # a refused save, before it is a create or an update
    "admin.import_units": "Nhập danh sách đơn vị từ tệp",
    "admin.import_people": "Nhập danh sách cán bộ từ tệp",
    "admin.import_unit_changes": "Nhập thay đổi tổ chức đơn vị từ tệp",
    "admin.import": "Nhập dữ liệu từ tệp (loại dữ liệu không hợp lệ)",  # a refused import of an unknown kind
    "story.create": "Tạo bài viết tuyên truyền",
    "story.update": "Sửa bài viết tuyên truyền",
    "story.revise": "Lưu bản sửa của bài viết đã xuất bản",
    "story.publish": "Xuất bản bài viết tuyên truyền",
    "story.publish_revision": "Xuất bản bản sửa của bài viết",
    "story.discard_revision": "Hủy bản sửa của bài viết",
    "story.unpublish": "Gỡ bài viết tuyên truyền",
    "story.add_image": "Thêm ảnh vào bài viết",
    "story.remove_image": "Xóa ảnh khỏi bài viết",
    "introduction.create": "Ghi nhận giới thiệu điển hình hằng tháng",
    "introduction.delete": "Xóa giới thiệu điển hình hằng tháng",
    "themes.update": "Cập nhật lịch chủ đề tuyên truyền",
}
AUDIT_OBJECT_TYPE_LABELS = {
    "story": "Bài viết tuyên truyền",
    "monthly_introduction": "Giới thiệu điển hình hằng tháng",
    "propaganda_calendar": "Lịch chủ đề tuyên truyền",
    "calendar_day": "Ngày trong lịch làm việc",
    "import": "Nhập dữ liệu từ tệp",
}
AUDIT_FAMILY_LABELS = {
    "account": "Tài khoản của tôi",
    "story": "Bài viết tuyên truyền",
    "introduction": "Giới thiệu điển hình hằng tháng",
    "themes": "Lịch chủ đề tuyên truyền",
}
# The outcome of an agenda item when its session closes (or the chair breaks a tie).
ITEM_OUTCOME_LABELS = {
    "passed": "Đạt",
    "failed": "Không đạt tỷ lệ biểu quyết",
    "quota_exceeded": "Vượt chỉ tiêu",
    "tie": "Bằng phiếu tại ngưỡng chỉ tiêu — chờ Chủ tịch Hội đồng quyết định",
    "no_quorum": "Phiên họp không đủ số thành viên tham dự",
}
# The Vietnamese label of each input field, by its internal name: a form's error names the field as the form labels
# it, never "date" or "introduced_on" (issue 14, finding 8). A form whose field reads differently passes its own
# label (`inputs.Form(labels=…)`, `inputs.one(…, label=…)`); a name ending "_id" falls back to its stem's label.
FIELD_LABELS = {
    "title": "Tiêu đề",
    "name": "Tên",
    "achievements": "Thành tích nổi bật",
    "initiatives": "Mô hình mới, cách làm hay, sáng kiến",
    "nurture_plan": "Kế hoạch bồi dưỡng",
    "reason": "Lý do",
    "comment": "Ý kiến",
    "note": "Nội dung",
    "evidence": "Minh chứng, giải trình",
    "date": "Ngày",
    "day": "Ngày",
    "introduced_on": "Ngày giới thiệu",
    "decided_on": "Ngày quyết định",
    "decision_date": "Ngày quyết định",
    "decision_number": "Số quyết định",
    "number": "Số",
    "closed_on": "Ngày đóng",
    "starts_on": "Từ ngày",
    "ends_on": "Đến ngày",
    "start_date": "Ngày bắt đầu",
    "end_date": "Ngày kết thúc",
    "registration_deadline": "Hạn đăng ký",
    "evaluation_deadline": "Hạn xét",
    "midterm_review_date": "Ngày sơ kết",
    "final_review_date": "Ngày tổng kết",
    "effective_date": "Ngày hiệu lực",
    "month": "Tháng",
    "year": "Năm",
    "campaign": "Phong trào thi đua",
    "unit": "Đơn vị",
    "person": "Cá nhân",
    "nomination": "Hồ sơ điển hình",
    "nomination_ids": "Danh sách hồ sơ",
    "department": "Sở",
    "parent": "Đơn vị cấp trên",
    "deputy": "Người được ủy quyền",
    "council": "Hội đồng",
    "session": "Phiên họp",
    "subject_type": "Loại đối tượng",
    "subject_types": "Loại đối tượng áp dụng",
    "kind": "Loại",
    "level": "Cấp",
    "quotas": "Chỉ tiêu",
    "roles": "Vai trò",
    "username": "Tên đăng nhập",
    "full_name": "Họ và tên",
    "email": "Thư điện tử",
    "code": "Mã",
    "position": "Chức vụ",
    "employment_type": "Loại cán bộ",
    "is_working": "Loại ngày",
    "legal_basis": "Căn cứ",
    "award_forms": "Hình thức khen thưởng",
    "place": "Địa điểm",
    "location": "Địa điểm",
    "form": "Hình thức",
    "version": "Phiên bản đang sửa",
}
