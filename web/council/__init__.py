"""Council pages: settings and members, sessions (publicity, agenda, attendance, open, close, results, tie-break),
public comments and the member's voting screen."""
from flask import Blueprint

bp = Blueprint("council", __name__, url_prefix="/council")

from web.council import views  # noqa: E402,F401  (routes attach to `bp`)
