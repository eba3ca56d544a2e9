"""Council pages: settings and members, sessions (publicity, agenda, attendance, open, close, results, tie-break),
public comments and the member's voting screen."""
from flask import Blueprint

from workflow.council.operations import COMMENT_LIMIT

bp = Blueprint("council", __name__, url_prefix="/council")


@bp.context_processor
def _limits() -> dict:
    """The comment's limit, which the page states and counts against (the service refuses beyond it)."""
    return {"comment_limit": COMMENT_LIMIT}


from web.council import views  # noqa: E402,F401  (routes attach to `bp`)
