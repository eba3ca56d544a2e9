"""Reports (Báo cáo, thống kê): the statistics dashboard, the monthly introductions of examples and their compliance
table (hạn ngày 10 hằng tháng), the yearly calendar of propaganda themes, and the yearly and period reports (.docx,
.xlsx)."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from web.reporting.reports import views  # noqa: E402,F401  (routes attach to `bp`)
