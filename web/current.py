"""The caller as the workflow sees it (an Actor), for pages (flask-login) and the API (bearer token)."""
from __future__ import annotations

from flask import g
from flask_login import current_user

from web.db import db
from workflow.policy import Actor, actor_for


def current_actor() -> Actor | None:
    if "actor" in g:
        return g.actor
    user = g.get("api_user")
    if user is None and current_user.is_authenticated:
        user = current_user._get_current_object()
    g.actor = actor_for(db(), user) if user is not None else None
    return g.actor
