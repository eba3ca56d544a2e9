"""Login and logout for the pages (session cookie through flask-login). The API authenticates with bearer tokens."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import views  # noqa: E402,F401  (routes attach to `bp`)
