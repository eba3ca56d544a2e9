"""Proposal pages (Tờ trình đề nghị Bộ trưởng công nhận điển hình ngành Tư pháp): the list, the secretariat's draft,
the detail with the director's signing and the Ministry's outcome per item, the .docx and the .xlsx list."""
from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

from web.proposals import views  # noqa: E402,F401  (routes attach to `bp`)
