"""The caller as the workflow sees it (an Actor), for pages (flask-login) and the API (bearer token), built once per
request. The bearer authentication (`web.api.base`) and the session's user loader (`web.auth.views`) load the user,
its roles and its delegation in force in one statement and leave the Actor in `g`; only a user signed in during the
request itself (the login page) is looked up again."""
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
    if user is None:
        g.actor = None
    else:
        loaded = g.pop("login_actor", None)
        g.actor = loaded if loaded is not None and loaded.user is user else actor_for(db(), user)
    return g.actor
