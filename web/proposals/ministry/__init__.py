"""The Ministry's workspace (Vụ Thi đua – Khen thưởng, Bộ Tư pháp): proposals submitted by every department, and per
item the Minister's decision recorded (công nhận cấp ngành) or a refusal with its reason."""
from flask import Blueprint

bp = Blueprint("ministry", __name__, url_prefix="/ministry")

from web.proposals.ministry import views  # noqa: E402,F401  (routes attach to `bp`)
