"""The audit trail review (Nhật ký hệ thống) for auditors and administrators: the filtered list with keyset paging
and the chain's verification status, an event's detail (before/after, IP, user agent, hashes), the .csv and .xlsx
exports of the filtered set, and the "Kiểm tra lại" button that checks the chain incrementally."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from web.reporting.audit import views  # noqa: E402,F401  (routes attach to `bp`)
