"""The public showcase, without login: recognised examples by year, level and unit, the published stories, and the
Atom feed the portal pulls (/showcase/feed.atom)."""
from flask import Blueprint

bp = Blueprint("showcase", __name__, url_prefix="/showcase")

from web.propagation.showcase import views  # noqa: E402,F401  (routes attach to `bp`)
