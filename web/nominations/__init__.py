"""Nomination pages: list, registration, detail (rules, history, actions), dossier edit, check-ins, attachments."""
from flask import Blueprint

bp = Blueprint("nominations", __name__, url_prefix="/nominations")

from web.nominations import views  # noqa: E402,F401  (routes attach to `bp`)
