"""Decision pages: the list, the director's decision recognising what a council passed, the detail and its .docx."""
from flask import Blueprint

bp = Blueprint("decisions", __name__, url_prefix="/decisions")

from web.proposals.decisions import views  # noqa: E402,F401  (routes attach to `bp`)
