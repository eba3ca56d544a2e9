"""Home ("Việc cần làm"), notifications, the header's data and the page-level error handlers."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from web.main import errors, views  # noqa: E402,F401  (routes and handlers attach to `bp`)
