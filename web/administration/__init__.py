"""Administration pages (role admin only): units, people and their records, users, campaigns."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from web.administration import calendar, imports, views  # noqa: E402,F401  (routes attach to `bp`; imports: /admin/import)
