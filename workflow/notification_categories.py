"""The families of events a user can choose to receive by e-mail. A notification's `kind` ("council.opened",
"reminder.monthly_example") belongs to the family named by its first segment."""
from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "nomination": "Hồ sơ điển hình: trình Hội đồng, trả lại để bổ sung, rút, thu hồi, kết quả cấp ngành",
    "council": "Hội đồng Thi đua – Khen thưởng: lịch họp, công khai danh sách lấy ý kiến, khai mạc phiên họp, kết quả "
               "bình xét",
    "decision": "Quyết định công nhận điển hình tiên tiến, quyết định chờ ký",
    "proposal": "Tờ trình đề nghị Bộ Tư pháp công nhận, tờ trình chờ ký",
    "propagation": "Tuyên truyền, nhân rộng: điển hình tiên tiến mới được công nhận",
    "reminder": "Nhắc việc theo hạn: đăng ký, bình xét, giới thiệu hằng tháng, báo cáo, sơ kết, tổng kết",
}
OTHER = "other"


def category_of(kind: str) -> str:
    head = (kind or "").split(".", 1)[0]
    return head if head in CATEGORIES else OTHER
