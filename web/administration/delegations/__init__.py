"""The director's delegations of signing (/delegations): grant, list, end; the deputy sees their own. Not under
/admin: the director grants, not the administrator."""
from flask import Blueprint

bp = Blueprint("delegations", __name__, url_prefix="/delegations")

from web.administration.delegations import views  # noqa: E402,F401  (routes attach to `bp`)
